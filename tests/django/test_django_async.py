"""Native async: the ``a``-methods await valkey.asyncio, never ``sync_to_async``."""

from __future__ import annotations

import asyncio
import inspect
import warnings
from collections.abc import AsyncIterator
from typing import Any

import pytest
import valkey
import valkey.asyncio
from django.core.cache import caches
from django.core.cache.backends import base as django_cache_base
from django_helpers import disconnect_loop_pools

from django_valkey.async_cache.cache import AsyncValkeyCache
from django_valkey.cache import ValkeyCache

ASYNC_METHODS = [
    "aget",
    "aset",
    "aadd",
    "adelete",
    "aget_many",
    "aset_many",
    "adelete_many",
    "ahas_key",
    "aincr",
    "adecr",
    "atouch",
    "aclear",
    "aget_or_set",
    "aincr_version",
    "adecr_version",
    "aclose",
]


@pytest.fixture
async def cleanup() -> AsyncIterator[None]:
    yield
    await disconnect_loop_pools()


@pytest.fixture
def no_sync_to_async(monkeypatch: pytest.MonkeyPatch) -> None:
    """Django's default a-methods go through ``sync_to_async``: make that fail."""

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("sync_to_async used")

    monkeypatch.setattr(django_cache_base, "sync_to_async", refuse)


@pytest.mark.parametrize("backend", [ValkeyCache, AsyncValkeyCache])
def test_every_django_async_method_is_our_own_coroutine(backend: type[Any]) -> None:
    for name in ASYNC_METHODS:
        method = getattr(backend, name)
        assert inspect.iscoroutinefunction(method), name
        assert method is not getattr(django_cache_base.BaseCache, name), name


@pytest.mark.anyio
@pytest.mark.usefixtures("no_sync_to_async", "cleanup")
@pytest.mark.parametrize("alias", ["default", "async"])
async def test_async_api_end_to_end(alias: str) -> None:
    cache = caches[alias]
    assert await cache.aset("k", "v") is True
    assert await cache.aget("k") == "v"
    assert await cache.aadd("k", "w") is False
    assert await cache.aget_many(iter(["k", "x"])) == {"k": "v"}
    assert await cache.aset_many({"a": 1, "b": 2}) == []
    assert await cache.ahas_key("a") is True
    assert await cache.aincr("a", 5) == 6
    assert await cache.adecr("a") == 5
    assert await cache.atouch("a", 100) is True
    assert await cache.aget_or_set("c", lambda: 3) == 3
    assert await cache.aincr_version("c") == 2
    assert await cache.adecr_version("c", version=2) == 1
    assert await cache.adelete("k") is True
    assert await cache.adelete_many([]) is None
    await cache.adelete_many(["a", "b"])
    assert await cache.aget_many(["a", "b"]) == {}
    with pytest.raises(ValueError, match="not found"):
        await cache.aincr("missing")
    assert await cache.aclear() is True
    await cache.aclose()


@pytest.mark.anyio
@pytest.mark.usefixtures("cleanup")
async def test_native_async_runs_on_valkey_asyncio(url: str) -> None:
    cache = ValkeyCache(url, {})
    await cache.aset("k", 1)
    connection = await cache.async_client.get_client()
    assert isinstance(connection, valkey.asyncio.Valkey)
    assert isinstance(cache.client.get_client(), valkey.Valkey)
    assert cache.get("k") == 1  # the same CACHES entry, sync


@pytest.mark.anyio
@pytest.mark.usefixtures("cleanup")
async def test_concurrent_requests(url: str) -> None:
    cache = ValkeyCache(url, {})
    await asyncio.gather(*(cache.aset(f"k{i}", i) for i in range(200)))
    values = await asyncio.gather(*(cache.aget(f"k{i}") for i in range(200)))
    assert values == list(range(200))


def test_async_methods_from_several_event_loops(url: str) -> None:
    cache = ValkeyCache(url, {})

    async def use(value: int) -> Any:
        await cache.aset("k", value)
        result = await cache.aget("k")
        await disconnect_loop_pools()
        return result

    assert asyncio.run(use(1)) == 1
    assert asyncio.run(use(2)) == 2
    assert cache.get("k") == 2


@pytest.mark.anyio
@pytest.mark.usefixtures("cleanup")
async def test_valkey_extras_under_a_prefix(url: str) -> None:
    native = ValkeyCache(url, {})
    await native.aset("a1", 1, timeout=100)
    assert 0 < await native.attl("a1") <= 100
    assert sorted([k async for k in native.aiter_keys("a*")]) == ["a1"]
    assert await native.adelete_pattern("a*") == 1
    only_async = AsyncValkeyCache(url, {})
    await only_async.set("b1", 1)
    assert [k async for k in only_async.iter_keys("b*")] == ["b1"]
    assert [k async for k in only_async.aiter_keys("b*")] == ["b1"]
    assert await only_async.attl("b1") == await only_async.ttl("b1")
    assert await only_async.sadd("s", 1, 2) == 2
    assert await only_async.asmembers("s") == {1, 2}
    with pytest.raises(AttributeError):
        native.anot_a_command  # noqa: B018


@pytest.mark.anyio
@pytest.mark.usefixtures("cleanup")
async def test_get_valkey_connection_async() -> None:
    from django_valkey import get_valkey_connection
    from django_valkey.async_cache import get_valkey_connection as aget_valkey_connection

    native = await aget_valkey_connection("default")
    assert isinstance(native, valkey.asyncio.Valkey)
    only_async = await aget_valkey_connection("async")
    assert isinstance(only_async, valkey.asyncio.Valkey)
    assert await only_async.ping() is True
    pending = get_valkey_connection("async")  # django-valkey 0.4: a coroutine here
    assert isinstance(await pending, valkey.asyncio.Valkey)


@pytest.mark.anyio
@pytest.mark.usefixtures("cleanup")
async def test_async_cache_close_is_safe_sync_and_async(url: str) -> None:
    cache = AsyncValkeyCache(url, {"OPTIONS": {"CLOSE_CONNECTION": True}})
    await cache.set("k", 1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        cache.close()  # as Django calls it: not awaited
        await asyncio.sleep(0.05)
        await cache.set("k", 2)
        await cache.close()  # as django-valkey 0.4 users call it
        await cache.aclose()
    assert await cache.get("k") == 2
    assert AsyncValkeyCache(url, {}).close() is not None
