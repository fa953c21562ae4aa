"""What every client offers subclasses (django-valkey 0.4's surface), on a real server:
``_get_client``, the async ``a``-names, ``_has_compression_enabled``, ``_scan_itersize``
and ``CLOSE_CONNECTION`` read when ``close()`` runs."""

from __future__ import annotations

import inspect
from typing import Any

import pytest
import valkey
from cachetest import count_disconnects

from valkey_cache.core import AsyncCache, Cache
from valkey_cache.core.client import AsyncDefaultClient, BaseClient
from valkey_cache.core.client.asynchronous import AsyncName
from valkey_cache.core.client.hash_ring import HashRing

pytestmark = pytest.mark.anyio


class LoudClient(AsyncDefaultClient):
    async def get(self, key: Any, default: Any = None, version: Any = None, client: Any = None) -> Any:
        value = await super().get(key, default, version, client)
        return value.upper() if isinstance(value, str) else value

    async def shout(self, key: Any) -> Any:
        return await self.get(key)


def test_get_client_helper(valkey_url: str, raw_valkey: valkey.Valkey) -> None:
    client = Cache(valkey_url).client
    assert client._get_client(write=False) is client.get_client(write=False)
    assert client._get_client(client=raw_valkey) is raw_valkey
    client._get_client(write=True).set("k", b"v")
    assert raw_valkey.get("k") == b"v"


async def test_async_get_client_helper(valkey_url: str) -> None:
    cache = AsyncCache(valkey_url)
    client = cache.client
    await cache.set("k", 1)
    conn = await client._get_client(write=False)
    assert conn is await client.get_client()
    assert await conn.get(cache.make_key("k")) == b"1"
    assert await client._get_client(client=conn) is conn
    await client.disconnect()


async def test_a_names_are_the_clients_own_methods(valkey_url: str) -> None:
    client = AsyncCache(valkey_url, client_class=f"{__name__}.LoudClient").client
    assert isinstance(inspect.getattr_static(LoudClient, "aget"), AsyncName)
    assert isinstance(inspect.getattr_static(LoudClient, "ashout"), AsyncName)
    assert await client.aset("k", "quiet") is True
    assert await client.aget("k") == "QUIET"
    assert await client.ashout("k") == "QUIET"
    assert await client.ahas_key("k") is True
    assert await client.adelete("k") is True
    assert await client.aget("k") is None
    assert client.aclose == client.close
    await client.disconnect()


def test_compression_flag_and_scan_itersize(valkey_url: str) -> None:
    assert BaseClient._scan_itersize == 100
    plain = Cache(valkey_url).client
    assert plain._has_compression_enabled() is False
    assert plain._scan_itersize == 100
    packed = Cache(valkey_url, compressor="valkey_cache.compressors.zlib.ZlibCompressor", scan_itersize=3)
    assert packed.client._has_compression_enabled() is True
    assert packed.client._scan_itersize == 3
    for i in range(10):
        packed.set(f"p{i}", i)
    assert packed.delete_pattern("p*") == 10


@pytest.mark.parametrize("way", ["default", "options", "later"])
def test_close_reads_close_connection_when_it_runs(
    way: str, valkey_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = Cache(valkey_url, close_connection=True) if way == "options" else Cache(valkey_url)
    cache.set("k", 1)
    calls = count_disconnects(cache.client, monkeypatch)
    if way == "later":
        cache.client._options["CLOSE_CONNECTION"] = True
    cache.close()
    assert len(calls) == (0 if way == "default" else 1)
    assert (cache.client._clients == [None]) is (way != "default")


@pytest.mark.parametrize("way", ["default", "options", "later"])
async def test_async_close_reads_close_connection_when_it_runs(
    way: str, valkey_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = AsyncCache(valkey_url, close_connection=True) if way == "options" else AsyncCache(valkey_url)
    await cache.set("k", 1)
    calls = count_disconnects(cache.client, monkeypatch)
    if way == "later":
        cache.client._options["CLOSE_CONNECTION"] = True
    await cache.client.aclose()
    assert len(calls) == (0 if way == "default" else 1)
    await cache.client._close()


def test_hash_ring_position_is_the_point_of_the_node() -> None:
    ring = HashRing(["a", "b", "c"], replicas=8)
    for key in (f"k{i}" for i in range(200)):
        assert ring._owners[ring._points[ring.position(key)]] == ring.get_node(key)
    with pytest.raises(LookupError):
        HashRing().position("k")
