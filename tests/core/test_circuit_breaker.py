"""The circuit breaker: a hung or failing server is not waited on call after call.

Every test runs a real server behind ``tests/proxy.py`` (or a real cluster node that is
paused) and counts what reached the network: connections the proxy accepted, or the
cause of an error being ``CircuitOpenError`` (raised before any I/O). Nothing is timed.
"""

from __future__ import annotations

import asyncio
import os
import signal
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from cachetest import make_cache
from proxy import TcpProxy
from valkey.crc import key_slot

from valkey_cache.core import Cache, ConfigurationError, ConnectionInterrupted, breaker
from valkey_cache.core.breaker import BreakerSettings, CircuitOpenError, breaker_for
from valkey_cache.core.client import AsyncClusterClient, ClusterClient
from valkey_cache.core.embedded import EmbeddedCluster, EmbeddedServer

pytestmark = pytest.mark.anyio

LONG = {"FAILURES": 3, "RESET_TIMEOUT": 60}  # no probe during the test
SHORT = {"FAILURES": 2, "RESET_TIMEOUT": 0.2}


@pytest.fixture(autouse=True)
def _closed_circuits() -> None:
    """Each test starts with no breaker state (as a new process would)."""
    breaker._BREAKERS.clear()


@pytest.fixture
def proxy(valkey_server: EmbeddedServer, valkey_url: str) -> Iterator[TcpProxy]:
    """A proxy in front of the shared server (flushed); a fresh port, so fresh breakers."""
    with TcpProxy(valkey_server.address) as running:
        yield running


def wait_for_probe(settings: dict[str, Any]) -> None:
    """Let the reset timeout pass (a wait on the breaker's clock, not an assertion)."""
    time.sleep(settings["RESET_TIMEOUT"] * 1.5)


async def open_circuit(cache: Any, proxy: TcpProxy, failures: int) -> None:
    proxy.mode = "blackhole"
    for _ in range(failures):
        with pytest.raises(ConnectionInterrupted):
            await cache.get("k")
    assert proxy.accepted == failures


async def test_hung_server_is_asked_only_failures_times(kind: str, proxy: TcpProxy) -> None:
    # The issue: accepts connections, never answers; 20 gets waited 0.5 s each.
    proxy.mode = "blackhole"
    cache = make_cache(kind, proxy.url(), socket_timeout=0.5, ignore_exceptions=True, circuit_breaker=LONG)
    results = [await cache.get("k", "default") for _ in range(20)]
    assert results == ["default"] * 20
    assert proxy.accepted == 3
    assert await cache.set("k", 1) is False
    assert proxy.accepted == 3


async def test_open_circuit_raises_naming_the_server_not_the_password(kind: str, proxy: TcpProxy) -> None:
    url = f"valkey://:hunter2@127.0.0.1:{proxy.port}/0"
    cache = make_cache(kind, url, socket_timeout=0.2, retries=0, circuit_breaker=LONG)
    await open_circuit(cache, proxy, 3)
    with pytest.raises(ConnectionInterrupted) as info:
        await cache.get("k")
    assert isinstance(info.value.__cause__, CircuitOpenError)
    message = str(info.value)
    assert "circuit breaker open" in message
    assert f"127.0.0.1:{proxy.port}" in message
    assert "hunter2" not in message
    assert "hunter2" not in repr(info.value)
    with pytest.raises(ConnectionInterrupted):
        await cache.set("k", 1)
    assert proxy.accepted == 3


async def test_one_probe_after_the_reset_timeout_then_service_resumes(
    kind: str, proxy: TcpProxy, valkey_server: EmbeddedServer
) -> None:
    cache = make_cache(kind, proxy.url(), socket_timeout=0.2, retries=0, circuit_breaker=SHORT)
    await open_circuit(cache, proxy, 2)
    proxy.mode = "pass"
    with pytest.raises(ConnectionInterrupted):  # still open: the server is not asked
        await cache.get("k")
    assert proxy.accepted == 2
    Cache(valkey_server.url).set("k", "back")
    wait_for_probe(SHORT)
    assert await cache.get("k") == "back"  # the probe
    assert proxy.accepted == 3
    for i in range(5):
        assert await cache.set(f"n{i}", i) is True
        assert await cache.get(f"n{i}") == i
    assert proxy.accepted == 3  # the probe's connection serves on


