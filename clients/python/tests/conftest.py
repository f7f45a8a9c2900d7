"""Starts a real gradd server for the tests.

The binary is $GRADD_BIN, else target/release/gradd or target/debug/gradd under the repository
root, else it is built with `cargo build --release`. The server listens on a free loopback port
(bound and released here), and readiness is awaited on the gRPC channel, never with a sleep.
"""
import os
import shutil
import socket
import subprocess
import tempfile
import sys

import grpc
import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.normpath(os.path.join(HERE, "..", "..", ".."))
sys.path.insert(0, os.path.dirname(HERE))  # the package itself, when not pip-installed

import gradd  # noqa: E402
from gradd._proto import gradd_pb2 as pb  # noqa: E402
from gradd._proto import gradd_pb2_grpc as pb_grpc  # noqa: E402

CONFORMANCE = os.environ.get(
    "GRADD_CONFORMANCE",
    os.path.normpath(os.path.join(REPO, "..", "shared", "conformance", "tf-gradienttape.json")))


def _binary():
    env = os.environ.get("GRADD_BIN")
    if env:
        return env
    for profile in ("release", "debug"):
        p = os.path.join(REPO, "target", profile, "gradd")
        if os.path.exists(p):
            return p
    if shutil.which("cargo") is None:
        pytest.skip("no gradd binary (set GRADD_BIN) and no cargo to build one")
    subprocess.run(["cargo", "build", "--release"], cwd=REPO, check=True)
    return os.path.join(REPO, "target", "release", "gradd")


def _free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, binary):
        self.binary = binary
        self.proc = None
        self.addr = None

    def start(self, timeout=60.0):
        self.addr = f"127.0.0.1:{_free_port()}"
        self.proc = subprocess.Popen([self.binary, "serve", "--addr", self.addr],
                                     stdout=subprocess.DEVNULL, stderr=self._log())
        channel = grpc.insecure_channel(self.addr)
        try:
            grpc.channel_ready_future(channel).result(timeout=timeout)
            # A cheap call proves the service answers (not only that the port accepts).
            stub = pb_grpc.GraddStub(channel)
            stub.DeleteSession(pb.DeleteSessionRequest(session_id="readiness-probe"),
                               timeout=timeout, wait_for_ready=True)
        except Exception:
            self.stop()
            raise
        finally:
            channel.close()
        return self

    def _log(self):
        # The server's log goes to a file, never to a pipe nobody drains: a full pipe would
        # block the server's writes and hang every test after it.
        if getattr(self, "log", None) is None:
            self.log = tempfile.TemporaryFile()
        return self.log

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def restart(self):
        """Stops the server and starts a new process on the same address."""
        addr = self.addr
        self.stop()
        self.proc = subprocess.Popen([self.binary, "serve", "--addr", addr],
                                     stdout=subprocess.DEVNULL, stderr=self._log())
        channel = grpc.insecure_channel(addr)
        try:
            grpc.channel_ready_future(channel).result(timeout=60)
        finally:
            channel.close()


@pytest.fixture(scope="session")
def server():
    addr = os.environ.get("GRADD_TEST_ADDR")
    if addr:  # an already running server (e.g. started by CI or by hand)
        s = Server(None)
        s.addr = addr
        yield s
        return
    s = Server(_binary()).start()
    yield s
    s.stop()


@pytest.fixture
def addr(server):
    return server.addr


@pytest.fixture
def tf(server, monkeypatch):
    """The `gradd` module with a fresh default session on the test server (`import gradd as tf`)."""
    monkeypatch.setenv("GRADD_ADDR", server.addr)
    gradd.reset_default_session()
    yield gradd
    gradd.reset_default_session()
