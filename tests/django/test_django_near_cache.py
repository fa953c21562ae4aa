"""OPTIONS["NEAR_CACHE"] on the Django backends, against the real server."""

from __future__ import annotations

import pickle
import time
from collections.abc import Iterator
from io import StringIO
from typing import Any

import pytest
import valkey
from django.core.cache import caches
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.test import override_settings
from nearcache import settle, wait_until

from django_valkey.async_cache.cache import AsyncValkeyCache
from django_valkey.cache import ValkeyCache
from django_valkey.cluster_cache.cache import ClusterValkeyCache
from valkey_cache.core.embedded import EmbeddedCluster


def near_cache(url: str, near: Any = True, cls: type[Any] = ValkeyCache) -> Any:
    return cls(url, {"KEY_PREFIX": "dj", "OPTIONS": {"NEAR_CACHE": near}})


@pytest.fixture
def cache(url: str) -> Iterator[ValkeyCache]:
    made = near_cache(url)
    assert made.near_cache.wait_ready()
    yield made
    made.near_cache.close()


@pytest.mark.parametrize(
    ("value", "named"),
    [
        ("always", "NEAR_CACHE"),
        ({"MODE": "lazy"}, "MODE"),
        ({"MAX_ENTRIES": -1}, "MAX_ENTRIES"),
        ({"X": 1}, "X"),
    ],
)
def test_bad_values_are_improperly_configured(url: str, value: Any, named: str) -> None:
    with pytest.raises(ImproperlyConfigured, match=named):
        near_cache(url, value)


def test_served_locally_and_coherent(cache: ValkeyCache, raw_valkey: valkey.Valkey) -> None:
    cache.set("k", {"v": 1})
    settle(cache, raw_valkey)
    nkey = cache.make_key("k")
    store = cache.near_cache.store
    wait_until(lambda: cache.get("k") == {"v": 1} and nkey in store._entries, "a local copy")
    before = cache.near_cache_stats()
    assert before is not None
    assert cache.get("k") == {"v": 1}
    assert cache.has_key("k")
    after = cache.near_cache_stats()
    assert after is not None
    assert after["hits"] - before["hits"] == 2
    raw_valkey.set(nkey, pickle.dumps({"v": 2}))
    wait_until(lambda: cache.get("k") == {"v": 2}, "the other writer's value")
    cache.delete("k")
    assert cache.get("k") is None


@pytest.mark.anyio
async def test_native_async_shares_the_copies(cache: ValkeyCache) -> None:
    await cache.aset("a", 1)
    assert await cache.aget("a") == 1
    cache.set("a", 2)
    assert await cache.aget("a") == 2
    await cache.aset("a", 3)
    assert cache.get("a") == 3
    assert cache.async_client.near_cache is cache.near_cache


@pytest.mark.anyio
async def test_async_backend(url: str, raw_valkey: valkey.Valkey) -> None:
    cache = near_cache(url, {"MODE": "optin", "MAX_ENTRIES": 100}, AsyncValkeyCache)
    try:
        assert cache.near_cache.wait_ready()
        await cache.aset("k", "one")
        assert await cache.aget("k") == "one"
        assert await cache.aget_many(["k", "z"]) == {"k": "one"}
        raw_valkey.set(cache.make_key("k"), pickle.dumps("two"))
        deadline = time.monotonic() + 5
        while await cache.aget("k") != "two":
            assert time.monotonic() < deadline, "the other writer's value"
        stats = cache.near_cache_stats()
        assert stats is not None
        assert stats["mode"] == "optin"
    finally:
        cache.near_cache.close()


def test_off_by_default(url: str) -> None:
    plain = ValkeyCache(url, {})
    assert plain.near_cache is None
    assert plain.near_cache_stats() is None


def test_manage_py_valkey_info_shows_the_stats(url: str) -> None:
    settings = {
        "BACKEND": "django_valkey.cache.ValkeyCache",
        "LOCATION": url,
        "OPTIONS": {"NEAR_CACHE": True},
    }
    with override_settings(CACHES={"default": settings, "near": settings}):
        cache = caches["near"]
        try:
            cache.set("a", 1)
            cache.get("a")
            out = StringIO()
            call_command("valkey", "info", alias="near", stdout=out)
            assert "near cache: bcast" in out.getvalue()
            assert "hits" in out.getvalue()
        finally:
            cache.near_cache.close()


@pytest.mark.anyio
async def test_cluster_backend(valkey_cluster: EmbeddedCluster) -> None:
    cache = ClusterValkeyCache(valkey_cluster.url, {"KEY_PREFIX": "djc", "OPTIONS": {"NEAR_CACHE": True}})
    raw = valkey.ValkeyCluster.from_url(valkey_cluster.url)
    try:
        assert cache.near_cache.wait_ready(10)
        assert len(cache.near_cache.listeners) == len(valkey_cluster.current_masters())
        names = [f"k{i}" for i in range(12)]
        cache.set_many(dict.fromkeys(names, 1))
        held = cache.near_cache.store._entries
        wait_until(
            lambda: (
                cache.get_many(names) == dict.fromkeys(names, 1)
                and all(cache.make_key(n) in held for n in names)
            ),
            "every key cached",
        )
        assert await cache.aget_many(names) == dict.fromkeys(names, 1)
        raw.set(cache.make_key("k3"), pickle.dumps(2))
        wait_until(lambda: cache.get("k3") == 2, "the other writer's value")
        assert cache.async_client.near_cache is cache.near_cache
        await cache.aset("k4", 3)
        assert await cache.aget("k4") == 3
        assert cache.get("k4") == 3
    finally:
        cache.near_cache.close()
        raw.close()