async def test_a_failed_probe_opens_the_circuit_again(kind: str, proxy: TcpProxy) -> None:
    cache = make_cache(kind, proxy.url(), socket_timeout=0.2, retries=0, circuit_breaker=SHORT)
    await open_circuit(cache, proxy, 2)
    wait_for_probe(SHORT)
    with pytest.raises(ConnectionInterrupted) as probe:
        await cache.get("k")
    assert not isinstance(probe.value.__cause__, CircuitOpenError)
    assert proxy.accepted == 3
    with pytest.raises(ConnectionInterrupted) as refused:
        await cache.get("k")
    assert isinstance(refused.value.__cause__, CircuitOpenError)
    assert proxy.accepted == 3
    proxy.mode = "pass"
    wait_for_probe(SHORT)
    assert await cache.set("k", 1) is True
    assert await cache.get("k") == 1
    assert proxy.accepted == 4


def test_threads_on_an_open_circuit_send_one_probe(proxy: TcpProxy) -> None:
    settings = {"FAILURES": 1, "RESET_TIMEOUT": 0.3}
    cache = Cache(
        proxy.url(), socket_timeout=0.3, retries=0, ignore_exceptions=True, circuit_breaker=settings
    )
    proxy.mode = "blackhole"
    assert cache.get("k", "d") == "d"
    assert proxy.accepted == 1
    wait_for_probe(settings)
    barrier = threading.Barrier(8)
    results: list[Any] = []

    def worker() -> None:
        barrier.wait()
        results.append(cache.get("k", "d"))

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == ["d"] * 8
    assert proxy.accepted == 2  # one probe; seven refused at once


async def test_asyncio_tasks_on_an_open_circuit_send_one_probe(proxy: TcpProxy) -> None:
    settings = {"FAILURES": 1, "RESET_TIMEOUT": 0.3}
    cache = make_cache("async", proxy.url(), socket_timeout=0.3, retries=0, circuit_breaker=settings)
    proxy.mode = "blackhole"
    with pytest.raises(ConnectionInterrupted):
        await cache.get("k")
    wait_for_probe(settings)
    outcomes = await asyncio.gather(*(cache.get("k") for _ in range(8)), return_exceptions=True)
    causes = [type(error.__cause__) for error in outcomes if isinstance(error, ConnectionInterrupted)]
    assert len(causes) == 8
    assert causes.count(CircuitOpenError) == 7
    assert proxy.accepted == 2


async def test_a_reply_resets_the_count(kind: str, proxy: TcpProxy) -> None:
    cache = make_cache(kind, proxy.url(), retries=0, circuit_breaker={"FAILURES": 2, "RESET_TIMEOUT": 60})
    assert await cache.set("k", 1) is True
    for _ in range(3):
        proxy.cut_next_reply()
        with pytest.raises(ConnectionInterrupted) as info:
            await cache.get("k")
        assert not isinstance(info.value.__cause__, CircuitOpenError)
        assert await cache.get("k") == 1  # reconnects: the server is asked again
    assert proxy.accepted == 4


async def test_error_replies_are_not_failures(kind: str, proxy: TcpProxy) -> None:
    cache = make_cache(kind, proxy.url(), retries=0, circuit_breaker={"FAILURES": 1, "RESET_TIMEOUT": 60})
    await cache.set("k", "not a number")
    for _ in range(3):
        with pytest.raises(Exception) as info:  # noqa: PT011  (the server's WRONGTYPE-like reply)
            await cache.incr("k", ignore_key_check=True)
        assert not isinstance(info.value, ConnectionInterrupted)
    assert await cache.get("k") == "not a number"


