"""The herd, shard, sentinel and cluster caches in Django: 0.4's dotted paths, the async
client each sync cache gets, raw connections, settings, and 0.4's cluster methods."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.cache import caches
from django.test import override_settings
from django.utils.module_loading import import_string
from django_topologies import TOPOLOGIES, Topology, build_topology, close_loop_connections
from valkey.asyncio.cluster import ValkeyCluster as AsyncValkeyCluster
from valkey.cluster import ValkeyCluster

from django_valkey import get_valkey_connection
from django_valkey.async_cache import get_valkey_connection as aget_valkey_connection
from django_valkey.checks import check_valkey_caches
from django_valkey.exceptions import ConnectionInterrupted
from valkey_cache.core import client as core_client
from valkey_cache.core import cluster_pool, sentinel_pool
from valkey_cache.core.embedded import EmbeddedCluster, EmbeddedServer

#: Every path django-valkey 0.4 has for these topologies (and the new async ones),
#: with the core class it must be (or subclass).
PATHS = {
    "django_valkey.client.HerdClient": core_client.HerdClient,
    "django_valkey.client.herd.HerdClient": core_client.HerdClient,
    "django_valkey.client.ShardClient": core_client.ShardClient,
    "django_valkey.client.sharded.ShardClient": core_client.ShardClient,
    "django_valkey.client.SentinelClient": core_client.SentinelClient,
    "django_valkey.client.sentinel.SentinelClient": core_client.SentinelClient,
    "django_valkey.async_cache.client.AsyncHerdClient": core_client.AsyncHerdClient,
    "django_valkey.async_cache.client.herd.AsyncHerdClient": core_client.AsyncHerdClient,
    "django_valkey.async_cache.client.AsyncSentinelClient": core_client.AsyncSentinelClient,
    "django_valkey.async_cache.client.sentinel.AsyncSentinelClient": core_client.AsyncSentinelClient,
    "django_valkey.async_cache.client.AsyncShardClient": core_client.AsyncShardClient,
    "django_valkey.async_cache.client.sharded.AsyncShardClient": core_client.AsyncShardClient,
    "django_valkey.pool.SentinelConnectionFactory": sentinel_pool.SentinelConnectionFactory,
    "django_valkey.async_cache.pool.AsyncSentinelConnectionFactory": (
        sentinel_pool.AsyncSentinelConnectionFactory
    ),
    "django_valkey.cluster_cache.client.DefaultClusterClient": core_client.ClusterClient,
    "django_valkey.cluster_cache.client.default.DefaultClusterClient": core_client.ClusterClient,
    "django_valkey.cluster_cache.pool.ClusterConnectionFactory": cluster_pool.ClusterConnectionFactory,
    "django_valkey.async_cache.cluster_cache.client.AsyncDefaultClusterClient": (
        core_client.AsyncClusterClient
    ),
    "django_valkey.async_cache.cluster_cache.pool.AsyncClusterConnectionFactory": (
        cluster_pool.AsyncClusterConnectionFactory
    ),
}
BACKENDS = [
    "django_valkey.cluster_cache.cache.ClusterValkeyCache",
    "django_valkey.async_cache.cluster_cache.AsyncClusterValkeyCache",
    "django_valkey.async_cache.cluster_cache.cache.AsyncClusterValkeyCache",
]


@pytest.fixture(params=TOPOLOGIES)
def topology(request: pytest.FixtureRequest) -> Topology:
    return build_topology(str(request.param), request)


@pytest.fixture
def loop() -> Iterator[asyncio.AbstractEventLoop]:
    loop = asyncio.new_event_loop()
    yield loop
    loop.run_until_complete(close_loop_connections())
    loop.close()


# -- paths and classes -------------------------------------------------------------------


@pytest.mark.parametrize("path", sorted(PATHS))
def test_04_paths_resolve_to_the_core_classes(path: str) -> None:
    assert issubclass(import_string(path), PATHS[path])


@pytest.mark.parametrize("path", BACKENDS)
def test_cluster_backends_resolve(path: str) -> None:
    from django_valkey.base import BaseValkeyCache

    assert issubclass(import_string(path), BaseValkeyCache)


def test_herd_clients_pack_with_04s_marker() -> None:
    from django_valkey.async_cache.client import AsyncHerdClient
    from django_valkey.base_client import Marker
    from django_valkey.client import HerdClient

    assert (Marker.__module__, Marker.__qualname__) == ("django_valkey.base_client", "Marker")
    assert issubclass(Marker, core_client.Marker)
    assert HerdClient.MARKER_CLASS is Marker
    assert AsyncHerdClient.MARKER_CLASS is Marker


def test_each_topology_gets_its_async_client(topology: Topology) -> None:
    sync, native = topology.cache("sync"), topology.cache("sync")
    asynchronous = topology.cache("async")
    expected = type(asynchronous.client)
    assert type(native.async_client) is expected
    assert type(sync.client).__name__ in {
        "HerdClient",
        "ShardClient",
        "SentinelClient",
        "DefaultClusterClient",
    }
    assert (
        expected.__name__
        == {
            "herd": "AsyncHerdClient",
            "shard": "AsyncShardClient",
            "sentinel": "AsyncSentinelClient",
            "cluster": "AsyncDefaultClusterClient",
        }[topology.name]
    )


@pytest.mark.parametrize(
    ("client_class", "expected"),
    [
        ("django_helpers.MyShardClient", "django_valkey.async_cache.client.sharded.AsyncShardClient"),
        ("valkey_cache.core.client.HerdClient", "valkey_cache.core.client.herd.AsyncHerdClient"),
        ("valkey_cache.core.client.ShardClient", "valkey_cache.core.client.shard.AsyncShardClient"),
    ],
)
def test_async_client_of_a_subclass_or_a_core_client(client_class: str, expected: str, url: str) -> None:
    from django_valkey.cache import ValkeyCache

    cache = ValkeyCache([url, url], {"OPTIONS": {"CLIENT_CLASS": client_class}})
    assert type(cache.async_client) is import_string(expected)


# -- raw connections ---------------------------------------------------------------------


@pytest.mark.parametrize("topology", ["shard"], indirect=True)
def test_get_valkey_connection_of_the_shard_holding_the_key(
    topology: Topology, loop: asyncio.AbstractEventLoop
) -> None:
    with override_settings(CACHES={"default": topology.entry("sync"), "async": topology.entry("async")}):
        cache = caches["default"]
        ports = set()
        for index in range(20):
            cache.set(f"k{index}", index)
            made = cache.make_key(f"k{index}")
            raw = get_valkey_connection("default", key=made)
            assert raw.get(made) == str(index).encode()
            araw = loop.run_until_complete(aget_valkey_connection("async", key=made))
            assert loop.run_until_complete(araw.get(made)) == str(index).encode()
            ports.add(raw.connection_pool.connection_kwargs["port"])
        assert len(ports) == 2  # twenty keys spread over both servers


@pytest.mark.parametrize("topology", ["herd", "sentinel", "cluster"], indirect=True)
def test_get_valkey_connection_of_the_other_topologies(
    topology: Topology, loop: asyncio.AbstractEventLoop
) -> None:
    with override_settings(CACHES={"default": topology.entry("sync"), "async": topology.entry("async")}):
        caches["default"].set("key", 1, None)  # (no timeout: not packed by the herd)
        raw = get_valkey_connection("default", write=True)
        araw = loop.run_until_complete(aget_valkey_connection("async", write=True))
        native = loop.run_until_complete(aget_valkey_connection("default", write=True))
        if topology.name == "cluster":
            assert isinstance(raw, ValkeyCluster)
            assert isinstance(araw, AsyncValkeyCluster)
            assert isinstance(native, AsyncValkeyCluster)
        elif topology.name == "sentinel":
            assert raw.connection_pool.is_master
            assert araw.connection_pool.is_master
            assert raw.execute_command("ROLE")[0] == b"master"
        assert raw.get(":1:key") == b"1"
        assert loop.run_until_complete(araw.get(":1:key")) == b"1"


# -- settings ----------------------------------------------------------------------------


def test_cache_herd_timeout_setting(valkey_server: EmbeddedServer) -> None:
    entry = {
        "BACKEND": "django_valkey.cache.ValkeyCache",
        "LOCATION": valkey_server.url,
        "OPTIONS": {"CLIENT_CLASS": "django_valkey.client.HerdClient"},
    }
    with override_settings(CACHES={"default": entry}, CACHE_HERD_TIMEOUT=7):
        cache = caches["default"]
        assert cache.client._herd_timeout == 7
        assert cache.async_client._herd_timeout == 7
        cache.set("key", "value", 10)
        assert 16_000 < valkey_server.client().pttl(":1:key") <= 17_000


@pytest.mark.parametrize("backend_kind", ["sync", "async"])
def test_global_ignore_exceptions_gives_partial_results_on_a_shard_down(
    backend_kind: str, valkey_server: EmbeddedServer, loop: asyncio.AbstractEventLoop
) -> None:
    """DJANGO_VALKEY_IGNORE_EXCEPTIONS reaches the shard client: the live shard answers."""
    dead = "valkey://127.0.0.1:1/0"
    params = {"LOCATION": [valkey_server.url, dead], "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.5}}
    backend, client = {
        "sync": ("django_valkey.cache.ValkeyCache", "django_valkey.client.ShardClient"),
        "async": (
            "django_valkey.async_cache.cache.AsyncValkeyCache",
            "django_valkey.async_cache.client.AsyncShardClient",
        ),
    }[backend_kind]
    params["OPTIONS"]["CLIENT_CLASS"] = client  # type: ignore[index]
    keys = [f"key{i}" for i in range(12)]

    def run(value: Any) -> Any:
        return loop.run_until_complete(value) if asyncio.iscoroutine(value) else value

    with override_settings(CACHES={"default": {"BACKEND": backend, **params}}):
        cache = caches["default"]
        with pytest.raises(ConnectionInterrupted):
            run(cache.get_many(keys))
    with override_settings(
        CACHES={"default": {"BACKEND": backend, **params}}, DJANGO_VALKEY_IGNORE_EXCEPTIONS=True
    ):
        cache = caches["default"]
        failed = run(cache.set_many({k: k for k in keys}))
        found = run(cache.get_many(keys))
        assert 0 < len(found) < len(keys)
        assert sorted(failed) == sorted(set(keys) - set(found))
        assert run(cache.clear()) is False


def test_global_connection_factory_applies_to_clients_of_its_topology(topology: Topology) -> None:
    with override_settings(DJANGO_VALKEY_CONNECTION_FACTORY="django_helpers.CountingFactory"):
        cache = topology.cache("sync")
        factory = type(cache.client.connection_factory).__name__
        if topology.name in ("herd", "shard"):
            assert factory == "CountingFactory"
        else:  # a plain factory cannot serve a sentinel or cluster client
            assert factory != "CountingFactory"
        cache.set("key", 1)
        assert cache.get("key") == 1


def test_async_cluster_drops_the_pool_options_it_cannot_use(valkey_cluster: EmbeddedCluster) -> None:
    from django_valkey.cluster_cache.cache import ClusterValkeyCache
    from django_valkey.settings import cache_config

    options = {
        "CONNECTION_POOL_CLASS": "valkey.connection.BlockingConnectionPool",
        "CONNECTION_POOL_KWARGS": {"max_connections": 20, "timeout": 5},
    }
    config = cache_config(ClusterValkeyCache, valkey_cluster.url, {"OPTIONS": options})
    assert [name for name, _ in config.async_dropped] == ["CONNECTION_POOL_CLASS", "CONNECTION_POOL_KWARGS"]
    explicit = {**options, "ASYNC_CONNECTION_POOL_KWARGS": {"max_connections": 20}}
    config = cache_config(ClusterValkeyCache, valkey_cluster.url, {"OPTIONS": explicit})
    assert [name for name, _ in config.async_dropped] == ["CONNECTION_POOL_CLASS"]
    assert config.async_params is not None
    assert config.async_params["OPTIONS"]["CONNECTION_POOL_KWARGS"] == {"max_connections": 20}


# -- 0.4's cluster methods ----------------------------------------------------------------


@pytest.mark.parametrize("topology", ["cluster"], indirect=True)
@pytest.mark.parametrize("mode", ["sync", "native", "async"])
def test_cluster_methods_of_04(mode: str, topology: Topology, loop: asyncio.AbstractEventLoop) -> None:
    cache = topology.cache("async" if mode == "async" else "sync")
    prefix = "" if mode == "sync" else "a"

    def call(name: str, *args: Any, **kwargs: Any) -> Any:
        result = getattr(cache, prefix + name)(*args, **kwargs)
        return loop.run_until_complete(result) if asyncio.iscoroutine(result) else result

    data = {f"k{i}": i for i in range(10)}
    assert call("mset_nonatomic", data) is True
    assert call("mget_nonatomic", list(data)) == data
    assert call("msetnx", {"{t}a": 1, "{t}b": 2}) is True
    assert call("msetnx", {"{t}b": 3, "{t}c": 4}) is False
    assert call("get_many", ["{t}a", "{t}b", "{t}c"]) == {"{t}a": 1, "{t}b": 2}
    assert cache.keyslot("{t}a") == cache.keyslot("{t}b") == cache.client.keyslot("{t}c")
    assert call("readonly") is not None
    assert call("readwrite") is not None
    assert call("flushall") is not None
    assert call("get_many", list(data)) == {}


@pytest.mark.parametrize("topology", ["sentinel"], indirect=True)
@pytest.mark.parametrize("how", ["options", "global setting"])
def test_sentinel_configured_as_04s_docs_show(
    topology: Topology, how: str, loop: asyncio.AbstractEventLoop
) -> None:
    factory = "django_valkey.pool.SentinelConnectionFactory"
    options = {"CONNECTION_POOL_CLASS": "valkey.sentinel.SentinelConnectionPool"}
    overrides: dict[str, Any] = {}
    if how == "options":
        options["CONNECTION_FACTORY"] = factory
    else:
        overrides["DJANGO_VALKEY_CONNECTION_FACTORY"] = factory
    entry = topology.entry(OPTIONS=options)
    with override_settings(CACHES={"default": entry}, **overrides):
        assert check_valkey_caches() == []
        cache = caches["default"]
        assert cache.set("key", "sync") is True
        assert loop.run_until_complete(cache.aget("key")) == "sync"
        assert type(cache.async_client.connection_factory).__name__ == "AsyncSentinelConnectionFactory"
