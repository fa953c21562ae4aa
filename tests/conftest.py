"""Shared fixtures: real ``valkey-server`` processes from ``valkey_cache.core.embedded``.

Session-scoped servers start lazily (the first time a test asks for them) and
stop at session end; ``pytest_sessionfinish`` and the embedded package's own
``atexit``/parent-death handling make sure nothing outlives the run, including
after failures and Ctrl-C.

Fixtures:

* ``valkey_server``, ``valkey_unix_server``, ``valkey_auth_server``,
  ``valkey_cluster``, ``valkey_sentinel``: shared, session scope. Do not stop
  or kill them; use the ``fresh_*`` fixtures for destructive tests.
* ``valkey_url`` / ``valkey_unix_url``: URL of the shared TCP / unix server,
  flushed (``FLUSHALL``) before the test.
* ``raw_valkey``: a ``valkey.Valkey`` on the shared TCP server (flushed too),
  for asserting the raw bytes a test stored.
* ``fresh_server``, ``fresh_cluster``, ``fresh_sentinel``: private topologies
  for one test, stopped afterwards.
* ``refusing_server``, ``caplog_all``: for the secret-leak tests (tests/secret_forms.py).
* ``anyio_backend``: ``"asyncio"``, for ``@pytest.mark.anyio`` tests.
* ``tls_files``, ``tls_endpoints`` (TLS proxies in front of ``valkey_server``),
  ``tls_cluster``, ``tls_sentinel`` (TLS-built server; skipped without one): see tests/tls.py.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
import valkey
from servers import (  # tests/ is on sys.path: pytest's rootdir conftest import
    AUTH_PASSWORD,
    start_auth_server,
    start_cluster,
    start_sentinel,
    start_tcp_server,
    start_unix_server,
)
from tls import (
    TlsCluster,
    TlsEndpoints,
    TlsFiles,
    TlsSentinel,
    find_tls_server_binary,
    server_context,
    start_tls_cluster,
    start_tls_sentinel,
    tls_proxy,
    write_tls_files,
)

from valkey_cache.core.embedded import (
    EmbeddedCluster,
    EmbeddedSentinel,
    EmbeddedServer,
    stop_all,
)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    # Fixture finalizers normally stopped everything already; this catches
    # servers left behind by an interrupted run or by a test's own code.
    stop_all()


def _ensure_running(server: EmbeddedServer) -> EmbeddedServer:
    # A misbehaving test may have stopped a shared server: bring it back.
    if not server.is_running():
        server.start()
    return server


@pytest.fixture(scope="session")
def anyio_backend() -> str:
    return "asyncio"


# -- shared, session scope ----------------------------------------------------


@pytest.fixture(scope="session")
def valkey_server() -> Iterator[EmbeddedServer]:
    """Standalone server on 127.0.0.1 (TCP)."""
    server = start_tcp_server()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def valkey_unix_server() -> Iterator[EmbeddedServer]:
    """Standalone server on a unix socket only."""
    server = start_unix_server()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def valkey_auth_server() -> Iterator[EmbeddedServer]:
    """Server with ``requirepass`` (``servers.AUTH_PASSWORD``) and an ACL user
    (``servers.ACL_USERNAME`` / ``servers.ACL_PASSWORD``)."""
    server = start_auth_server()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def valkey_cluster() -> Iterator[EmbeddedCluster]:
    """3 masters + 3 replicas. Call ``valkey_cluster.flushall()`` for a clean slate."""
    cluster = start_cluster()
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(scope="session")
def valkey_sentinel() -> Iterator[EmbeddedSentinel]:
    """Master, replica and 3 sentinels monitoring ``servers.SENTINEL_SERVICE``."""
    topology = start_sentinel()
    try:
        yield topology
    finally:
        topology.stop()


# -- per test -----------------------------------------------------------------


@pytest.fixture
def valkey_url(valkey_server: EmbeddedServer) -> str:
    """``valkey://127.0.0.1:PORT`` of the shared TCP server, flushed."""
    _ensure_running(valkey_server).flushall()
    return valkey_server.url


