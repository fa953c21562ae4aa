"""Timeout conventions: default, None (forever), 0/negative (not stored), sub-second."""

from __future__ import annotations

import time

import anyio
import pytest
from cachetest import EitherCache, make_cache

pytestmark = pytest.mark.anyio


async def test_default_timeout_applies(kind: str, valkey_url: str) -> None:
    cache = make_cache(kind, valkey_url, timeout=30)
    await cache.set("k", 1)
    assert 28 <= await cache.ttl("k") <= 30
    await cache.set_many({"a": 1})
    assert 28 <= await cache.ttl("a") <= 30


async def test_none_means_forever(kind: str, valkey_url: str) -> None:
    cache = make_cache(kind, valkey_url, timeout=None)
    await cache.set("k", 1)
    assert await cache.ttl("k") is None
    await cache.set("j", 1, timeout=None)
    assert await cache.ttl("j") is None


@pytest.mark.parametrize("timeout", [0, -1, -0.5])
async def test_zero_or_negative_is_not_stored(cache: EitherCache, timeout: float) -> None:
    await cache.set("k", "old")
    assert await cache.set("k", "new", timeout=timeout) is False
    assert await cache.get("k") is None
    assert await cache.add("fresh", 1, timeout=timeout) is True
    assert await cache.has_key("fresh") is False
    await cache.set("k", "old")
    assert await cache.add("k", 1, timeout=timeout) is False
    assert await cache.set_many({"a": 1, "k": 2}, timeout=timeout) == []
    assert await cache.get_many(["a", "k"]) == {}


async def test_subsecond_timeouts_are_honoured(cache: EitherCache) -> None:
    await cache.set("k", 1, timeout=0.3)
    await cache.set_many({"a": 1, "b": 2}, timeout=0.3)
    await cache.mset({"c": 1}, timeout=0.3)
    assert 0 < await cache.pttl("k") <= 300
    assert 0 < await cache.pttl("a") <= 300
    assert 0 < await cache.pttl("c") <= 300
    await anyio.sleep(0.4)
    assert await cache.get_many(["k", "a", "b", "c"]) == {}


async def test_tiny_positive_timeout_is_at_least_one_millisecond(cache: EitherCache) -> None:
    await cache.set("k", 1, timeout=0.0001)
    assert await cache.pttl("k") in (0, 1)


async def test_touch_subsecond(cache: EitherCache) -> None:
    await cache.set("k", 1, timeout=None)
    assert await cache.touch("k", 0.25) is True
    started = time.monotonic()
    while await cache.has_key("k"):
        await anyio.sleep(0.02)
        assert time.monotonic() - started < 2
