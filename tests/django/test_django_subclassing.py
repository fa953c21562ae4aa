"""Subclasses of the backends keep their overrides (a declared command never replaces them)."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.cache.backends.base import InvalidCacheKey
from django_helpers import disconnect_loop_pools

from django_valkey.async_cache.cache import AsyncValkeyCache
from django_valkey.cache import ValkeyCache


class ShoutingCache(ValkeyCache):
    def get(self, key: Any, default: Any = None, version: Any = None, client: Any = None) -> Any:
        value = super().get(key, default, version, client)
        return value.upper() if isinstance(value, str) else value


class ShoutingAsyncCache(AsyncValkeyCache):
    async def get(  # type: ignore[override]
        self, key: Any, default: Any = None, version: Any = None, client: Any = None
    ) -> Any:
        value = await super().get(key, default, version, client)
        return value.upper() if isinstance(value, str) else value


class StrictCache(ValkeyCache):
    def validate_key(self, key: Any) -> None:
        if " " in key:
            raise InvalidCacheKey(f"no spaces: {key!r}")


def test_overridden_method_is_used(url: str) -> None:
    cache = ShoutingCache(url, {})
    cache.set("k", "quiet")
    assert cache.get("k") == "QUIET"
    assert "get" not in cache.__dict__
    assert ShoutingCache.set is ValkeyCache.set  # not overridden: the declared command's method


@pytest.mark.anyio
async def test_overridden_coroutine_is_used_by_its_a_name_too(url: str) -> None:
    cache = ShoutingAsyncCache(url, {})
    await cache.set("k", "quiet")
    assert await cache.get("k") == "QUIET"
    assert await cache.aget("k") == "QUIET"
    await disconnect_loop_pools()


def test_overridden_validate_key_is_used(url: str) -> None:
    cache = StrictCache(url, {})
    cache.set("fine", 1)
    with pytest.raises(InvalidCacheKey, match="no spaces"):
        cache.set("not fine", 1)
    with pytest.raises(InvalidCacheKey):
        cache.get_many(["ok", "not ok"])
