#!/usr/bin/env python3
"""Generates a realistic image-layer tree: many small text-like files (configs, scripts,
headers), some big files (libraries/binaries: part random, part compressible), a few
symlinks and hard links. Usage: gen_tree.py DIR [SCALE] (SCALE 1.0 ~ 500 MB raw,
~200 MB as tar.gz)."""
import os
import random
import sys

root = sys.argv[1]
scale = float(sys.argv[2]) if len(sys.argv) > 2 else 1.0
rng = random.Random(42)
words = [("".join(rng.choice("abcdefghijklmnopqrstuvwxyz_") for _ in range(rng.randint(2, 12)))).encode()
         for _ in range(4000)]
weights = [1.0 / (i + 1) for i in range(len(words))]  # Zipf, like natural text
# An 8 MiB pool of word soup; files take slices at random offsets (gzip's 32 KiB window
# cannot see the repeats, so it compresses like real text, about 3x).
pool = bytearray()
while len(pool) < 8 << 20:
    line = b" ".join(rng.choices(words, weights=weights, k=rng.randint(3, 14)))
    pool += line + b"\n"
pool = bytes(pool)

def text(n):
    off = rng.randrange(0, len(pool) - n - 1)
    return pool[off:off + n]

def binary(n):
    out = bytearray()
    while len(out) < n:
        if rng.random() < 0.2:
            out += os.urandom(4096)          # incompressible (code, compressed sections)
        else:
            out += text(4096)                # tables, strings, debug info
    return bytes(out[:n])

n_small = int(30000 * scale)
for i in range(n_small):
    d = os.path.join(root, "usr", "share", "pkg%03d" % (i % 400), "sub%d" % (i % 7))
    os.makedirs(d, exist_ok=True)
    size = int(rng.lognormvariate(8.3, 1.0))  # median ~4 KiB, long tail
    size = max(64, min(size, 256 << 10))
    with open(os.path.join(d, "file%05d.txt" % i), "wb") as f:
        f.write(text(size))
    if i % 500 == 0:
        os.symlink("file%05d.txt" % i, os.path.join(d, "link%05d" % i))
    if i % 997 == 0:
        os.link(os.path.join(d, "file%05d.txt" % i), os.path.join(d, "hard%05d" % i))
lib = os.path.join(root, "usr", "lib", "x86_64-linux-gnu")
os.makedirs(lib, exist_ok=True)
for i in range(int(8 * scale)):
    with open(os.path.join(lib, "libbig%d.so.1" % i), "wb") as f:
        for _ in range(32):
            f.write(binary(1 << 20))
    os.chmod(os.path.join(lib, "libbig%d.so.1" % i), 0o755)
os.makedirs(os.path.join(root, "usr", "bin"), exist_ok=True)
for i in range(int(200 * scale)):
    p = os.path.join(root, "usr", "bin", "tool%03d" % i)
    with open(p, "wb") as f:
        f.write(binary(rng.randint(20 << 10, 600 << 10)))
    os.chmod(p, 0o755)