async def test_turned_off_every_call_waits_for_the_server(kind: str, proxy: TcpProxy) -> None:
    proxy.mode = "blackhole"
    cache = make_cache(kind, proxy.url(), socket_timeout=0.1, ignore_exceptions=True, circuit_breaker=False)
    assert [await cache.get("k", "d") for _ in range(6)] == ["d"] * 6
    assert proxy.accepted == 6


async def test_caches_with_other_settings_have_their_own_pool(kind: str, proxy: TcpProxy) -> None:
    guarded = make_cache(kind, proxy.url(), socket_timeout=0.1, retries=0, circuit_breaker={"FAILURES": 1})
    unguarded = make_cache(kind, proxy.url(), socket_timeout=0.1, retries=0, circuit_breaker=False)
    proxy.mode = "blackhole"
    for cache in (guarded, unguarded, guarded, unguarded):
        with pytest.raises(ConnectionInterrupted):
            await cache.get("k")
    assert proxy.accepted == 3


def test_a_forked_child_starts_with_closed_circuits(proxy: TcpProxy) -> None:
    cache = Cache(proxy.url(), socket_timeout=0.2, retries=0, circuit_breaker=LONG)
    proxy.mode = "blackhole"
    for _ in range(3):
        with pytest.raises(ConnectionInterrupted):
            cache.get("k")
    proxy.mode = "pass"
    pid = os.fork()
    if pid == 0:  # the child: report by exit status only
        try:
            code = 0 if cache.set("k", "child") is True else 1
        except BaseException:
            code = 2
        os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    with pytest.raises(ConnectionInterrupted):  # the parent's circuit is still open
        cache.get("k")
    assert proxy.accepted == 4


@pytest.mark.parametrize(
    ("value", "named"),
    [
        ("yes", "CIRCUIT_BREAKER="),
        (3, "CIRCUIT_BREAKER="),
        ({"FAILURES": 0}, "CIRCUIT_BREAKER['FAILURES']"),
        ({"FAILURES": "3"}, "CIRCUIT_BREAKER['FAILURES']"),
        ({"FAILURES": True}, "CIRCUIT_BREAKER['FAILURES']"),
        ({"RESET_TIMEOUT": 0}, "CIRCUIT_BREAKER['RESET_TIMEOUT']"),
        ({"RESET_TIMEOUT": "1"}, "CIRCUIT_BREAKER['RESET_TIMEOUT']"),
        ({"RESET": 1}, "CIRCUIT_BREAKER['RESET']"),
    ],
)
def test_bad_values_raise_naming_the_option(value: Any, named: str, valkey_url: str) -> None:
    with pytest.raises(ConfigurationError) as info:
        Cache(valkey_url, circuit_breaker=value)
    assert named in str(info.value)
    assert "expected" in str(info.value)


def test_default_and_accepted_values(valkey_url: str) -> None:
    from valkey_cache.core.breaker import breaker_settings

    assert breaker_settings({}) == BreakerSettings(3, 1.0)
    assert breaker_settings({"CIRCUIT_BREAKER": True}) == BreakerSettings(3, 1.0)
    assert breaker_settings({"CIRCUIT_BREAKER": False}) is None
    assert breaker_settings({"CIRCUIT_BREAKER": {"FAILURES": 5, "RESET_TIMEOUT": 2}}) == BreakerSettings(
        5, 2.0
    )
    assert Cache(valkey_url, circuit_breaker={"RESET_TIMEOUT": 0.5}).set("k", 1) is True


# -- shard and cluster: one server's circuit, the others serve -----------------------


