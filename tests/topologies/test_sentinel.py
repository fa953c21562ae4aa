"""The Sentinel client: writes to the master Sentinel names, replica reads, failover."""

from __future__ import annotations

import time
from typing import Any

import pytest
from cachetest import EitherCache, make_cache

from valkey_cache.core import Cache, ConfigurationError, ConnectionInterrupted
from valkey_cache.core.client import SentinelClient
from valkey_cache.core.client.sentinel import sentinel_locations
from valkey_cache.core.embedded import EmbeddedSentinel, EmbeddedServer

pytestmark = pytest.mark.anyio

CLIENTS = {
    "sync": "valkey_cache.core.client.SentinelClient",
    "async": "valkey_cache.core.client.AsyncSentinelClient",
}


def sentinel_cache(kind: str, topology: EmbeddedSentinel, *locations: str, **options: Any) -> EitherCache:
    service = f"valkey://{topology.service_name}/0"
    return make_cache(
        kind,
        [service, *locations] if locations else service,
        client_class=CLIENTS[kind],
        sentinels=topology.sentinels,
        **options,
    )


def get_calls(server: EmbeddedServer) -> int:
    stats = server.info("commandstats").get("cmdstat_get", "calls=0")
    return int(stats.split(",")[0].split("=")[1])


@pytest.fixture
def topology(valkey_sentinel: EmbeddedSentinel) -> EmbeddedSentinel:
    valkey_sentinel.current_master_server().flushall()
    return valkey_sentinel


def test_master_location_comes_first() -> None:
    assert sentinel_locations(["valkey://svc/0?is_master=0", "valkey://svc/0"]) == [
        "valkey://svc/0",
        "valkey://svc/0?is_master=0",
    ]
    assert sentinel_locations("valkey://svc/1?is_master=false&x=1") == [
        "valkey://svc/1?x=1",
        "valkey://svc/1?is_master=false&x=1",
    ]


async def test_writes_go_to_the_master_reads_to_the_replica(kind: str, topology: EmbeddedSentinel) -> None:
    # The replica location is listed first: the client still writes to the master.
    service = f"valkey://{topology.service_name}/0"
    cache = make_cache(
        kind,
        [f"{service}?is_master=0", service],
        client_class=CLIENTS[kind],
        sentinels=topology.sentinels,
    )
    master, replica = topology.current_master_server(), topology.replica
    assert await cache.set("k", "v") is True
    assert await cache.set_many({"a": 1, "b": 2}) == []
    assert master.execute("EXISTS", ":1:k", ":1:a", ":1:b") == 3
    master.execute("WAIT", 1, 2000)
    before = get_calls(replica), get_calls(master)
    for _ in range(10):
        assert await cache.get("k") == "v"
    assert get_calls(replica) - before[0] >= 10
    assert get_calls(master) == before[1]


async def test_one_location_uses_the_master_for_everything(kind: str, topology: EmbeddedSentinel) -> None:
    cache = sentinel_cache(kind, topology, socket_timeout=2, sentinel_kwargs={"socket_timeout": 1})
    assert await cache.set("k", 1) is True
    assert await cache.incr("k") == 2
    assert await cache.get("k") == 2
    assert topology.current_master_server().execute("GET", ":1:k") == b"2"


def test_configuration_errors(topology: EmbeddedSentinel) -> None:
    url = f"valkey://{topology.service_name}/0"
    with pytest.raises(ConfigurationError, match="SENTINELS"):
        Cache(url, client_class=SentinelClient)
    with pytest.raises(ConfigurationError, match="SENTINELS"):
        Cache(url, client_class=SentinelClient, sentinels=["127.0.0.1"])
    with pytest.raises(ConfigurationError, match="CONNECTION_POOL_CLASS"):
        Cache(
            url,
            client_class=SentinelClient,
            sentinels=topology.sentinels,
            connection_pool_class="valkey.connection.ConnectionPool",
        )
    with pytest.raises(ConfigurationError, match="SENTINEL_KWARGS"):
        Cache(url, client_class=SentinelClient, sentinels=topology.sentinels, sentinel_kwargs=3)


@pytest.mark.slow
@pytest.mark.timeout(60)
async def test_failover_recovers_without_restart(fresh_sentinel: EmbeddedSentinel) -> None:
    """Sync and async clients, with and without IGNORE_EXCEPTIONS, through one failover."""
    options: dict[str, Any] = {"socket_timeout": 1, "socket_connect_timeout": 1}
    tolerant = {
        kind: sentinel_cache(kind, fresh_sentinel, ignore_exceptions=True, **options) for kind in CLIENTS
    }
    strict = {kind: sentinel_cache(kind, fresh_sentinel, **options) for kind in CLIENTS}
    for cache in [*tolerant.values(), *strict.values()]:
        assert await cache.set("before", 1) is True

    old_master = fresh_sentinel.master
    started = time.monotonic()
    old_master.kill()
    recovered: dict[str, float] = {}
    promoted = None
    while len(recovered) < 4:
        elapsed = time.monotonic() - started
        assert elapsed < 25, f"not recovered after {elapsed:.1f}s: {recovered}"
        if promoted is None and fresh_sentinel.current_master() != old_master.address:
            promoted = elapsed
        for kind in CLIENTS:
            # No error ever surfaces with IGNORE_EXCEPTIONS: a miss or a failed write.
            if f"{kind} ignore" not in recovered and await tolerant[kind].set("k", kind) is True:
                assert await tolerant[kind].get("k") == kind
                recovered[f"{kind} ignore"] = elapsed
            if f"{kind} strict" not in recovered:
                try:
                    if await strict[kind].set("s", kind) is True:
                        recovered[f"{kind} strict"] = elapsed
                except ConnectionInterrupted:
                    pass
        time.sleep(0.05)

    new_master = fresh_sentinel.current_master_server()
    assert new_master is fresh_sentinel.replica
    assert new_master.execute("GET", ":1:before") == b"1"  # replicated before the crash
    assert new_master.execute("EXISTS", ":1:k", ":1:s") == 2  # writes reach the new master
    if promoted is None:  # seen by the clients before this loop looked
        promoted = max(recovered.values())
    print(f"\nsentinel: new master named by {promoted:.2f}s after the crash")
    for name, seconds in sorted(recovered.items(), key=lambda item: item[1]):
        print(f"sentinel: {name} client serving again {seconds:.2f}s after the crash")
