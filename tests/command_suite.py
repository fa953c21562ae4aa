"""The whole command set, as tests that any topology can run.

A test module imports these (``from command_suite import *``) and provides the
fixtures: ``cache`` (an :class:`EitherCache` with ``key_prefix="test"``),
``cache_factory`` (``**options`` -> another cache on the same servers) and
``raw_valkey`` (valkey-py calls on the server holding the key given first).
tests/core runs them on one server; tests/topologies on herd, shard, sentinel, cluster.
"""

from __future__ import annotations

import pickle
from collections.abc import Callable

import pytest
import valkey
from cachetest import EitherCache

pytestmark = pytest.mark.anyio

CacheFactory = Callable[..., EitherCache]


def kept(cache: EitherCache, timeout: int) -> int:
    """What ``ttl`` reports just after storing with ``timeout``: the herd client's server
    keeps a value ``HERD_TIMEOUT`` longer, and says so, as django-valkey 0.4 does."""
    return timeout + int(getattr(cache.inner.client, "_herd_timeout", 0))


async def test_set_get_roundtrip_types(cache: EitherCache) -> None:
    values = [
        "text",
        "ünïcødé ✓",
        b"\x00\xffbinary",
        {"nested": [1, 2, {"x": None}]},
        (1, "a"),
        {1, 2},
        None,
        True,
        False,
        0,
        -7,
        2**80,
        -(2**80),
        3.25,
        -0.5,
        "x" * 1_000_000,
    ]
    for index, value in enumerate(values):
        assert await cache.set(f"k{index}", value) is True
        got = await cache.get(f"k{index}")
        assert got == value
        assert type(got) is type(value)


async def test_get_missing_returns_default(cache: EitherCache) -> None:
    assert await cache.get("nope") is None
    assert await cache.get("nope", "fallback") == "fallback"
    assert await cache.get("nope", default=0) == 0


async def test_numbers_are_stored_as_plain_text(cache: EitherCache, raw_valkey: valkey.Valkey) -> None:
    await cache.set("i", 42)
    await cache.set("neg", -42)
    await cache.set("f", 1.5)
    await cache.set("b", True)
    assert raw_valkey.get("test:1:i") == b"42"
    assert raw_valkey.get("test:1:neg") == b"-42"
    assert raw_valkey.get("test:1:f") == b"1.5"
    assert raw_valkey.get("test:1:b") == pickle.dumps(True, pickle.DEFAULT_PROTOCOL)
    assert await cache.get("neg") == -42
    assert type(await cache.get("neg")) is int
    raw_valkey.incrby("test:1:i", 8)
    assert await cache.get("i") == 50


async def test_add(cache: EitherCache) -> None:
    assert await cache.add("k", 1) is True
    assert await cache.add("k", 2) is False
    assert await cache.get("k") == 1


async def test_set_nx_xx(cache: EitherCache) -> None:
    assert await cache.set("k", 1, xx=True) is False
    assert await cache.get("k") is None
    assert await cache.set("k", 1, nx=True) is True
    assert await cache.set("k", 2, nx=True) is None  # django-valkey 0.4's value
    assert await cache.add("k", 2) is False  # Django's contract for add
    assert await cache.set("k", 3, xx=True) is True
    assert await cache.get("k") == 3


async def test_get_many_and_mget(cache: EitherCache) -> None:
    await cache.set_many({"a": 1, "b": "", "c": 0, "d": None, "e": []})
    expected = {"a": 1, "b": "", "c": 0, "d": None, "e": []}
    assert await cache.get_many(["a", "b", "c", "d", "e", "missing"]) == expected
    assert await cache.get_many(k for k in ["a", "missing"]) == {"a": 1}
    assert await cache.get_many([]) == {}
    assert await cache.mget(["a", "c"]) == {"a": 1, "c": 0}


async def test_set_many_returns_no_failures(cache: EitherCache) -> None:
    assert await cache.set_many({"a": 1, "b": 2}) == []
    assert await cache.set_many({}) == []
    assert await cache.get_many(["a", "b"]) == {"a": 1, "b": 2}


async def test_mset_atomic_with_and_without_timeout(cache: EitherCache) -> None:
    await cache.mset({"a": 1, "b": "x"})
    assert await cache.ttl("a") is None
    await cache.mset({"c": 1, "d": 2}, timeout=10)
    assert 0 < await cache.ttl("c") <= kept(cache, 10)
    assert 0 < await cache.ttl("d") <= kept(cache, 10)
    assert await cache.get_many(["a", "b", "c", "d"]) == {"a": 1, "b": "x", "c": 1, "d": 2}


