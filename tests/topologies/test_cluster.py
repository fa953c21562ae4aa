"""The cluster client: commands across slots and primaries, options, failover."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from cachetest import EitherCache, make_cache
from servers import command_calls
from valkey.crc import key_slot

from valkey_cache.core import Cache, ConfigurationError, ConnectionInterrupted
from valkey_cache.core.client import AsyncClusterClient, ClusterClient
from valkey_cache.core.embedded import EmbeddedCluster, find_free_port
from valkey_cache.core.exceptions import AuthenticationFailed

pytestmark = pytest.mark.anyio

CLIENTS: dict[str, type[Any]] = {"sync": ClusterClient, "async": AsyncClusterClient}
PASSWORD = "cluster-secret"


def cluster_cache(kind: str, url: str | list[str], **options: Any) -> EitherCache:
    return make_cache(kind, url, client_class=CLIENTS[kind], key_prefix="c", **options)


@pytest.fixture
def cluster(valkey_cluster: EmbeddedCluster) -> EmbeddedCluster:
    valkey_cluster.flushall()
    return valkey_cluster


def owner_port(cluster: EmbeddedCluster, made: str) -> int:
    return cluster.master_for_slot(key_slot(made.encode())).port


def spread_keys(cache: EitherCache, cluster: EmbeddedCluster, per_master: int = 3) -> list[str]:
    """Names whose made keys fall on every primary, ``per_master`` each."""
    found: dict[int, list[str]] = {}
    for i in range(1000):
        port = owner_port(cluster, cache.inner.make_key(f"k{i}"))
        if len(found.setdefault(port, [])) < per_master:
            found[port].append(f"k{i}")
    assert len(found) == 3
    return [name for names in found.values() for name in names]


async def test_set_many_keeps_the_timeout_on_every_slot(kind: str, cluster: EmbeddedCluster) -> None:
    cache = cluster_cache(kind, cluster.url)
    names = spread_keys(cache, cluster)
    assert await cache.set_many({n: n for n in names}, timeout=30) == []
    for name in names:
        made = cache.inner.make_key(name)
        node = cluster.master_for_slot(key_slot(made.encode()))
        assert 28_000 < int(node.execute("PTTL", made)) <= 30_000
    assert await cache.get_many(names) == {n: n for n in names}
    await cache.mset(dict.fromkeys(names, 1), timeout=20)
    assert [0 < await cache.ttl(n) <= 20 for n in names] == [True] * len(names)
    assert await cache.delete_many([*names, "absent"]) == len(names)


async def test_every_primary_is_visited(kind: str, cluster: EmbeddedCluster) -> None:
    cache = cluster_cache(kind, cluster.url)
    names = spread_keys(cache, cluster, per_master=40)
    await cache.set_many(dict.fromkeys(names, 0))
    assert sorted(await cache.keys("k*")) == sorted(names)
    assert sorted(await cache.collect("iter_keys", "k*", itersize=5)) == sorted(names)
    assert await cache.delete_pattern("k*", itersize=7) == len(names)
    await cache.set_many(dict.fromkeys(names, 0))
    assert await cache.clear() is True
    assert [int(node.execute("DBSIZE")) for node in cluster.current_masters()] == [0, 0, 0]


async def test_hash_tags_and_versions(kind: str, cluster: EmbeddedCluster) -> None:
    cache = cluster_cache(kind, cluster.url)
    tagged = [cache.inner.make_key(f"{{order:5}}:{part}") for part in ("a", "b", "c")]
    assert len({key_slot(k.encode()) for k in tagged}) == 1
    assert cache.inner.client.keyslot("{order:5}:a") == key_slot(tagged[0].encode())
    await cache.sadd("{order:5}:a", 1, 2)
    await cache.sadd("{order:5}:b", 2, 3)
    assert await cache.sinterstore("{order:5}:c", "{order:5}:a", "{order:5}:b") == 1  # one SINTERSTORE
    old, new = cache.inner.make_key("moving"), cache.inner.make_key("moving", version=2)
    assert key_slot(old.encode()) != key_slot(new.encode())
    await cache.set("moving", [1], timeout=50)
    assert await cache.incr_version("moving") == 2
    assert await cache.get("moving", version=2) == [1]
    assert 45 <= await cache.ttl("moving", version=2) <= 50


async def test_lock_lives_on_the_node_of_its_key(kind: str, cluster: EmbeddedCluster) -> None:
    cache = cluster_cache(kind, cluster.url)
    lock = await cache.get_lock("job", timeout=5)
    assert await lock.acquire(blocking=False) if kind == "async" else lock.acquire(blocking=False)
    made = cache.inner.make_key("job")
    node = cluster.master_for_slot(key_slot(made.encode()))
    assert node.execute("EXISTS", made) == 1
    await lock.release() if kind == "async" else lock.release()
    assert node.execute("EXISTS", made) == 0


async def test_read_from_replicas(kind: str, cluster: EmbeddedCluster) -> None:
    cache = cluster_cache(kind, cluster.url, read_from_replicas=True)
    names = spread_keys(cache, cluster)
    await cache.set_many({n: n for n in names})
    for node in cluster.current_masters():
        node.execute("WAIT", 1, 2000)
    before = command_calls(cluster, "get", replicas=True)
    for _ in range(10):
        for name in names:
            assert await cache.get(name) == name
    assert command_calls(cluster, "get", replicas=True) > before


@pytest.fixture(scope="module")
def password_cluster() -> Iterator[EmbeddedCluster]:
    with EmbeddedCluster(masters=3, replicas_per_master=0, password=PASSWORD) as cluster:
        yield cluster


async def test_connection_options_apply_to_every_node(kind: str, password_cluster: EmbeddedCluster) -> None:
    url = password_cluster.url  # no password in the URL: it comes from the option
    cache = cluster_cache(
        kind,
        url,
        password=PASSWORD,
        socket_timeout=3,
        socket_connect_timeout=2,
        health_check_interval=5,
        connection_pool_kwargs={"max_connections": 7},
    )
    names = [f"n{i}" for i in range(30)]
    await cache.set_many({n: n for n in names})
    assert await cache.get_many(names) == {n: n for n in names}
    cluster = cache.inner.client.get_client()
    if kind == "async":
        cluster = await cluster
        nodes = cluster.get_nodes()
        assert {n.max_connections for n in nodes} == {7}
        settings = [n.connection_kwargs for n in nodes]
    else:
        pools = [n.valkey_connection.connection_pool for n in cluster.get_nodes()]
        assert {p.max_connections for p in pools} == {7}
        settings = [p.connection_kwargs for p in pools]
    assert len(settings) == 3
    for kwargs in settings:
        assert kwargs["password"] == PASSWORD
        assert kwargs["socket_timeout"] == 3
        assert kwargs["socket_connect_timeout"] == 2
        assert kwargs["health_check_interval"] == 5
    wrong = cluster_cache(kind, url, password="nope", retries=0)
    with pytest.raises(AuthenticationFailed):
        await wrong.get("n1")
    assert PASSWORD not in repr(cache.inner)


async def test_ignore_exceptions_when_the_cluster_is_down(kind: str) -> None:
    url = f"valkey://:secret@127.0.0.1:{find_free_port()}"
    cache = cluster_cache(kind, url, ignore_exceptions=True, retries=0, socket_connect_timeout=0.5)
    assert await cache.get("k", "dflt") == "dflt"
    assert await cache.set("k", 1) is False
    assert await cache.get_many(["a", "b"]) == {}
    assert await cache.set_many({"a": 1}) == ["a"]  # the keys not stored, as Django says
    assert await cache.keys("*") == []
    assert await cache.collect("iter_keys", "*") == []
    assert await cache.delete_pattern("*") == 0
    strict = cluster_cache(kind, url, retries=0, socket_connect_timeout=0.5)
    with pytest.raises(ConnectionInterrupted) as info:
        await strict.get("k")
    assert "secret" not in str(info.value)


def test_configuration_errors(valkey_url: str) -> None:
    with pytest.raises(ConfigurationError, match="LOCATION"):
        Cache(valkey_url, client_class=ClusterClient).get("k")  # not a cluster node
    with pytest.raises(ConfigurationError, match="CONNECTION_POOL_KWARGS"):
        Cache(valkey_url, client_class=AsyncClusterClient, connection_pool_kwargs={"timeout": 3})
    with pytest.raises(ConfigurationError, match="READ_FROM_REPLICAS"):
        Cache(valkey_url, client_class=ClusterClient, read_from_replicas="often")
    with pytest.raises(ConfigurationError, match="READ_FROM_REPLICA"):
        Cache(valkey_url, client_class=ClusterClient, read_from_replica=True)


@pytest.mark.slow
@pytest.mark.timeout(60)
async def test_failover_recovers_without_restart(fresh_cluster: EmbeddedCluster) -> None:
    """Sync and async clients, with and without IGNORE_EXCEPTIONS, through one failover."""
    options: dict[str, Any] = {"socket_timeout": 1, "socket_connect_timeout": 1}
    url = fresh_cluster.url
    tolerant = {kind: cluster_cache(kind, url, ignore_exceptions=True, **options) for kind in CLIENTS}
    strict = {kind: cluster_cache(kind, url, **options) for kind in CLIENTS}
    probe = tolerant["sync"]
    names = spread_keys(probe, fresh_cluster)
    victim = fresh_cluster.masters[0]
    (heir,) = fresh_cluster.replicas_of(victim)
    lost = [n for n in names if owner_port(fresh_cluster, probe.inner.make_key(n)) == victim.port]
    kept = [n for n in names if n not in lost]
    for cache in [*tolerant.values(), *strict.values()]:
        assert await cache.set_many({n: n for n in names}) == []
    victim.execute("WAIT", 1, 2000)

    started = time.monotonic()
    fresh_cluster.kill_node(victim)
    recovered: dict[str, float] = {}
    promoted = None
    while len(recovered) < 4:
        elapsed = time.monotonic() - started
        assert elapsed < 25, f"not recovered after {elapsed:.1f}s: {recovered}"
        if promoted is None and heir.info("replication").get("role") == "master":
            promoted = elapsed
        for kind in CLIENTS:
            # No error ever surfaces with IGNORE_EXCEPTIONS, and the other primaries answer.
            if f"{kind} ignore" not in recovered:
                assert await tolerant[kind].get(kept[0]) == kept[0]
                if await tolerant[kind].set(lost[0], kind) is True:
                    assert await tolerant[kind].get(lost[0]) == kind
                    recovered[f"{kind} ignore"] = elapsed
            if f"{kind} strict" not in recovered:
                try:
                    if await strict[kind].set(lost[1], kind) is True:
                        recovered[f"{kind} strict"] = elapsed
                except ConnectionInterrupted:
                    pass
        time.sleep(0.05)

    survivors = [*kept, *lost[2:]]  # lost[2:] were replicated before the crash
    for kind in CLIENTS:
        assert await strict[kind].get_many(survivors) == {n: n for n in survivors}
    if promoted is None:  # seen by the clients before this loop looked
        promoted = max(recovered.values())
    print(f"\ncluster: replica promoted by {promoted:.2f}s after the crash")
    for name, seconds in sorted(recovered.items(), key=lambda item: item[1]):
        print(f"cluster: {name} client serving again {seconds:.2f}s after the crash")


async def test_a_standalone_server_is_not_a_cluster(kind: str, valkey_url: str) -> None:
    with pytest.raises(ConfigurationError, match="LOCATION"):
        await cluster_cache(kind, valkey_url).get("k")
