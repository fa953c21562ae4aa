"""The client methods with their call written in (``drivers.inline``), against a real server."""

from __future__ import annotations

import inspect
from typing import Any

import pytest
from cachetest import make_cache

from valkey_cache.core import AsyncCache, Cache
from valkey_cache.core.client import (
    AsyncClusterClient,
    AsyncDefaultClient,
    AsyncShardClient,
    ClusterClient,
    DefaultClient,
    HerdClient,
    ShardClient,
)
from valkey_cache.core.commands.declare import Command, declared
from valkey_cache.core.commands.ops import read
from valkey_cache.core.drivers import inline

pytestmark = pytest.mark.anyio

#: Every single-key command whose function ends in one call (issue 11's CPU table).
ONE_CALL = [
    "get",
    "set",
    "add",
    "delete",
    "has_key",
    "incr",
    "decr",
    "touch",
    "incr_version",
    "ttl",
    "pttl",
    "expire",
    "pexpire",
    "expire_at",
    "pexpire_at",
    "persist",
    "sadd",
    "scard",
    "sismember",
    "smismember",
    "smembers",
    "spop",
    "srandmember",
    "srem",
    "hset",
    "hget",
    "hmget",
    "hgetall",
    "hdel",
    "hlen",
    "hkeys",
    "hexists",
    "zadd",
    "zcard",
    "zcount",
    "zincrby",
    "zpopmax",
    "zpopmin",
    "zrange",
    "zrevrange",
    "zrangebyscore",
    "zrevrangebyscore",
    "zrank",
    "zrem",
    "zremrangebyscore",
    "zscore",
]


def is_inlined(method: Any) -> bool:
    return "(inlined)" in method.__code__.co_filename


@pytest.mark.parametrize("cls", [DefaultClient, AsyncDefaultClient])
def test_every_one_call_command_is_inlined(cls: type) -> None:
    assert [name for name in ONE_CALL if not is_inlined(getattr(cls, name))] == []
    assert is_inlined(cls.get_many)  # one MGET (and no call for no keys)
    # Several calls, or a generator: the driver's template.
    assert not is_inlined(cls.get_or_set)
    assert not is_inlined(cls.delete_pattern)


def test_the_rewritten_method_shows_the_command_code() -> None:
    source = inspect.getsource(DefaultClient.ttl)
    assert source.startswith("def ttl(self, key, version=")
    # The key is made by the stock rule written in, or by server_key for any other case.
    assert "nkey = _kh[2] + key if version is None and type(key) is str" in source
    assert "else c.server_key(key, version)" in source
    assert "_reply = _conn.ttl(_a0)" in source
    assert inspect.signature(DefaultClient.ttl) == inspect.signature(HerdClient.ttl)
    assert DefaultClient.ttl.__doc__
    assert inspect.getsource(AsyncDefaultClient.ttl).startswith("async def ttl(self")


def test_only_the_stock_route_to_one_connection_is_inlined() -> None:
    assert DefaultClient._inline_ok
    assert AsyncDefaultClient._inline_ok
    for routed in (ShardClient, AsyncShardClient, ClusterClient, AsyncClusterClient):
        assert not routed._inline_ok


def test_a_subclass_with_its_own_connection_for_is_asked(valkey_url: str) -> None:
    asked: list[str] = []

    class Counting(DefaultClient):
        def _connection_for(self, op: Any) -> Any:
            asked.append(op.method)
            return super()._connection_for(op)

    assert not Counting._inline_ok
    cache = Cache(valkey_url, key_prefix="inline", client_class=Counting)
    cache.set("k", 1)
    assert cache.get("k") == 1
    assert cache.ttl("k") is not None
    assert asked == ["set", "get", "ttl"]


async def test_the_client_argument_still_takes_the_driver(kind: str, valkey_url: str) -> None:
    cache = make_cache(kind, valkey_url, key_prefix="inline")
    await cache.set("k", 1)
    conn = cache.inner.client.get_client(write=True)
    if cache.is_async:
        conn = await conn
    assert await cache.get("k", client=conn) == 1
    assert 0 < await cache.ttl("k", client=conn) <= 300


def test_a_function_that_cannot_be_rewritten_keeps_the_template() -> None:
    def nested(c: Any, key: Any) -> Any:
        def inner() -> Any:
            return read("get", key, key)

        return inner()

    def several(c: Any, key: Any) -> Any:
        yield read("get", key, key)

    for logic in (nested, several):
        assert inline.inlined(Command(logic), False, {}) is None


async def test_errors_on_the_inlined_path_are_the_drivers(
    kind: str, valkey_url: str, raw_valkey: Any
) -> None:
    cache = make_cache(kind, valkey_url, key_prefix="inline")
    raw_valkey.rpush(cache.inner.make_key("list"), b"x")
    with pytest.raises(Exception, match="WRONGTYPE"):
        await cache.get("list")
    raw_valkey.script_flush()
    await cache.set("n", 1)
    assert await cache.incr("n") == 2  # NOSCRIPT: recovered by incr's on_error


def test_facade_methods_are_the_clients() -> None:
    cache = Cache("valkey://127.0.0.1:1/0")
    acache = AsyncCache("valkey://127.0.0.1:1/0")
    assert is_inlined(cache.get.__func__)
    assert is_inlined(acache.get.__func__)
    assert set(ONE_CALL) <= set(declared(DefaultClient))


def test_a_function_using_the_rewriters_names_keeps_the_template() -> None:
    def clashing(c: Any, key: Any) -> Any:
        _a0 = key
        return read("get", _a0, _a0)

    assert inline.inlined(Command(clashing), False, {}) is None
