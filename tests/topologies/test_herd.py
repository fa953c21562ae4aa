"""The herd client: django-valkey 0.4's stored format, and one refresher per stale value."""

from __future__ import annotations

import asyncio
import pickle
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import valkey
from cachetest import EitherCache, make_cache

import django_valkey.base_client
from valkey_cache.core import Cache, ConfigurationError
from valkey_cache.core.client import AsyncHerdClient, HerdClient, Marker
from valkey_cache.core.embedded import EmbeddedServer

pytestmark = pytest.mark.anyio

CLIENTS: dict[str, type[Any]] = {"sync": HerdClient, "async": AsyncHerdClient}


def herd_cache(kind: str, url: str, **options: Any) -> EitherCache:
    return make_cache(kind, url, client_class=CLIENTS[kind], key_prefix="h", **options)


@pytest.fixture
def raw_valkey(valkey_server: EmbeddedServer, valkey_url: str) -> Iterator[valkey.Valkey]:
    """The plain server's own client (not the per-topology one of conftest)."""
    client = valkey_server.client()
    yield client
    client.close()


@pytest.fixture
def legacy_marker(monkeypatch: pytest.MonkeyPatch) -> type[Any]:
    """The class 0.4 pickles its marker as: ``django_valkey.base_client.Marker``."""
    existing = getattr(django_valkey.base_client, "Marker", None)
    if existing is not None:
        return existing  # type: ignore[no-any-return]

    class LegacyMarker(Marker):
        pass

    LegacyMarker.__module__ = "django_valkey.base_client"
    LegacyMarker.__qualname__ = LegacyMarker.__name__ = "Marker"
    monkeypatch.setattr(django_valkey.base_client, "Marker", LegacyMarker, raising=False)
    return LegacyMarker


def compat_client(kind: str, marker: type[Any]) -> type[Any]:
    """What the Django package does: pack with the marker at 0.4's module path."""
    return type("CompatHerd", (CLIENTS[kind],), {"MARKER_CLASS": marker})


async def test_stored_bytes_are_04s(
    kind: str, valkey_url: str, raw_valkey: valkey.Valkey, legacy_marker: type
) -> None:
    cache = make_cache(kind, valkey_url, client_class=compat_client(kind, legacy_marker), herd_timeout=7)
    before = int(time.time())
    await cache.set("k", {"a": [1, 2]}, timeout=100)
    raw = raw_valkey.get(":1:k")
    marker, value, expiry = pickle.loads(raw)
    # 0.4 reads it: its own class, the value, and an int expiry = now + timeout.
    assert type(marker) is legacy_marker
    assert b"django_valkey.base_client" in raw
    assert value == {"a": [1, 2]}
    assert before + 100 <= expiry <= int(time.time()) + 100
    assert raw == pickle.dumps((legacy_marker(), {"a": [1, 2]}, expiry), pickle.DEFAULT_PROTOCOL)
    assert 106_000 < raw_valkey.pttl(":1:k") <= 107_000  # timeout + HERD_TIMEOUT


async def test_reads_what_04_wrote(
    kind: str, valkey_url: str, raw_valkey: valkey.Valkey, legacy_marker: type
) -> None:
    fresh = pickle.dumps((legacy_marker(), "v", int(time.time()) + 50), pickle.DEFAULT_PROTOCOL)
    raw_valkey.set(":1:k", fresh, px=110_000)
    raw_valkey.set(":1:plain", pickle.dumps("p", pickle.DEFAULT_PROTOCOL))
    for client_class in (compat_client(kind, legacy_marker), CLIENTS[kind]):
        cache = make_cache(kind, valkey_url, client_class=client_class)
        assert await cache.get("k") == "v"
        assert await cache.get_many(["k", "plain", "none"]) == {"k": "v", "plain": "p"}
        assert 105 <= await cache.ttl("k") <= 110  # the server's TTL, as 0.4 reports it