async def test_delete(cache: EitherCache) -> None:
    await cache.set("k", 1)
    assert await cache.delete("k") is True
    assert await cache.delete("k") is False
    assert await cache.get("k") is None


async def test_delete_many(cache: EitherCache) -> None:
    await cache.set_many({"a": 1, "b": 2, "c": 3})
    assert await cache.delete_many(["a", "b", "zz"]) == 2
    assert await cache.delete_many([]) == 0
    assert await cache.get_many(["a", "b", "c"]) == {"c": 3}


async def test_delete_pattern(cache: EitherCache) -> None:
    await cache.set_many({f"user:{i}": i for i in range(250)})
    await cache.set("other", 1)
    assert await cache.delete_pattern("user:*", itersize=30) == 250
    assert await cache.keys("*") == ["other"]
    assert await cache.delete_pattern("nothing*") == 0


async def test_delete_pattern_respects_prefix_and_version(cache_factory: CacheFactory) -> None:
    a = cache_factory(key_prefix="a*")
    b = cache_factory(key_prefix="ab")
    await a.set("x", 1)
    await b.set("x", 2)
    await a.set("x", 3, version=2)
    assert await a.delete_pattern("*") == 1
    assert await b.get("x") == 2
    assert await a.get("x", version=2) == 3


async def test_clear(cache: EitherCache) -> None:
    await cache.set("a", 1)
    assert await cache.clear() is True
    assert await cache.get("a") is None


async def test_has_key_and_contains(cache: EitherCache) -> None:
    await cache.set("a", None)
    assert await cache.has_key("a") is True
    assert await cache.has_key("b") is False


async def test_incr_decr(cache: EitherCache) -> None:
    await cache.set("n", 10)
    assert await cache.incr("n") == 11
    assert await cache.incr("n", 5) == 16
    assert await cache.decr("n") == 15
    assert await cache.decr("n", 20) == -5
    assert await cache.get("n") == -5
    with pytest.raises(ValueError, match="missing"):
        await cache.incr("missing")
    with pytest.raises(ValueError, match="missing"):
        await cache.decr("missing")
    assert await cache.incr("created", 3, ignore_key_check=True) == 3


async def test_incr_beyond_64_bits_keeps_ttl(cache: EitherCache) -> None:
    await cache.set("big", 2**63 - 1, timeout=100)
    assert await cache.incr("big") == 2**63
    assert await cache.get("big") == 2**63
    assert kept(cache, 90) < await cache.ttl("big") <= kept(cache, 100)
    assert await cache.decr("big", 2**64) == 2**63 - 2**64
    await cache.set("f", 1.5)
    assert await cache.incr("f") == 2.5


async def test_incr_version(cache: EitherCache) -> None:
    await cache.set("k", "v", timeout=100)
    assert await cache.incr_version("k") == 2
    assert await cache.get("k") is None
    assert await cache.get("k", version=2) == "v"
    assert kept(cache, 90) < await cache.ttl("k", version=2) <= kept(cache, 100)
    assert await cache.decr_version("k", version=2) == 1
    assert await cache.get("k") == "v"
    await cache.set("none", None)
    assert await cache.incr_version("none") == 2
    assert await cache.has_key("none", version=2) is True
    with pytest.raises(ValueError, match="missing"):
        await cache.incr_version("missing")


async def test_version_zero_and_empty_prefix_are_respected(
    cache_factory: CacheFactory, raw_valkey: valkey.Valkey
) -> None:
    c = cache_factory(key_prefix="", version=0)
    await c.set("k", 1)
    assert raw_valkey.get(":0:k") == b"1"
    await c.set("k", 2, version=0)
    assert raw_valkey.get(":0:k") == b"2"
    await c.set("k", 3, version=5)
    assert raw_valkey.get(":5:k") == b"3"


async def test_touch(cache: EitherCache) -> None:
    await cache.set("k", 1, timeout=None)
    assert await cache.touch("k", 10) is True
    assert 0 < await cache.ttl("k") <= 10
    assert await cache.touch("k", None) is True
    assert await cache.ttl("k") is None
    assert await cache.touch("k", None) is True
    assert await cache.touch("missing", 10) is False
    assert await cache.touch("missing", None) is False
    assert await cache.touch("k", 0) is True
    assert await cache.get("k") is None


