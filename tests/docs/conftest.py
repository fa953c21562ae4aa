"""Servers and the Django worker for the examples of the docs (``test_examples.py``).

The docs write ``127.0.0.1:6379`` (a plain server), ``127.0.0.1:6380`` (a server with a
password and an ACL user limited to ``myapp:*``), ``127.0.0.1:6381`` (TLS, with a
certificate from a CA nobody trusts) and ``127.0.0.1:6399`` (nothing listening);
``docs_ports`` maps each to a port of this session.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tls import TlsEndpoints

from valkey_cache.core.embedded import EmbeddedServer

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

#: What the docs' secured server (port 6380) accepts.
SECURED_CONFIG = {
    "requirepass": "s3cret",
    "user": "cacheuser on >long-random-password ~myapp:* &* +@all -@dangerous",
}


@pytest.fixture(scope="session")
def secured_server() -> Iterator[EmbeddedServer]:
    server = EmbeddedServer(SECURED_CONFIG, name="docs-secured").start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def docs_workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The working directory of the examples (files they write land there)."""
    return tmp_path_factory.mktemp("docs-examples")


@pytest.fixture(scope="session")
def dead_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@pytest.fixture(scope="session")
def docs_ports(
    valkey_server: EmbeddedServer, secured_server: EmbeddedServer, tls_endpoints: TlsEndpoints, dead_port: int
) -> dict[int, int]:
    return {
        6379: valkey_server.port,
        6380: secured_server.port,
        6381: tls_endpoints.untrusted.port,
        6399: dead_port,
    }


class DjangoWorker:
    """One ``django_worker.py`` process: ``run(...)`` sends a block and waits for its answer."""

    def __init__(self, url: str, cwd: Path) -> None:
        self.sent = 0
        self.process = subprocess.Popen(
            [sys.executable, str(HERE / "django_worker.py"), url],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            cwd=cwd,
        )

    def run(self, **request: Any) -> dict[str, Any]:
        assert self.process.stdin is not None
        assert self.process.stdout is not None
        self.sent += 1
        self.process.stdin.write(json.dumps({**request, "id": self.sent}) + "\n")
        self.process.stdin.flush()
        while True:  # answers to requests whose test timed out are skipped
            answer = self.process.stdout.readline()
            if not answer:
                raise RuntimeError(f"the Django worker exited with status {self.process.wait()}")
            result: dict[str, Any] = json.loads(answer)
            if result["id"] == self.sent:
                return result

    def stop(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@pytest.fixture(scope="session")
def django_worker(valkey_server: EmbeddedServer, docs_workdir: Path) -> Iterator[DjangoWorker]:
    worker = DjangoWorker(valkey_server.url, docs_workdir)
    try:
        yield worker
    finally:
        worker.stop()
