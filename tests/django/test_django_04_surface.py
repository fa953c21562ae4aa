"""The names and the subclassing surface of django-valkey 0.4, on real servers.

What 0.4's own tests and a site's subclasses of its clients touch: ``hash_ring``,
``base.close_async_caches``, ``pool.get_connection_factory()``, the clients' ``a``-names,
``_get_client``, ``_scan_itersize``, ``_has_compression_enabled``, the herd's ``_pack``,
the cache's ``_ignore_exceptions``/``_log_ignored_exceptions``/``logger`` and its
patchable ``client``, and ``CLOSE_CONNECTION`` read at close time.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Awaitable, Callable, Iterator
from typing import Any
from unittest import mock

import pytest
from cachetest import count_disconnects
from django.core.cache import caches
from django.core.cache.backends.locmem import LocMemCache
from django.test import override_settings
from django_helpers import CountingFactory, disconnect_loop_pools
from django_topologies import TOPOLOGIES, Topology, build_topology, close_loop_connections

from django_valkey import pool
from django_valkey.async_cache.cache import AsyncValkeyCache
from django_valkey.async_cache.client import AsyncDefaultClient
from django_valkey.base import close_async_caches
from django_valkey.base_client import BaseClient
from django_valkey.cache import ValkeyCache
from django_valkey.client import ShardClient
from django_valkey.commands import DJANGO_COMMANDS, EXTRA_COMMANDS
from django_valkey.hash_ring import HashRing
from valkey_cache.core.client.hash_ring import HashRing as CoreHashRing
from valkey_cache.core.compressor import IdentityCompressor
from valkey_cache.core.serializer import PickleSerializer

URLS = ("unix://tmp/foo.bar?db=1", "valkey://localhost/2", "valkeys://localhost:3333?db=2")


@pytest.fixture(params=TOPOLOGIES)
def topology(request: pytest.FixtureRequest) -> Topology:
    return build_topology(str(request.param), request)


@pytest.fixture
def run() -> Iterator[Callable[[Awaitable[Any]], Any]]:
    """Runs coroutines on one fresh loop, closing what it opened at the end."""
    loop = asyncio.new_event_loop()
    yield loop.run_until_complete
    loop.run_until_complete(close_loop_connections())
    loop.close()


# -- django_valkey.hash_ring ---------------------------------------------------------------


class Node:
    def __init__(self, ident: int) -> None:
        self.ident = ident

    def __str__(self) -> str:
        return f"node:{self.ident}"


def test_hash_ring_places_keys_as_04_does_and_returns_the_node_objects() -> None:
    ring = HashRing([Node(i) for i in range(3)])
    assert [ring.get_node(f"test{i}").ident for i in range(10)] == [0, 2, 1, 2, 2, 2, 2, 0, 1, 1]
    core = CoreHashRing([f"node:{i}" for i in range(3)])
    for key in (f"k{i}" for i in range(500)):
        node, position = ring.get_node_pos(key)
        assert str(node) == core.get_node(key) == str(ring(key))
        assert ring.ring[ring.sorted_keys[position]] is node
        first = next(ring.iter_nodes(key))
        assert first == (ring.sorted_keys[position], node)
    assert len(ring.sorted_keys) == len(ring.ring) == 3 * 128


def test_empty_hash_ring_answers_none_as_04_does() -> None:
    ring = HashRing(replicas=4)
    assert ring.get_node("k") is None
    assert ring.get_node_pos("k") == (None, None)
    assert list(ring.iter_nodes("k")) == [(None, None)]
    ring.add_node("a")
    assert ring("k") == "a"
    ring.remove_node("a")
    assert ring("k") is None


def test_shard_client_places_keys_where_the_04_ring_does(url: str, second_server: Any) -> None:
    cache = ValkeyCache(
        [url, second_server.url], {"OPTIONS": {"CLIENT_CLASS": "django_valkey.client.ShardClient"}}
    )
    ring = HashRing([url, second_server.url])
    for i in range(20):
        cache.set(f"k{i}", i)
        key = cache.make_key(f"k{i}")
        assert cache.client._get_client(key=key) is cache.client.get_client(key=key)
        assert cache.client.get_server_name(key) == ring.get_node(str(key))
        assert cache.client._server_dict[ring.get_node(str(key))].exists(key) == 1
    assert sorted(cache.client._server_dict) == sorted([url, second_server.url])


# -- django_valkey.base.close_async_caches -------------------------------------------------


class CountingLocMem(LocMemCache):
    closed = 0

    def close(self, **kwargs: Any) -> None:
        type(self).closed += 1


def test_close_async_caches_closes_every_cache_made(url: str, run: Callable[[Awaitable[Any]], Any]) -> None:
    options = {"CLOSE_CONNECTION": True}
    conf = {
        "sync": {"BACKEND": "django_valkey.cache.ValkeyCache", "LOCATION": url, "OPTIONS": options},
        "async": {
            "BACKEND": "django_valkey.async_cache.cache.AsyncValkeyCache",
            "LOCATION": url,
            "OPTIONS": options,
        },
        "other": {"BACKEND": f"{__name__}.CountingLocMem"},
        "unused": {"BACKEND": "django_valkey.cache.ValkeyCache", "LOCATION": url},
    }
    with override_settings(CACHES=conf):
        sync, asynchronous, other = caches["sync"], caches["async"], caches["other"]

        async def use() -> None:
            sync.set("a", 1)
            await sync.aset("b", 2)
            await asynchronous.set("c", 3)
            other.set("d", 4)
            clients = (sync.async_client._clients_here(), asynchronous.client._clients_here())
            assert sync.client._clients[0] is not None
            assert all(c[0] is not None for c in clients)
            await close_async_caches(sender=None)
            assert sync.client._clients == [None]
            assert all(c == [None] for c in clients)

        CountingLocMem.closed = 0
        run(use())
        assert CountingLocMem.closed == 1


# -- django_valkey.pool.get_connection_factory ---------------------------------------------


@pytest.mark.parametrize("url", URLS)
@pytest.mark.parametrize(
    "factory",
    ["django_valkey.pool.ConnectionFactory", "django_valkey.async_cache.pool.AsyncConnectionFactory"],
)
def test_get_connection_factory_of_options_only(factory: str, url: str) -> None:
    cf = pool.get_connection_factory(options={"CONNECTION_FACTORY": factory})
    assert f"{type(cf).__module__}.{type(cf).__qualname__}" == factory
    assert cf.make_connection_params(url)["url"] == url


def test_get_connection_factory_defaults(valkey_url: str) -> None:
    cf = pool.get_connection_factory()
    assert type(cf) is pool.ConnectionFactory
    assert cf.connect(valkey_url).ping() is True
    with override_settings(DJANGO_VALKEY_CONNECTION_FACTORY="django_helpers.CountingFactory"):
        assert type(pool.get_connection_factory()) is CountingFactory
        assert (
            type(pool.get_connection_factory("django_valkey.pool.ConnectionFactory"))
            is pool.ConnectionFactory
        )
        named = pool.get_connection_factory(
            None, {"CONNECTION_FACTORY": "django_valkey.pool.ConnectionFactory"}
        )
        assert type(named) is pool.ConnectionFactory


# -- the async clients' a-names ------------------------------------------------------------


class LoudAsyncClient(AsyncDefaultClient):
    async def get(self, key: Any, default: Any = None, version: Any = None, client: Any = None) -> Any:
        value = await super().get(key, default, version, client)
        return value.upper() if isinstance(value, str) else value

    async def shout(self, key: Any) -> Any:
        return await self.get(key)


def test_every_command_of_the_async_clients_has_its_a_name(topology: Topology) -> None:
    client = topology.cache("async").client
    for name in (*DJANGO_COMMANDS, *EXTRA_COMMANDS, "delete_many", "close", "get_client"):
        assert getattr(client, "a" + name) == getattr(client, name), name


def test_a_names_on_each_topology(topology: Topology, run: Callable[[Awaitable[Any]], Any]) -> None:
    client = topology.cache("async").client

    async def use() -> None:
        assert await client.aset("k", "v") is True
        assert await client.aget("k") == "v"
        assert await client.ahas_key("k") is True
        assert await client.adelete("k") is True
        assert await client.aget("k", "gone") == "gone"
        await client.aclose()

    run(use())


@pytest.mark.anyio
async def test_a_names_follow_a_subclass_s_overrides_and_new_methods(url: str) -> None:
    client = AsyncValkeyCache(url, {"OPTIONS": {"CLIENT_CLASS": f"{__name__}.LoudAsyncClient"}}).client
    await client.aset("k", "quiet")
    assert await client.aget("k") == "QUIET"
    assert await client.ashout("k") == "QUIET"
    await disconnect_loop_pools()


# -- the clients' 0.4 helpers --------------------------------------------------------------


def _stored(client: Any, raw: bytes) -> Any:
    value = client.decode(raw)
    return client._unpack(value)[0] if topology_is_herd(client) else value


def topology_is_herd(client: Any) -> bool:
    return hasattr(client, "_herd_timeout")


def test_get_client_helper_on_each_topology(topology: Topology, run: Callable[[Awaitable[Any]], Any]) -> None:
    cache, acache = topology.cache("sync"), topology.cache("async")
    cache.set("k", 1)
    key = cache.make_key("k")
    if isinstance(cache.client, ShardClient):
        raw = cache.client._get_client(key=key)
    else:
        raw = cache.client._get_client(write=False, client=None)
    assert _stored(cache.client, raw.get(key)) == 1
    assert cache.client._get_client(client=raw) is raw

    async def use() -> None:
        await acache.set("k", 2)
        araw = await acache.client._get_client(write=True, key=key)
        assert _stored(acache.client, await araw.get(key)) == 2
        assert await acache.client._get_client(client=araw) is araw

    run(use())


def test_int_float_and_set_values_as_04s_backend_tests_read_them(url: str) -> None:
    cache = ValkeyCache(url, {})
    raw = cache.client._get_client(write=False, client=None)
    cache.set("i", 1)
    cache.set("f", 1.5)
    assert (cache.get("i"), raw.get(":1:i")) == (1, b"1")
    assert (cache.get("f"), raw.get(":1:f")) == (1.5, b"1.5")
    assert cache.sadd("si", 1, 2) == 2
    assert cache.sadd("sf", 1.5) == 1
    assert cache.client._has_compression_enabled() is False
    assert sorted(raw.smembers(":1:si")) == [b"1", b"2"]
    assert cache.smembers("si") == {1, 2}
    assert cache.smembers("sf") == {1.5}


def test_scan_itersize_has_a_class_default_and_reflects_the_configuration(url: str) -> None:
    assert BaseClient._scan_itersize == 100
    assert ValkeyCache(url, {}).client._scan_itersize == 100
    assert ValkeyCache(url, {"OPTIONS": {"SCAN_ITERSIZE": 7}}).client._scan_itersize == 7
    with override_settings(DJANGO_VALKEY_SCAN_ITERSIZE=30):
        cache = ValkeyCache(url, {})
        assert cache.client._scan_itersize == cache._default_scan_itersize == 30


def test_serializer_compressor_and_compression_flag(url: str) -> None:
    plain = ValkeyCache(url, {})
    assert isinstance(plain.client._serializer, PickleSerializer)
    assert isinstance(plain.client._compressor, IdentityCompressor)
    assert plain.client._has_compression_enabled() is False
    packed = ValkeyCache(url, {"OPTIONS": {"COMPRESSOR": "django_valkey.compressors.zlib.ZlibCompressor"}})
    assert packed.client._has_compression_enabled() is True
    assert plain.client._server == [url]
    assert plain.client._clients == [None]


def test_herd_pack_is_what_the_herd_client_stores(url: str) -> None:
    cache = ValkeyCache(url, {"OPTIONS": {"CLIENT_CLASS": "django_valkey.client.HerdClient"}})
    client = cache.client
    cache.set("k", "v")
    packed = client._pack("v", cache.default_timeout)
    stored = client.decode(client._get_client(write=False).get(cache.make_key("k")))
    assert type(stored[0]) is type(packed[0])
    assert stored[1] == packed[1] == "v"
    assert 0 <= packed[2] - stored[2] <= 1  # whole seconds from now, taken a moment apart
    assert client._unpack(stored) == ("v", stored[2])


# -- the cache's 0.4 attributes ------------------------------------------------------------


def test_ignore_and_log_attributes_reflect_options_and_settings(url: str) -> None:
    quiet = ValkeyCache(url, {})
    assert (quiet._ignore_exceptions, quiet._log_ignored_exceptions, quiet.logger) == (False, False, None)
    options = {"IGNORE_EXCEPTIONS": True, "LOG_IGNORE_EXCEPTIONS": True, "LOGGER": "site.cache"}
    loud = ValkeyCache(url, {"OPTIONS": options})
    assert (loud._ignore_exceptions, loud._log_ignored_exceptions) == (True, True)
    assert loud.logger is logging.getLogger("site.cache")
    with override_settings(DJANGO_VALKEY_IGNORE_EXCEPTIONS=True, DJANGO_VALKEY_LOG_IGNORED_EXCEPTIONS=True):
        assert ValkeyCache(url, {})._ignore_exceptions is True
        assert ValkeyCache(url, {})._log_ignored_exceptions is True
        assert ValkeyCache(url, {"OPTIONS": {"IGNORE_EXCEPTIONS": False}})._ignore_exceptions is False


def test_client_is_a_class_property_that_can_be_patched(url: str) -> None:
    cache = ValkeyCache(url, {})
    real = cache.client
    assert isinstance(inspect.getattr_static(ValkeyCache, "client"), property)
    assert "get" not in cache.__dict__  # the methods live on the class
    assert "client" not in cache.__dict__
    # A mock stands in for the client: the point is what the cache asks of it.
    with mock.patch.object(ValkeyCache, "client") as client_mock:
        cache.delete_pattern("*foo-a*", itersize=2)
        client_mock.delete_pattern.assert_called_once_with("*foo-a*", itersize=2)
    assert cache.client is real
    cache.set("k", 1)
    assert cache.get("k") == 1


# -- CLOSE_CONNECTION, read at close time --------------------------------------------------


CLOSE_WAYS = ("default", "options", "setting", "client_options", "cache_options")


def _close_case(way: str, url: str, kind: str) -> tuple[Any, Callable[[Any], Any]]:
    """A cache and the change that (for every way but "default") asks close() to disconnect."""
    options: dict[str, Any] = {"CLOSE_CONNECTION": True} if way == "options" else {}
    backend = ValkeyCache if kind == "sync" else AsyncValkeyCache
    cache = backend(url, {"OPTIONS": options})

    def request(client: Any) -> Any:
        if way == "setting":
            return override_settings(DJANGO_VALKEY_CLOSE_CONNECTION=True)
        if way == "client_options":
            client._options["CLOSE_CONNECTION"] = True
        if way == "cache_options":
            options["CLOSE_CONNECTION"] = True
        return override_settings()

    return cache, request


@pytest.mark.parametrize("way", CLOSE_WAYS)
def test_sync_close_disconnects_as_close_connection_says_now(
    way: str, url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache, request = _close_case(way, url, "sync")
    client = cache.client
    client.set("k", 0)
    calls = count_disconnects(client, monkeypatch)
    with request(client):
        client.close()
    assert len(calls) == (0 if way == "default" else 1)
    assert (client._clients == [None]) is (way != "default")


@pytest.mark.parametrize("way", CLOSE_WAYS)
def test_async_close_disconnects_as_close_connection_says_now(
    way: str, url: str, run: Callable[[Awaitable[Any]], Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    cache, request = _close_case(way, url, "async")
    client = cache.client

    async def use() -> int:
        await client.aset("k", 0)
        calls = count_disconnects(client, monkeypatch)
        with request(client):
            await client.aclose()
        return len(calls)

    assert run(use()) == (0 if way == "default" else 1)


def test_default_serializer_is_04s_pickle_class_on_the_fast_path(url: str) -> None:
    """0.4's tests and sites check ``isinstance(cache.client._serializer, PickleSerializer)``
    against django_valkey's class; that class must still take the pickle fast path."""
    from django_valkey.serializers.pickle import PickleSerializer
    from valkey_cache.core.codec import make_decoder, make_encoder
    from valkey_cache.core.compressor import IdentityCompressor

    cache = ValkeyCache(url, {})
    assert isinstance(cache.client._serializer, PickleSerializer)
    serializer = PickleSerializer()
    assert make_encoder(serializer, IdentityCompressor()).__name__ == "encode_pickle"
    assert make_decoder(serializer, IdentityCompressor()).__name__ == "decode_pickle"
    cache.set("k", {"a": 1})
    assert cache.get("k") == {"a": 1}
