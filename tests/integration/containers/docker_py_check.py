#!/usr/bin/env python3
"""Drives berthd with docker-py (Debian's python3-docker), as a Python user would.
Usage: docker_py_check.py unix:///path/to/berth.sock   (exits non-zero on the first failure)"""
import sys

import docker

client = docker.DockerClient(base_url=sys.argv[1], version="auto", timeout=60)
assert client.ping() is True
assert client.version()["ApiVersion"] == "1.47"
info = client.info()
assert info["Driver"] == "overlay2", info["Driver"]
assert any("busybox:latest" in i.tags for i in client.images.list()), client.images.list()

out = client.containers.run("busybox", ["sh", "-c", "echo hi; echo err >&2"], remove=True)
assert out == b"hi\n", out

c = client.containers.run("busybox", ["sh", "-c", "echo started; sleep 30"], detach=True, name="py1",
                          labels={"lang": "python"}, environment={"GREETING": "hello"})
c.reload()
assert c.status == "running", c.status
assert c.labels["lang"] == "python"
code, output = c.exec_run(["sh", "-c", "echo $GREETING from exec"])
assert code == 0 and output == b"hello from exec\n", (code, output)
assert b"started" in c.logs()
assert [x.name for x in client.containers.list(filters={"label": "lang=python"})] == ["py1"]
c.stop(timeout=1)
result = c.wait()
assert result["StatusCode"] == 137, result
c.remove()
try:
    client.containers.get("py1")
    raise AssertionError("py1 still exists")
except docker.errors.NotFound:
    pass
try:
    client.containers.run("busybox", "no-such-command", remove=True)
    raise AssertionError("expected a failure")
except docker.errors.APIError as e:
    assert "executable file not found" in str(e), str(e)
print("docker-py: ok")
