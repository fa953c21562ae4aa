"""NEAR_CACHE on Valkey Cluster: a listener per primary, fills on the slot's node, failover."""

from __future__ import annotations

import pickle
import time
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
import valkey
from cachetest import EitherCache, make_cache
from servers import command_calls
from valkey.crc import key_slot

from valkey_cache.core.client import AsyncClusterClient, ClusterClient
from valkey_cache.core.embedded import EmbeddedCluster, EmbeddedServer

pytestmark = pytest.mark.anyio

CLIENTS: dict[str, type[Any]] = {"sync": ClusterClient, "async": AsyncClusterClient}
PREFIX = "nc"


async def eventually(check: Callable[[], Awaitable[bool]], what: str, timeout: float = 10.0) -> None:
    """Poll ``check`` (invalidations and failovers are asynchronous)."""
    deadline = time.monotonic() + timeout
    while not await check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.005)


MODES = ("bcast", "optin")


def near_cluster_cache(kind: str, url: str, mode: str = "bcast", **options: Any) -> EitherCache:
    near = {"MODE": mode}
    cache = make_cache(kind, url, client_class=CLIENTS[kind], key_prefix=PREFIX, near_cache=near, **options)
    assert cache.inner.near_cache.wait_ready(10)
    return cache


def stats(cache: EitherCache) -> dict[str, Any]:
    result = cache.inner.near_cache_stats()
    assert result is not None
    return result


def spread(cluster: EmbeddedCluster, per_master: int = 3) -> list[str]:
    """Names whose made keys fall on every primary, ``per_master`` each."""
    found: dict[int, list[str]] = {}
    for i in range(1000):
        made = f"{PREFIX}:1:k{i}"
        port = cluster.master_for_slot(key_slot(made.encode())).port
        if len(found.setdefault(port, [])) < per_master:
            found[port].append(f"k{i}")
    assert len(found) == len(cluster.current_masters())
    return [name for names in found.values() for name in names]


def raw_cluster(cluster: EmbeddedCluster) -> valkey.ValkeyCluster:
    return valkey.ValkeyCluster.from_url(cluster.url)


def made(name: str) -> str:
    return f"{PREFIX}:1:{name}"


@pytest.fixture
def cluster(valkey_cluster: EmbeddedCluster) -> EmbeddedCluster:
    valkey_cluster.flushall()
    return valkey_cluster


@pytest.mark.parametrize("mode", MODES)
async def test_a_listener_per_primary_and_hits_on_every_node(
    mode: str, kind: str, cluster: EmbeddedCluster
) -> None:
    names = spread(cluster)
    raw = raw_cluster(cluster)
    for name in names:  # before the near cache tracks: no late push drops a warmed copy
        raw.set(made(name), pickle.dumps(name))
    cache = near_cluster_cache(kind, cluster.url, mode)
    try:
        near = cache.inner.near_cache
        assert near.servers == {f"127.0.0.1:{node.port}" for node in cluster.current_masters()}
        for name in names:
            assert await cache.get(name) == name
        before = stats(cache)["hits"]
        for name in names:
            assert await cache.get(name) == name
        assert await cache.has_key(names[0])
        # get_many over several slots is served here too: no key goes to the server.
        assert await cache.get_many(names) == {name: name for name in names}
        assert stats(cache)["hits"] - before == 2 * len(names) + 1
    finally:
        cache.inner.near_cache.close()
        raw.close()


async def test_cold_get_many_fills_from_every_node(kind: str, cluster: EmbeddedCluster) -> None:
    names = spread(cluster)
    raw = raw_cluster(cluster)
    for name in names:
        raw.set(made(name), pickle.dumps(name), px=60_000)
    cache = near_cluster_cache(kind, cluster.url)
    try:
        assert await cache.get_many([*names, "absent"]) == {name: name for name in names}
        held = cache.inner.near_cache.store._entries
        assert {made(name) for name in [*names, "absent"]} <= set(held)
        # The fill read each key's PTTL on its node: the local copy ends with the key.
        assert all(held[made(name)].expires - time.monotonic() <= 60 for name in names)
    finally:
        cache.inner.near_cache.close()
        raw.close()


@pytest.mark.parametrize("mode", MODES)
async def test_writes_by_another_client_on_every_node_invalidate(
    mode: str, kind: str, cluster: EmbeddedCluster
) -> None:
    cache = near_cluster_cache(kind, cluster.url, mode)
    raw = raw_cluster(cluster)
    names = spread(cluster)
    try:
        assert await cache.set_many(dict.fromkeys(names, 0)) == []
        await eventually(
            lambda: _all_cached(cache, names, 0),
            "every key cached",
        )
        for name in names:
            raw.set(made(name), pickle.dumps(1))
        await eventually(lambda: _all_read(cache, names, 1), "every node's invalidations")
        raw.delete(*[made(name) for name in names[:1]])
        await eventually(lambda: _is_none(cache, names[0]), "the other writer's delete")
    finally:
        cache.inner.near_cache.close()
        raw.close()


async def _all_cached(cache: EitherCache, names: list[str], value: Any) -> bool:
    held = cache.inner.near_cache.store._entries
    got = await cache.get_many(names)
    return got == dict.fromkeys(names, value) and all(made(name) in held for name in names)


async def _all_read(cache: EitherCache, names: list[str], value: Any) -> bool:
    return bool(await cache.get_many(names) == dict.fromkeys(names, value))