async def test_values_without_timeout_are_not_packed(
    kind: str, valkey_url: str, raw_valkey: valkey.Valkey
) -> None:
    cache = herd_cache(kind, valkey_url)
    await cache.set("n", 5, timeout=None)
    assert raw_valkey.get("h:1:n") == b"5"
    assert await cache.incr("n") == 6
    await cache.set("p", "x", timeout=10)
    assert isinstance(pickle.loads(raw_valkey.get("h:1:p"))[0], Marker)


def store_stale(cache: EitherCache, raw: valkey.Valkey, key: str, value: Any, stale_for: int) -> None:
    client = cache.inner.client
    packed = client.encode((Marker(), value, int(time.time()) - stale_for))
    raw.set(client.make_key(key), packed, px=30_000)


async def gather(cache: EitherCache, calls: int) -> list[Any]:
    if cache.is_async:
        return list(await asyncio.gather(*(cache.inner.get("k") for _ in range(calls))))
    results: list[Any] = []
    barrier = threading.Barrier(calls)

    def read() -> None:
        barrier.wait()
        results.append(cache.inner.get("k"))

    threads = [threading.Thread(target=read) for _ in range(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


async def test_one_caller_refreshes_a_stale_value_others_get_it(
    kind: str, valkey_url: str, raw_valkey: valkey.Valkey
) -> None:
    cache = herd_cache(kind, valkey_url, herd_timeout=30)
    store_stale(cache, raw_valkey, "k", "old", stale_for=5)
    results = await gather(cache, 12)
    assert sorted(results, key=str) == [None] + ["old"] * 11
    assert await cache.get("k") == "old"  # still served while the refresher works
    assert await cache.set("k", "new", timeout=60) is True
    assert await cache.get("k") == "new"


async def test_get_or_set_refreshes_a_stale_value(
    kind: str, valkey_url: str, raw_valkey: valkey.Valkey
) -> None:
    cache = herd_cache(kind, valkey_url)
    store_stale(cache, raw_valkey, "k", "old", stale_for=1)
    assert await cache.get_or_set("k", lambda: "new", timeout=60) == "new"
    assert await cache.get("k") == "new"
    store_stale(cache, raw_valkey, "m", "old", stale_for=1)
    assert await cache.get_many(["m", "k"]) == {"k": "new"}  # this caller refreshes m
    assert await cache.get_many(["m", "k"]) == {"m": "old", "k": "new"}


async def test_ttl_is_the_servers_and_touch_follows_the_logical_expiry(
    kind: str, valkey_url: str, raw_valkey: valkey.Valkey
) -> None:
    # ttl/pttl report what the server keeps (timeout + HERD_TIMEOUT), as django-valkey 0.4.
    cache = herd_cache(kind, valkey_url, herd_timeout=20)
    await cache.set("k", 1, timeout=10)
    assert 29 <= await cache.ttl("k") <= 30
    assert 29_000 < await cache.pttl("k") <= 30_000
    assert 29_000 < raw_valkey.pttl("h:1:k") <= 30_000
    assert await cache.incr("k", 4) == 5
    assert 29 <= await cache.ttl("k") <= 30
    assert await cache.touch("k", 100) is True
    assert 119 <= await cache.ttl("k") <= 120
    assert 119_000 < raw_valkey.pttl("h:1:k") <= 120_000
    assert await cache.persist("k") is True
    assert await cache.ttl("k") is None
    assert raw_valkey.get("h:1:k") == b"5"
    assert await cache.ttl("missing") == 0


def test_herd_timeout_option_is_checked(valkey_url: str) -> None:
    assert Cache(valkey_url, client_class=HerdClient, herd_timeout=0).client._herd_timeout == 0
    with pytest.raises(ConfigurationError, match="HERD_TIMEOUT"):
        Cache(valkey_url, client_class=HerdClient, herd_timeout="soon")
    with pytest.raises(ConfigurationError, match="HERD_TIMOUT"):
        Cache(valkey_url, client_class=HerdClient, herd_timout=5)