async def test_shard_keeps_serving_the_healthy_shard(kind: str, proxy: TcpProxy, valkey_url: str) -> None:
    client_class = {
        "sync": "valkey_cache.core.client.ShardClient",
        "async": "valkey_cache.core.client.AsyncShardClient",
    }
    cache = make_cache(
        kind,
        [valkey_url, proxy.url()],
        client_class=client_class[kind],
        socket_timeout=0.2,
        retries=0,
        ignore_exceptions=True,
        circuit_breaker=LONG,
    )
    client = cache.inner.client
    names = [f"k{i}" for i in range(40)]
    healthy = [n for n in names if client.get_server_name(cache.inner.make_key(n)) == valkey_url]
    hung = [n for n in names if n not in healthy]
    assert healthy
    assert len(hung) >= 5
    proxy.mode = "blackhole"
    for name in hung:
        assert await cache.set(name, name) is False
        assert await cache.get(name, "d") == "d"
    assert proxy.accepted == 3
    for name in healthy:
        assert await cache.set(name, name) is True
        assert await cache.get(name) == name


@pytest.fixture
def paused() -> Iterator[list[EmbeddedServer]]:
    """Nodes a test paused (SIGSTOP: connections are accepted, nothing is answered); resumed after."""
    nodes: list[EmbeddedServer] = []
    yield nodes
    for node in nodes:
        if node.pid is not None:
            os.kill(node.pid, signal.SIGCONT)


async def test_cluster_keeps_serving_the_other_masters(
    kind: str, fresh_cluster: EmbeddedCluster, paused: list[EmbeddedServer]
) -> None:
    valkey_cluster = fresh_cluster  # pausing a node past the node timeout fails it over
    clients: dict[str, Any] = {"sync": ClusterClient, "async": AsyncClusterClient}
    cache = make_cache(
        kind,
        valkey_cluster.url,
        client_class=clients[kind],
        key_prefix="cb",
        socket_timeout=0.3,
        circuit_breaker=LONG,
    )
    hung_node = valkey_cluster.masters[1]
    by_port: dict[int, list[str]] = {}
    for i in range(300):
        made = cache.inner.make_key(f"k{i}")
        by_port.setdefault(valkey_cluster.master_for_slot(key_slot(made.encode())).port, []).append(f"k{i}")
    assert await cache.get("warm-up") is None  # topology and command table loaded
    assert hung_node.pid is not None
    os.kill(hung_node.pid, signal.SIGSTOP)
    paused.append(hung_node)
    causes = []
    for name in by_port[hung_node.port][:8]:
        with pytest.raises(ConnectionInterrupted) as info:
            await cache.get(name)
        causes.append(type(info.value.__cause__))
    assert causes[-3:] == [CircuitOpenError] * 3  # refused without waiting
    assert breaker_for(f"127.0.0.1:{hung_node.port}", BreakerSettings(3, 60.0)).is_open
    for port, names in by_port.items():
        if port == hung_node.port:
            continue
        for name in names[:5]:
            assert await cache.set(name, name) is True
            assert await cache.get(name) == name
        assert not breaker_for(f"127.0.0.1:{port}", BreakerSettings(3, 60.0)).is_open


async def test_the_breaker_wraps_the_connection_class_valkey_py_picked(
    kind: str, valkey_unix_url: str
) -> None:
    from valkey.asyncio.connection import UnixDomainSocketConnection as AsyncUnix
    from valkey.connection import UnixDomainSocketConnection

    from valkey_cache.core.breaker import AsyncBreakerConnection, SyncBreakerConnection

    cache = make_cache(kind, valkey_unix_url, circuit_breaker=LONG)
    assert await cache.set("k", 1) is True
    conn = cache.inner.client.get_client()
    if kind == "async":
        conn = await conn
    cls = conn.connection_pool.connection_class
    expected = (
        (AsyncBreakerConnection, AsyncUnix)
        if kind == "async"
        else (SyncBreakerConnection, UnixDomainSocketConnection)
    )
    assert issubclass(cls, expected[0])
    assert issubclass(cls, expected[1])
    assert any(key[0].startswith("unix://") for key in breaker._BREAKERS)