async def _is_none(cache: EitherCache, name: str) -> bool:
    return await cache.get(name) is None


@pytest.mark.parametrize("mode", MODES)
async def test_reads_its_own_writes(mode: str, kind: str, cluster: EmbeddedCluster) -> None:
    cache = near_cluster_cache(kind, cluster.url, mode)
    names = spread(cluster, per_master=1)
    try:
        for round_ in range(3):
            for name in names:
                assert await cache.set(name, round_)
                assert await cache.get(name) == round_
        await cache.delete_many(names)
        assert await cache.get_many(names) == {}
        await cache.set(names[0], 5)
        await cache.incr(names[0], 2)
        assert await cache.get(names[0]) == 7
    finally:
        cache.inner.near_cache.close()


async def warmed_before_failover(
    cache: EitherCache, cluster: EmbeddedCluster
) -> tuple[list[str], EmbeddedServer, EmbeddedServer]:
    """Keys on every primary, written as "before", replicated and cached; the primary of
    the first one and its replica."""
    names = spread(cluster, per_master=2)
    assert await cache.set_many(dict.fromkeys(names, "before")) == []
    await eventually(lambda: _all_cached(cache, names, "before"), "every key cached")
    victim = cluster.master_for_slot(key_slot(made(names[0]).encode()))
    victim.execute("WAIT", 1, 2000)
    (heir,) = cluster.replicas_of(victim)
    return names, victim, heir


@pytest.mark.slow
@pytest.mark.timeout(90)
async def test_manual_failover_replaces_the_listeners(kind: str, fresh_cluster: EmbeddedCluster) -> None:
    """The old primary stays up as a replica: the cache must find the new primary, drop
    what it holds, listen there, and see its writes."""
    fresh_cluster.flushall()
    cache = near_cluster_cache(kind, fresh_cluster.url)
    raw = raw_cluster(fresh_cluster)
    try:
        names, victim, heir = await warmed_before_failover(cache, fresh_cluster)
        heir.execute("CLUSTER", "FAILOVER")
        heir_name = f"127.0.0.1:{heir.port}"
        near = cache.inner.near_cache

        async def listening_on_heir() -> bool:
            return heir_name in near.servers and stats(cache)["active"]

        await eventually(listening_on_heir, "a listener on the new primary", 30)
        assert f"127.0.0.1:{victim.port}" not in near.servers
        raw.nodes_manager.initialize()
        for name in names:
            raw.set(made(name), pickle.dumps("after"))
        await eventually(lambda: _all_read(cache, names, "after"), "the new primary's invalidations", 20)
    finally:
        cache.inner.near_cache.close()
        raw.close()


@pytest.mark.slow
@pytest.mark.timeout(90)
async def test_a_dead_primary_drops_everything_until_its_heir_is_tracked(
    fresh_cluster: EmbeddedCluster,
) -> None:
    fresh_cluster.flushall()
    options = {"socket_timeout": 1, "socket_connect_timeout": 1}
    cache = near_cluster_cache("sync", fresh_cluster.url, **options)
    raw = raw_cluster(fresh_cluster)
    try:
        names, victim, heir = await warmed_before_failover(cache, fresh_cluster)
        fresh_cluster.kill_node(victim)

        async def dropped() -> bool:
            counted = stats(cache)
            return not counted["active"] and counted["entries"] == 0

        await eventually(dropped, "the copies dropped with the primary")
        heir_name = f"127.0.0.1:{heir.port}"
        near = cache.inner.near_cache

        async def serving_again() -> bool:
            try:  # as without a near cache, reads let the cluster client find the heir
                answered = await cache.get(names[0]) == "before"
            except Exception:
                return False
            return answered and heir_name in near.servers and stats(cache)["active"]

        await eventually(serving_again, "tracking on the promoted replica", 40)
        assert await cache.get_many(names) == dict.fromkeys(names, "before")
        raw.nodes_manager.initialize()
        raw.set(made(names[0]), pickle.dumps("after"))
        await eventually(lambda: _is_value(cache, names[0], "after"), "the heir's invalidation", 20)
    finally:
        cache.inner.near_cache.close()
        raw.close()


async def _is_value(cache: EitherCache, name: str, value: Any) -> bool:
    return bool(await cache.get(name) == value)


@pytest.mark.parametrize("mode", MODES)
async def test_read_from_replicas_fills_from_replicas_and_tracks_them(
    mode: str, kind: str, cluster: EmbeddedCluster
) -> None:
    cache = near_cluster_cache(kind, cluster.url, mode, read_from_replicas=True)
    raw = raw_cluster(cluster)
    names = spread(cluster)
    try:
        near = cache.inner.near_cache
        assert near.servers == {f"127.0.0.1:{node.port}" for node in cluster.nodes}
        for name in names:
            raw.set(made(name), pickle.dumps(0))
        for node in cluster.current_masters():
            node.execute("WAIT", 1, 2000)
        before = command_calls(cluster, "pttl", replicas=True)
        for _ in range(6):  # the client's round robin takes replicas and primaries in turn
            for name in names:
                near.drop(made(name))
                assert await cache.get(name) == 0
        assert command_calls(cluster, "pttl", replicas=True) > before
        await eventually(lambda: _all_cached(cache, names, 0), "every key cached")
        for name in names:
            raw.set(made(name), pickle.dumps(1))
        await eventually(lambda: _all_read(cache, names, 1), "the invalidations, wherever filled from")
    finally:
        cache.inner.near_cache.close()
        raw.close()
