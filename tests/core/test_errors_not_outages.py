"""Errors that are not outages raise even under IGNORE_EXCEPTIONS; READONLY after a demotion.

A refused password, a disabled user, an ACL denial (NOPERM) and an untrusted TLS
certificate cannot be fixed by waiting, so they are never turned into misses. A write
that gets READONLY (the primary behind the address was demoted) reconnects the pool
and is retried once.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
import valkey
from cachetest import EitherCache, make_cache
from proxy import TcpProxy
from servers import ACL_PASSWORD, ACL_USERNAME, AUTH_PASSWORD, wait_until

from valkey_cache.core import ConnectionInterrupted
from valkey_cache.core.embedded import EmbeddedCluster, EmbeddedSentinel, EmbeddedServer
from valkey_cache.core.exceptions import (
    AuthenticationFailed,
    CertificateNotTrusted,
    PermissionDenied,
    ReadOnlyServer,
    ServerRefused,
)

pytestmark = pytest.mark.anyio

WRONG = "not-the-password-42"
GHOST = "ghost"  # a disabled user, added to the shared auth server
GHOST_PASSWORD = "ghost-secret"
LIMITED = "limited"  # may touch only keys under "allowed:"
LIMITED_PASSWORD = "limited-secret"
CLUSTER_PASSWORD = "cluster-secret"


@pytest.fixture(scope="module")
def auth_server(valkey_auth_server: EmbeddedServer) -> EmbeddedServer:
    valkey_auth_server.execute("ACL", "SETUSER", GHOST, "reset", "off", f">{GHOST_PASSWORD}", "~*", "+@all")
    valkey_auth_server.execute(
        "ACL", "SETUSER", LIMITED, "reset", "on", f">{LIMITED_PASSWORD}", "~allowed:*", "+@all", "-@dangerous"
    )
    return valkey_auth_server


def url_for(server: EmbeddedServer, user: str, password: str | None) -> str:
    credentials = f"{user}:{password}@" if password is not None else ""
    return f"valkey://{credentials}{server.host}:{server.port}/0"


def ignoring(kind: str, url: str, **options: object) -> EitherCache:
    return make_cache(
        kind, url, ignore_exceptions=True, log_ignored_exceptions=True, logger="errors.test", **options
    )


def assert_secret_absent(secret: str, exc: BaseException, caplog: pytest.LogCaptureFixture) -> None:
    assert secret not in str(exc)
    assert secret not in repr(exc)
    assert all(secret not in record.getMessage() for record in caplog.records)


# -- authentication ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("user", "password", "reason"),
    [
        (ACL_USERNAME, WRONG, "invalid username-password pair or user is disabled"),
        ("default", WRONG, "invalid username-password pair or user is disabled"),
        (GHOST, GHOST_PASSWORD, "invalid username-password pair or user is disabled"),
    ],
    ids=["wrong-password", "wrong-default-password", "disabled-user"],
)
async def test_refused_login_raises_under_ignore_exceptions(
    kind: str,
    auth_server: EmbeddedServer,
    caplog: pytest.LogCaptureFixture,
    user: str,
    password: str,
    reason: str,
) -> None:
    cache = ignoring(kind, url_for(auth_server, user, password))
    with caplog.at_level(logging.DEBUG):
        # The first call connects through the command driver, the next ones take the
        # direct path; a multi-key command and an iterator take the driver.
        for call in (
            lambda: cache.get("k"),
            lambda: cache.get("k"),
            lambda: cache.set("k", 1),
            lambda: cache.get_many(["a", "b"]),
            lambda: cache.collect("iter_keys", "*"),
        ):
            with pytest.raises(AuthenticationFailed) as info:
                await call()
            error = info.value
            assert (
                str(error)
                == f"Valkey server {auth_server.host}:{auth_server.port} refused user {user!r}: {reason}"
            )
            assert (error.server, error.user) == (f"{auth_server.host}:{auth_server.port}", user)
            assert_secret_absent(password, error, caplog)
    # Code written for valkey-py catches its own class.
    with pytest.raises(valkey.exceptions.AuthenticationError):
        await cache.delete("k")


async def test_missing_password_is_noauth(kind: str, auth_server: EmbeddedServer) -> None:
    cache = ignoring(kind, url_for(auth_server, "", None))
    with pytest.raises(AuthenticationFailed, match="refused user 'default': Authentication required"):
        await cache.get("k")
    with pytest.raises(AuthenticationFailed):
        await cache.set("k", 1)


async def test_right_password_still_works(kind: str, auth_server: EmbeddedServer) -> None:
    cache = ignoring(kind, url_for(auth_server, ACL_USERNAME, ACL_PASSWORD), key_prefix="ok")
    assert await cache.set("k", 1) is True
    assert await cache.get("k") == 1
    assert await cache.delete("k") is True


def test_password_option_is_not_in_the_error(
    auth_server: EmbeddedServer, caplog: pytest.LogCaptureFixture
) -> None:
    from valkey_cache.core import Cache

    cache = Cache(
        f"valkey://{auth_server.host}:{auth_server.port}/0",
        username=ACL_USERNAME,
        password=WRONG,
        ignore_exceptions=True,
        log_ignored_exceptions=True,
    )
    with (
        caplog.at_level(logging.DEBUG),
        pytest.raises(AuthenticationFailed, match="refused user 'app'") as info,
    ):
        cache.get("k")
    assert_secret_absent(WRONG, info.value, caplog)
    assert AUTH_PASSWORD not in str(info.value)


# -- ACL denials -----------------------------------------------------------------------------


async def test_noperm_raises_under_ignore_exceptions(kind: str, auth_server: EmbeddedServer) -> None:
    cache = ignoring(kind, url_for(auth_server, LIMITED, LIMITED_PASSWORD), key_prefix="denied")
    where = f"{auth_server.host}:{auth_server.port}"
    for call, command in (
        (lambda: cache.get("k"), "GET"),
        (lambda: cache.get("k"), "GET"),  # the direct path
        (lambda: cache.set("k", 1), "SET"),
        (lambda: cache.delete("k"), "UNLINK"),
        (lambda: cache.get_many(["a", "b"]), "MGET"),
        (lambda: cache.incr("k"), "EVALSHA"),
    ):
        with pytest.raises(PermissionDenied) as info:
            await call()
        assert str(info.value).startswith(
            f"{command} was denied to user 'limited' on Valkey server {where}: "
        )
        assert LIMITED_PASSWORD not in repr(info.value)
        assert isinstance(info.value, valkey.exceptions.NoPermissionError)
    # A command outside the user's categories is named by the server's reply.
    with pytest.raises(PermissionDenied, match=r"^FLUSHDB was denied to user 'limited'.*CLEAR_SCOPE"):
        await cache.clear()


# -- TLS -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> object:
    tls = pytest.importorskip("tls")
    return tls.write_tls_files(Path(tmp_path_factory.mktemp("tls")))


@pytest.mark.parametrize(
    ("chain", "reason"),
    [("untrusted_server", "unable to get local issuer certificate"), ("wrong_host", "mismatch")],
)
async def test_untrusted_certificate_raises_under_ignore_exceptions(
    kind: str, valkey_server: EmbeddedServer, tls_files: object, chain: str, reason: str
) -> None:
    import tls

    with tls.tls_proxy(valkey_server.address, tls.server_context(getattr(tls_files, chain))) as proxy:
        cache = ignoring(kind, tls.tls_url(proxy), connection_pool_kwargs={"ssl_ca_certs": str(tls_files.ca)})  # type: ignore[attr-defined]
        for _ in range(2):
            with pytest.raises(CertificateNotTrusted, match=reason) as info:
                await cache.get("k")
            assert str(info.value).startswith(
                f"TLS certificate of Valkey server 127.0.0.1:{proxy.port} was not trusted: "
            )
        with pytest.raises(CertificateNotTrusted):
            await cache.set("k", 1)


# -- cluster ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def auth_cluster() -> Iterator[EmbeddedCluster]:
    cluster = EmbeddedCluster(masters=3, replicas_per_master=0, password=CLUSTER_PASSWORD).start()
    try:
        yield cluster
    finally:
        cluster.stop()


async def test_cluster_wrong_password_raises(
    kind: str, auth_cluster: EmbeddedCluster, caplog: pytest.LogCaptureFixture
) -> None:
    node = auth_cluster.masters[0]
    client_class = "AsyncClusterClient" if kind == "async" else "ClusterClient"
    cache = ignoring(kind, url_for(node, "", WRONG), client_class=f"valkey_cache.core.client.{client_class}")
    with caplog.at_level(logging.DEBUG):
        for _ in range(2):
            with pytest.raises(AuthenticationFailed) as info:
                await cache.get("k")
            assert str(info.value).startswith(
                f"Valkey server {node.host}:{node.port} refused user 'default': "
            )
            assert_secret_absent(WRONG, info.value, caplog)
    good = make_cache(
        kind,
        f"valkey://:{CLUSTER_PASSWORD}@{node.host}:{node.port}/0",
        client_class=f"valkey_cache.core.client.{client_class}",
    )
    assert await good.set("k", 1) is True


@pytest.fixture(scope="module")
def auth_sentinel() -> Iterator[EmbeddedSentinel]:
    topology = EmbeddedSentinel("authmaster", sentinels=1, quorum=1, password=CLUSTER_PASSWORD).start()
    try:
        yield topology
    finally:
        topology.stop()


async def test_sentinel_wrong_password_raises(kind: str, auth_sentinel: EmbeddedSentinel) -> None:
    client_class = "AsyncSentinelClient" if kind == "async" else "SentinelClient"
    options = {
        "client_class": f"valkey_cache.core.client.{client_class}",
        "sentinels": auth_sentinel.sentinels,
    }
    cache = ignoring(kind, "valkey://authmaster/0", password=WRONG, **options)
    for _ in range(2):
        with pytest.raises(
            AuthenticationFailed, match="sentinel service 'authmaster' refused user 'default'"
        ):
            await cache.set("k", 1)
    good = make_cache(kind, "valkey://authmaster/0", password=CLUSTER_PASSWORD, **options)
    assert await good.set("k", 1) is True


def test_refusals_are_not_outages() -> None:
    assert issubclass(AuthenticationFailed, ServerRefused)
    assert not issubclass(AuthenticationFailed, ConnectionInterrupted)
    assert not issubclass(PermissionDenied, ConnectionInterrupted)
    assert not issubclass(CertificateNotTrusted, ConnectionInterrupted)


# -- READONLY after a demotion ---------------------------------------------------------------


class Pair:
    """Primary ``a`` with replica ``b``, reached through ``proxy`` (pointing at ``a``)."""

    def __init__(self) -> None:
        self.a = EmbeddedServer(name="demote-a").start()
        self.b = EmbeddedServer(name="demote-b").start()
        self.b.execute("REPLICAOF", self.a.host, self.a.port)
        assert wait_until(lambda: self.b.info("replication").get("master_link_status") == "up", 10)
        self.proxy = TcpProxy(self.a.address).start()

    @property
    def url(self) -> str:
        return f"valkey://127.0.0.1:{self.proxy.port}/0"

    def demote_a(self) -> None:
        """Promote ``b``, make ``a`` its replica; new connections reach ``b``."""
        assert self.a.execute("WAIT", 1, 5000) == 1  # ``b`` has every write made so far
        self.b.execute("REPLICAOF", "NO", "ONE")
        self.a.execute("REPLICAOF", self.b.host, self.b.port)
        assert wait_until(lambda: self.a.info("replication").get("role") == "slave", 5)

    def stop(self) -> None:
        self.proxy.stop()
        self.a.stop()
        self.b.stop()


@pytest.fixture
def pair() -> Iterator[Pair]:
    servers = Pair()
    try:
        yield servers
    finally:
        servers.stop()


@pytest.mark.parametrize("command", ["set", "set_many", "delete"])
async def test_write_after_demotion_reconnects_and_retries(kind: str, pair: Pair, command: str) -> None:
    cache = make_cache(kind, pair.url, key_prefix="ro")
    assert await cache.set("k", 1) is True
    assert await cache.set("k", 1) is True  # now on the direct path, one pooled connection
    accepted = pair.proxy.accepted
    pair.demote_a()
    pair.proxy.upstream = pair.b.address
    if command == "set":
        assert await cache.set("k", 2) is True
    elif command == "set_many":
        assert await cache.set_many({"k": 2}) == []
    else:
        assert await cache.delete("k") is True
    assert pair.proxy.accepted == accepted + 1  # one fresh connection, on B
    with pair.b.client() as raw:
        assert raw.info("replication")["role"] == "master"
        stored = raw.get("ro:1:k")
    assert stored == (None if command == "delete" else b"2")  # ints are stored as text
    assert await cache.get("k") == (None if command == "delete" else 2)


async def test_persistent_readonly_raises_after_one_retry(kind: str, pair: Pair) -> None:
    cache = make_cache(kind, pair.url, key_prefix="ro")
    assert await cache.set("k", 1) is True
    pair.demote_a()  # the proxy keeps pointing at A, a replica now
    accepted = pair.proxy.accepted
    with pytest.raises(ReadOnlyServer, match=f"127.0.0.1:{pair.proxy.port} is a read-only replica") as info:
        await cache.set("k", 2)
    assert isinstance(info.value.__cause__, valkey.exceptions.ReadOnlyError)
    assert pair.proxy.accepted == accepted + 1
    with pytest.raises(ReadOnlyServer):
        await cache.set_many({"k": 2})
    assert await cache.get("k") == 1  # reads still work on the replica


async def test_persistent_readonly_is_an_outage_under_ignore_exceptions(
    kind: str, pair: Pair, caplog: pytest.LogCaptureFixture
) -> None:
    cache = ignoring(kind, pair.url, key_prefix="ro")
    assert await cache.set("k", 1) is True
    pair.demote_a()
    with caplog.at_level(logging.WARNING, logger="errors.test"):
        assert await cache.set("k", 2) is False
        assert await cache.delete("k") is False
    assert any(
        record.msg == "Exception ignored" and "read-only replica" in str(record.exc_info[1])
        for record in caplog.records
        if record.exc_info
    )
    assert await cache.get("k") == 1
