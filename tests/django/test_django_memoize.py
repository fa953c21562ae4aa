"""``cache.memoize`` on the Django backends: sync functions on the blocking client,
coroutine functions on the native ``a``-methods (``ValkeyCache``) or the coroutines
(``AsyncValkeyCache``)."""

from __future__ import annotations

import asyncio

import pytest
from django_helpers import disconnect_loop_pools

from django_valkey.async_cache.cache import AsyncValkeyCache
from django_valkey.cache import ValkeyCache

pytestmark = pytest.mark.anyio


async def test_memoize_on_valkey_cache(url: str) -> None:
    cache = ValkeyCache(url, {"KEY_PREFIX": "memo-sync"})
    cache.clear()
    calls: list[int] = []

    @cache.memoize(timeout=30)
    def square(x: int) -> int:
        calls.append(x)
        return x * x

    @cache.memoize(timeout=30)
    async def cube(x: int) -> int:
        calls.append(x)
        return x**3

    assert [square(3), square(3), square(x=3)] == [9, 9, 9]
    assert await asyncio.gather(*(cube(2) for _ in range(5))) == [8] * 5
    assert calls == [3, 2]
    assert cache.get(square.key(3))[0] == 9  # the stored entry: [value, fresh until]
    await disconnect_loop_pools()


async def test_memoize_on_async_valkey_cache(url: str) -> None:
    cache = AsyncValkeyCache(url, {"KEY_PREFIX": "memo-async"})
    await cache.clear()
    calls: list[int] = []

    @cache.memoize(timeout=30)
    async def cube(x: int) -> int:
        calls.append(x)
        return x**3

    assert await asyncio.gather(*(cube(4) for _ in range(5))) == [64] * 5
    assert await cube.delete(4) is True
    assert await cube(4) == 64
    assert calls == [4, 4]
    with pytest.raises(TypeError, match="coroutines"):

        @cache.memoize(timeout=30)
        def plain(x: int) -> int:
            return x

    await disconnect_loop_pools()