async def test_ttl_pttl(cache: EitherCache) -> None:
    assert await cache.ttl("missing") == 0
    assert await cache.pttl("missing") == 0
    await cache.set("forever", 1, timeout=None)
    assert await cache.ttl("forever") is None
    assert await cache.pttl("forever") is None
    await cache.set("k", 1, timeout=20)
    assert kept(cache, 18) <= await cache.ttl("k") <= kept(cache, 20)
    assert kept(cache, 18) * 1000 < await cache.pttl("k") <= kept(cache, 20) * 1000


async def test_expire_family_and_persist(cache: EitherCache) -> None:
    import time

    await cache.set("k", 1, timeout=None)
    assert await cache.expire("k", 30) is True
    assert 28 <= await cache.ttl("k") <= 30
    assert await cache.pexpire("k", 5000) is True
    assert 4000 < await cache.pttl("k") <= 5000
    assert await cache.expire_at("k", int(time.time()) + 60) is True
    assert 55 <= await cache.ttl("k") <= 60
    assert await cache.pexpire_at("k", int(time.time() * 1000) + 40_000) is True
    assert 35 <= await cache.ttl("k") <= 40
    assert await cache.persist("k") is True
    assert await cache.ttl("k") is None
    assert await cache.expire("missing", 10) is False


async def test_keys_and_iter_keys(cache: EitherCache) -> None:
    await cache.set_many({f"k{i}": i for i in range(120)})
    await cache.set("other", 1)
    assert sorted(await cache.keys("k*")) == sorted(f"k{i}" for i in range(120))
    assert sorted(await cache.collect("iter_keys", "k*", itersize=7)) == sorted(f"k{i}" for i in range(120))
    assert await cache.collect("iter_keys", "none*") == []


async def test_get_or_set(cache: EitherCache) -> None:
    calls = []

    def compute() -> int:
        calls.append(1)
        return 7

    assert await cache.get_or_set("k", compute) == 7
    assert await cache.get_or_set("k", compute) == 7
    assert calls == [1]
    assert await cache.get_or_set("plain", "v", timeout=10) == "v"
    assert 0 < await cache.ttl("plain") <= kept(cache, 10)
    # As Django's own backends: a None default is stored, and read back as None.
    assert await cache.get_or_set("none", None) is None
    assert await cache.has_key("none") is True


async def test_sets(cache: EitherCache) -> None:
    assert await cache.sadd("s", 1, 2, "three") == 3
    assert await cache.sadd("s", 1) == 0
    assert await cache.scard("s") == 3
    assert await cache.smembers("s") == {1, 2, "three"}
    assert await cache.sismember("s", "three") is True
    assert await cache.smismember("s", 1, 99) == [True, False]
    await cache.sadd("t", 2, 3)
    assert await cache.sdiff("s", "t") == {1, "three"}
    assert await cache.sinter("s", "t") == {2}
    assert await cache.sunion("s", "t") == {1, 2, 3, "three"}
    assert await cache.sdiffstore("d", "s", "t") == 2
    assert await cache.smembers("d") == {1, "three"}
    assert await cache.sinterstore("i", "s", "t") == 1
    assert await cache.sunionstore("u", "s", "t") == 4
    assert await cache.smove("s", "t", 1) is True
    assert await cache.sismember("t", 1) is True
    assert await cache.srem("t", 1, 3) == 2
    assert await cache.sscan("u") == {1, 2, 3, "three"}
    assert sorted(map(str, await cache.collect("sscan_iter", "u", count=1))) == ["1", "2", "3", "three"]
    popped = await cache.spop("u")
    assert popped in {1, 2, 3, "three"}
    assert len(await cache.spop("u", 2)) == 2
    assert await cache.srandmember("missing") is None
    assert len(await cache.srandmember("s", 5)) == 2
    assert await cache.srandmember("s") in {2, "three"}


async def test_hashes(cache: EitherCache, raw_valkey: valkey.Valkey) -> None:
    assert await cache.hset("h", "a", {"x": 1}) == 1
    assert await cache.hset("h", mapping={"b": 2, "c": [3]}) == 2
    assert await cache.hset("h", items=[("d", None)]) == 1
    assert await cache.hget("h", "a") == {"x": 1}
    assert await cache.hget("h", "zz") is None
    assert await cache.hmget("h", "b", "zz", "c") == [2, None, [3]]
    assert await cache.hgetall("h") == {"a": {"x": 1}, "b": 2, "c": [3], "d": None}
    assert await cache.hlen("h") == 4
    assert sorted(await cache.hkeys("h")) == ["a", "b", "c", "d"]
    assert await cache.hexists("h", "a") is True
    assert await cache.hexists("h", "zz") is False
    assert await cache.hdel("h", "a", "b") == 2
    assert await cache.hlen("h") == 2
    assert raw_valkey.hget("test:1:h", "test:1:c") == pickle.dumps([3], pickle.DEFAULT_PROTOCOL)


