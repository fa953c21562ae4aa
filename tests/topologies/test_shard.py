"""The sharded client: where keys live, commands across shards, and one shard down."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from cachetest import EitherCache, make_cache
from servers import start_tcp_server

from valkey_cache.core import ConnectionInterrupted
from valkey_cache.core.embedded import EmbeddedServer

pytestmark = pytest.mark.anyio

CLIENTS = {
    "sync": "valkey_cache.core.client.ShardClient",
    "async": "valkey_cache.core.client.AsyncShardClient",
}


def shard_cache(kind: str, servers: list[EmbeddedServer], **options: object) -> EitherCache:
    return make_cache(kind, [s.url for s in servers], client_class=CLIENTS[kind], key_prefix="s", **options)


@pytest.fixture
def servers(shard_servers: list[EmbeddedServer]) -> list[EmbeddedServer]:
    for server in shard_servers:
        server.flushall()
    return shard_servers


def holder(servers: list[EmbeddedServer], made: str) -> list[int]:
    """Indices of the servers that hold ``made``."""
    return [i for i, s in enumerate(servers) if s.client().exists(made)]


async def test_each_key_lives_on_its_ring_server(kind: str, servers: list[EmbeddedServer]) -> None:
    cache = shard_cache(kind, servers)
    client = cache.inner.client
    await cache.set_many({f"k{i}": i for i in range(60)})
    used = set()
    for i in range(60):
        made = cache.inner.make_key(f"k{i}")
        name = client.get_server_name(made)
        assert holder(servers, made) == [[s.url for s in servers].index(name)]
        used.add(name)
    assert len(used) == 3
    assert await cache.get_many([f"k{i}" for i in range(60)]) == {f"k{i}": i for i in range(60)}


async def test_get_client_returns_the_shard_of_the_key(kind: str, servers: list[EmbeddedServer]) -> None:
    cache = shard_cache(kind, servers)
    for name in ("a", "b", "c", "d", "e"):
        made = cache.inner.make_key(name)
        await cache.set(name, name)
        conn = cache.inner.client.get_client(write=True, key=made)
        if kind == "async":
            conn = await conn
        (index,) = holder(servers, made)
        assert conn.connection_pool.connection_kwargs["port"] == servers[index].port


async def test_same_tag_same_server(kind: str, servers: list[EmbeddedServer]) -> None:
    cache = shard_cache(kind, servers)
    await cache.mset({f"{{cart:9}}:item{i}": i for i in range(20)}, timeout=30)
    places = {tuple(holder(servers, cache.inner.make_key(f"{{cart:9}}:item{i}"))) for i in range(20)}
    assert len(places) == 1
    assert 0 < await cache.ttl("{cart:9}:item3") <= 30


def names_on_different_shards(cache: EitherCache, count: int, version: int = 1) -> list[str]:
    client = cache.inner.client
    chosen: list[str] = []
    shards: set[int] = set()
    for i in range(1000):
        shard = client.shard_index(cache.inner.make_key(f"n{i}", version=version))
        if shard not in shards:
            shards.add(shard)
            chosen.append(f"n{i}")
            if len(chosen) == count:
                return chosen
    raise AssertionError("no such keys")


async def test_incr_version_moves_the_value_across_shards(kind: str, servers: list[EmbeddedServer]) -> None:
    cache = shard_cache(kind, servers)
    client = cache.inner.client
    name = next(
        f"v{i}"
        for i in range(1000)
        if client.shard_index(cache.inner.make_key(f"v{i}"))
        != client.shard_index(cache.inner.make_key(f"v{i}", 2))
    )
    await cache.set(name, {"x": 1}, timeout=100)
    assert await cache.incr_version(name) == 2
    assert await cache.get(name) is None
    assert await cache.get(name, version=2) == {"x": 1}
    assert 90 < await cache.ttl(name, version=2) <= 100
    assert holder(servers, cache.inner.make_key(name)) == []


async def test_set_commands_across_shards(kind: str, servers: list[EmbeddedServer]) -> None:
    cache = shard_cache(kind, servers)
    a, b, dest = names_on_different_shards(cache, 3)
    await cache.sadd(a, 1, 2, 3)
    await cache.sadd(b, 3, 4)
    assert await cache.sinter(a, b) == {3}
    assert await cache.sunion(a, b) == {1, 2, 3, 4}
    assert await cache.sdiff(a, b) == {1, 2}
    assert await cache.sunionstore(dest, a, b) == 4
    assert await cache.smembers(dest) == {1, 2, 3, 4}
    assert await cache.sinterstore(dest, a, b) == 1
    assert await cache.smembers(dest) == {3}
    assert await cache.smove(a, b, 1) is True
    assert await cache.smove(a, b, 99) is False
    assert await cache.smembers(b) == {1, 3, 4}


# -- one shard down -----------------------------------------------------------------------


@pytest.fixture
def private_shards() -> Iterator[list[EmbeddedServer]]:
    servers = [start_tcp_server() for _ in range(3)]
    try:
        yield servers
    finally:
        for server in servers:
            server.stop()


@pytest.mark.slow
async def test_one_shard_down_only_its_keys_miss(kind: str, private_shards: list[EmbeddedServer]) -> None:
    cache = shard_cache(kind, private_shards, ignore_exceptions=True, retries=0, socket_connect_timeout=1)
    strict = shard_cache(kind, private_shards, retries=0, socket_connect_timeout=1)
    data = {f"k{i}": i for i in range(60)}
    await cache.set_many(data)
    client = cache.inner.client
    down = private_shards[1]
    on_down = {k for k in data if client.shard_index(cache.inner.make_key(k)) == 1}
    alive = set(data) - on_down
    assert on_down
    assert alive

    down.kill()
    for key, value in data.items():
        assert await cache.get(key) == (None if key in on_down else value)
    assert await cache.get_many(list(data)) == {k: data[k] for k in alive}
    assert sorted(await cache.set_many(dict.fromkeys(data, -1))) == sorted(on_down)
    assert sorted(await cache.keys("*")) == sorted(alive)
    assert sorted(await cache.collect("iter_keys", "*")) == sorted(alive)
    assert await cache.delete_many(list(data)) == len(alive)
    assert await cache.clear() is False
    with pytest.raises(ConnectionInterrupted):
        await strict.get(next(iter(on_down)))
    with pytest.raises(ConnectionInterrupted):
        await strict.get_many(list(data))

    down.start()
    started = time.monotonic()
    key = next(iter(on_down))
    while not await cache.set(key, "back"):
        assert time.monotonic() - started < 10
    assert await cache.get(key) == "back"
    assert await strict.get(key) == "back"
    print(f"\nshard ({kind}): its keys served again {time.monotonic() - started:.2f}s after it restarted")
