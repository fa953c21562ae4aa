"""``client=``: a connection given to a command (django-valkey 0.4's argument) takes every
call of that command, whether passed by keyword or by position; the cache's own pool is
not touched. The cache here points at the shared server, the connection at another one.
"""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
import valkey
import valkey.asyncio
from cachetest import EitherCache, make_cache

from valkey_cache.core.client import AsyncHerdClient, DefaultClient, HerdClient
from valkey_cache.core.embedded import EmbeddedServer

pytestmark = pytest.mark.anyio


@pytest.fixture
def other(fresh_server: EmbeddedServer) -> Iterator[valkey.Valkey]:
    """valkey-py on the second server, to look at what landed there."""
    raw = fresh_server.client()
    yield raw
    raw.close()


@pytest.fixture(params=["sync", "async"])
async def conn(request: pytest.FixtureRequest, fresh_server: EmbeddedServer) -> AsyncIterator[Any]:
    """The connection passed as ``client``, of the kind the cache uses."""
    if request.param == "async":
        aconn = valkey.asyncio.Valkey.from_url(fresh_server.url)
        yield aconn
        await aconn.aclose()
    else:
        sconn = valkey.Valkey.from_url(fresh_server.url)
        yield sconn
        sconn.close()


def cache_for(conn: Any, url: str, **options: Any) -> EitherCache:
    kind = "async" if isinstance(conn, valkey.asyncio.Valkey) else "sync"
    return make_cache(kind, url, **options)


def client_position(method: Any) -> int | None:
    """Where ``client`` may be passed by position (after self), None if keyword only."""
    params = list(inspect.signature(method).parameters.values())[1:]
    for index, param in enumerate(params):
        if param.name == "client":
            return index if param.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD else None
    raise AssertionError("no client argument")


def test_methods_take_client_where_04_does() -> None:
    assert client_position(DefaultClient.set) == 4  # key, value, timeout, version, client
    assert client_position(DefaultClient.get_many) == 2
    assert client_position(DefaultClient.hset) == 6
    assert client_position(DefaultClient.sadd) is None  # after *values: keyword only


async def test_client_by_position(
    conn: Any, valkey_url: str, raw_valkey: valkey.Valkey, other: valkey.Valkey
) -> None:
    cache = cache_for(conn, valkey_url)
    assert await cache.set("k", "v", None, None, conn) is True
    assert other.exists(":1:k") == 1
    assert raw_valkey.exists(":1:k") == 0
    assert await cache.get_many(["k", "nope"], None, conn) == {"k": "v"}
    assert await cache.get_many(["k"]) == {}
    assert await cache.has_key("k", None, conn) is True
    assert await cache.has_key("k") is False
    assert await cache.expire("k", 100, None, conn) is True
    assert 90 < await cache.ttl("k", None, conn) <= 100
    assert 90_000 < other.pttl(":1:k") <= 100_000
    await cache.set("n", 1, None, None, conn)
    assert await cache.incr("n", 5, None, conn) == 6
    assert other.get(":1:n") == b"6"
    assert await cache.hset("h", "f", 1, None, None, None, conn) == 1
    assert other.hlen(":1:h") == 1
    assert sorted(await cache.keys("*", None, conn)) == ["h", "k", "n"]
    assert await cache.keys("*") == []
    assert await cache.delete_many(["k", "n"], None, conn) == 2
    assert other.exists(":1:k", ":1:n") == 0
    assert raw_valkey.dbsize() == 0


async def test_client_by_keyword(
    conn: Any, valkey_url: str, raw_valkey: valkey.Valkey, other: valkey.Valkey
) -> None:
    cache = cache_for(conn, valkey_url)
    assert await cache.set_many({"a": 1, "b": 2}, client=conn) == []
    assert other.exists(":1:a", ":1:b") == 2
    assert await cache.get_many(["a", "b"], client=conn) == {"a": 1, "b": 2}
    assert await cache.has_key("a", client=conn) is True
    assert await cache.sadd("s", 1, 2, client=conn) == 2
    assert other.scard(":1:s") == 2
    assert await cache.smembers("s", client=conn) == {1, 2}
    assert await cache.hset("h", "f", "x", client=conn) == 1
    assert await cache.hget("h", "f", client=conn) == "x"
    assert await cache.pexpire("a", 50_000, client=conn) is True
    assert 40_000 < await cache.pttl("a", client=conn) <= 50_000
    assert await cache.ttl("a") == 0  # not on the cache's own server
    assert sorted(await cache.keys("*", client=conn)) == ["a", "b", "h", "s"]
    assert await cache.delete_many(["a", "b"], client=conn) == 2
    assert await cache.delete_pattern("*", client=conn) == 2
    assert other.dbsize() == 0
    assert raw_valkey.dbsize() == 0


async def test_herd_commands_honour_the_client_too(
    conn: Any, valkey_url: str, raw_valkey: valkey.Valkey, other: valkey.Valkey
) -> None:
    herd = AsyncHerdClient if isinstance(conn, valkey.asyncio.Valkey) else HerdClient
    cache = cache_for(conn, valkey_url, client_class=herd, herd_timeout=5)
    assert await cache.set("k", "v", 100, None, conn) is True
    assert raw_valkey.exists(":1:k") == 0
    assert 100_000 < other.pttl(":1:k") <= 105_000  # packed, kept HERD_TIMEOUT longer
    assert await cache.get("k", None, None, conn) == "v"
    assert await cache.get_many(["k"], None, conn) == {"k": "v"}
    assert await cache.touch("k", 50, None, conn) is True
    assert 50_000 < other.pttl(":1:k") <= 55_000


async def test_shard_fan_out_keeps_visiting_the_shards(
    conn: Any, valkey_url: str, raw_valkey: valkey.Valkey, other: valkey.Valkey
) -> None:
    shard = "Async" if isinstance(conn, valkey.asyncio.Valkey) else ""
    cache = cache_for(conn, valkey_url, client_class=f"valkey_cache.core.client.{shard}ShardClient")
    await cache.set("mine", 1)
    assert await cache.set("theirs", 2, None, None, conn) is True
    assert other.exists(":1:theirs") == 1
    assert await cache.get("theirs", None, None, conn) == 2
    assert await cache.has_key("theirs", None, conn) is True
    # Commands split per shard, or visiting every shard, keep their routing (0.4's shard
    # client ignored ``client`` there too): they ask the cache's own servers.
    assert await cache.get_many(["theirs", "mine"], None, conn) == {"mine": 1}
    assert await cache.keys("*", None, conn) == ["mine"]
    assert raw_valkey.exists(":1:theirs") == 0