@pytest.fixture
def valkey_unix_url(valkey_unix_server: EmbeddedServer) -> str:
    """``unix:///...sock`` of the shared unix-socket server, flushed."""
    _ensure_running(valkey_unix_server).flushall()
    return valkey_unix_server.url


@pytest.fixture
def raw_valkey(valkey_server: EmbeddedServer, valkey_url: str) -> Iterator[valkey.Valkey]:
    """Plain ``valkey.Valkey`` (bytes replies) on the shared TCP server."""
    client = valkey_server.client()
    try:
        yield client
    finally:
        client.close()


@pytest.fixture
def fresh_server() -> Iterator[EmbeddedServer]:
    """A private standalone TCP server for tests that stop, kill or reconfigure it."""
    server = start_tcp_server()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def fresh_cluster() -> Iterator[EmbeddedCluster]:
    """A private 3+3 cluster for destructive (failover) tests."""
    cluster = start_cluster()
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture
def fresh_sentinel() -> Iterator[EmbeddedSentinel]:
    """A private sentinel topology for destructive (failover) tests."""
    topology = start_sentinel()
    try:
        yield topology
    finally:
        topology.stop()


# -- TLS (tests/tls.py) ---------------------------------------------------------


@pytest.fixture(scope="session")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> TlsFiles:
    """The session's CAs and certificates (PEM files)."""
    return write_tls_files(tmp_path_factory.mktemp("tls"))


@pytest.fixture(scope="session")
def tls_endpoints(valkey_server: EmbeddedServer, tls_files: TlsFiles) -> Iterator[TlsEndpoints]:
    """Proxies speaking TLS to the client and plaintext to the shared server."""
    files = tls_files
    upstream = valkey_server.address
    endpoints = TlsEndpoints(
        files,
        tls_proxy(upstream, server_context(files.server)).start(),
        tls_proxy(upstream, server_context(files.untrusted_server)).start(),
        tls_proxy(upstream, server_context(files.wrong_host)).start(),
        tls_proxy(upstream, server_context(files.server, client_ca=files.ca)).start(),
    )
    try:
        yield endpoints
    finally:
        for proxy in (endpoints.trusted, endpoints.untrusted, endpoints.wrong_host, endpoints.mutual):
            proxy.stop()


@pytest.fixture(scope="session")
def tls_server_binary() -> Path:
    """A valkey-server/redis-server built with TLS; the test is skipped without one."""
    binary, reason = find_tls_server_binary()
    if binary is None:
        pytest.skip(f"no TLS-built server: {reason}")
    return binary


@pytest.fixture(scope="session")
def tls_cluster(tls_server_binary: Path, tls_files: TlsFiles) -> Iterator[TlsCluster]:
    """3 masters (no replicas) speaking TLS to clients and on the cluster bus."""
    cluster = start_tls_cluster(tls_server_binary, tls_files)
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(scope="session")
def tls_sentinel(tls_server_binary: Path, tls_files: TlsFiles) -> Iterator[TlsSentinel]:
    """Master, replica and 2 sentinels, every link over TLS."""
    topology = start_tls_sentinel(tls_server_binary, tls_files)
    try:
        yield topology
    finally:
        topology.stop()


# -- secrets (tests/secret_forms.py) ------------------------------------------------


@pytest.fixture(scope="session")
def refusing_server() -> Iterator[EmbeddedServer]:
    """A server whose password is not SECRET: every form in tests/secret_forms.py is refused there."""
    with EmbeddedServer({"requirepass": AUTH_PASSWORD}, name="secrets") as server:
        yield server


@pytest.fixture
def caplog_all(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    """``caplog`` recording every level, so no log record escapes the search."""
    caplog.set_level(logging.DEBUG)
    return caplog
