// berth-bench-layer-apply LAYER TARGET_DIR [--plain] [--no-chown]
// Applies LAYER (gzip/zstd/plain tar) into TARGET_DIR (created, must not exist) with
// berth's hardened extractor and prints digests, sizes and the wall time.
#include <fcntl.h>
#include <sys/stat.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>

#include "common/file.h"
#include "image/layer/layer.h"

int main(int argc, char** argv) {
    using namespace berth;
    if (argc < 3) {
        std::fprintf(stderr, "usage: %s LAYER TARGET_DIR [--plain] [--no-chown]\n", argv[0]);
        return 2;
    }
    image::layer::ApplyOptions opts;
    for (int i = 3; i < argc; ++i) {
        if (!std::strcmp(argv[i], "--plain")) opts.whiteout_format = image::layer::WhiteoutFormat::Plain;
        if (!std::strcmp(argv[i], "--no-chown")) opts.set_ownership = false;
    }
    auto start = std::chrono::steady_clock::now();
    auto in = open_file(argv[1], O_RDONLY);
    if (!in) {
        std::fprintf(stderr, "error: %s\n", in.error().str().c_str());
        return 1;
    }
    if (::mkdir(argv[2], 0755) != 0) {
        std::fprintf(stderr, "error: %s\n", Error::sys("mkdir", argv[2]).str().c_str());
        return 1;
    }
    auto dir = open_file(argv[2], O_RDONLY | O_DIRECTORY);
    if (!dir) {
        std::fprintf(stderr, "error: %s\n", dir.error().str().c_str());
        return 1;
    }
    auto r = image::layer::apply_layer_fd(in->get(), dir->get(), opts);
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (!r) {
        std::fprintf(stderr, "error: %s\n", r.error().str().c_str());
        return 1;
    }
    std::printf(
        "{\"seconds\": %.3f, \"compression\": \"%s\", \"digest\": \"%s\", \"diff_id\": \"%s\", "
        "\"compressed_size\": %llu, \"uncompressed_size\": %llu, \"entries\": %llu}\n",
        secs, std::string(to_string(r->compression)).c_str(), r->digest.c_str(), r->diff_id.c_str(),
        static_cast<unsigned long long>(r->compressed_size),
        static_cast<unsigned long long>(r->uncompressed_size), static_cast<unsigned long long>(r->entries));
    return 0;
}