async def test_sorted_sets(cache: EitherCache) -> None:
    assert await cache.zadd("z", {"a": 1, "b": 2, "c": 3}) == 3
    assert await cache.zcard("z") == 3
    assert await cache.zcount("z", 2, 3) == 2
    assert await cache.zscore("z", "b") == 2.0
    assert await cache.zincrby("z", 5, "a") == 6.0
    assert await cache.zrange("z", 0, -1) == ["b", "c", "a"]
    assert await cache.zrange("z", 0, -1, withscores=True) == [("b", 2.0), ("c", 3.0), ("a", 6.0)]
    assert await cache.zrevrange("z", 0, 0) == ["a"]
    assert await cache.zrangebyscore("z", 2, 3) == ["b", "c"]
    assert await cache.zrevrangebyscore("z", 10, 3, withscores=True) == [("a", 6.0), ("c", 3.0)]
    assert await cache.zrank("z", "c") == 1
    assert await cache.zpopmax("z") == ("a", 6.0)
    assert await cache.zpopmin("z", 1) == [("b", 2.0)]
    assert await cache.zrem("z", "c") == 1
    assert await cache.zpopmax("z") is None
    await cache.zadd("y", {"p": 1, "q": 5})
    assert await cache.zremrangebyscore("y", 0, 2) == 1


async def test_make_key_and_pattern(cache: EitherCache) -> None:
    assert await cache.make_key("k") == "test:1:k"
    assert await cache.make_key("k", version=3) == "test:3:k"
    assert await cache.make_pattern("k*") == "test:1:k*"


FALSY_KEYS = [0, "", False, 0.0, None]


async def test_every_key_gets_prefix_and_version(
    cache_factory: CacheFactory, raw_valkey: valkey.Valkey
) -> None:
    """Falsy keys too: two prefixes and two versions never see each other's values."""
    caches = {
        (prefix, version): cache_factory(key_prefix=prefix, version=version)
        for prefix in ("tenant-a", "tenant-b")
        for version in (1, 2)
    }
    for key in FALSY_KEYS:
        for (prefix, version), cache in caches.items():
            assert await cache.set(key, f"{prefix}/{version}/{key!r}") is True
        for (prefix, version), cache in caches.items():
            expected = f"{prefix}/{version}/{key!r}"
            assert await cache.get(key) == expected
            assert await cache.get_many([key]) == {key: expected}
            assert await cache.has_key(key) is True
            assert raw_valkey.exists(f"{prefix}:{version}:{key}") == 1
        assert raw_valkey.exists(str(key)) == 0
        owner = caches[("tenant-a", 1)]
        assert await owner.delete(key) is True
        assert await owner.get(key) is None
        assert await caches[("tenant-b", 1)].get(key) == f"tenant-b/1/{key!r}"
        assert await caches[("tenant-a", 2)].get(key) == f"tenant-a/2/{key!r}"


async def test_key_function_type_error_names_the_key(cache_factory: CacheFactory) -> None:
    cache = cache_factory(key_prefix="p", key_func=lambda key, prefix, version: prefix + ":" + key)
    assert await cache.set("text", 1) is True
    with pytest.raises(TypeError, match=r"cache key 42 \(int\)"):
        await cache.get(42)
    with pytest.raises(TypeError, match=r"cache key None \(NoneType\)"):
        await cache.get_many(["text", None])


async def test_sscan_match_is_a_member_value(cache: EitherCache, cache_factory: CacheFactory) -> None:
    """As in django-valkey 0.4: ``match`` is encoded like the members, so it finds one."""
    await cache.sadd("members", "bar1", "bar2", "zoo", 7)
    assert await cache.sscan("members", match="zoo") == {"zoo"}
    assert await cache.sscan("members", match=7) == {7}
    assert await cache.collect("sscan_iter", "members", match="bar2") == ["bar2"]
    compressed = cache_factory(key_prefix="test", compressor="valkey_cache.compressors.zlib.ZlibCompressor")
    with pytest.raises(ValueError, match="COMPRESSOR"):
        await compressed.sscan("members", match="zoo")
