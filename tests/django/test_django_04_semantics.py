"""Where django-valkey 0.4's answers are kept, on real servers: ``set(nx=True)``, expiry
with Django's DEFAULT_TIMEOUT, ``client=`` by position, the herd's ``ttl``, cluster
``keys(target_nodes=)``, 0.4's ``_clients`` on the async client, and bad options of
0.4's own classes raising ``ImproperlyConfigured``.
"""

from __future__ import annotations

import pickle
from collections.abc import Iterator
from typing import Any

import pytest
import valkey
import valkey.asyncio
from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.exceptions import ImproperlyConfigured
from django_helpers import disconnect_loop_pools
from django_topologies import close_loop_connections
from valkey.cluster import ValkeyCluster

from django_valkey import pool as sync_pool
from django_valkey.async_cache import pool as async_pool
from django_valkey.async_cache.cache import AsyncValkeyCache
from django_valkey.async_cache.cluster_cache.cache import AsyncClusterValkeyCache
from django_valkey.cache import ValkeyCache
from django_valkey.cluster_cache.cache import ClusterValkeyCache
from django_valkey.serializers.pickle import PickleSerializer
from valkey_cache.core.embedded import EmbeddedCluster, EmbeddedServer
from valkey_cache.core.exceptions import ConfigurationError

HERD = {"OPTIONS": {"CLIENT_CLASS": "django_valkey.client.HerdClient"}}
ASYNC_HERD = {"OPTIONS": {"CLIENT_CLASS": "django_valkey.async_cache.client.AsyncHerdClient"}}


@pytest.fixture
def second(second_server: EmbeddedServer) -> Iterator[valkey.Valkey]:
    raw = second_server.client()
    raw.flushdb()
    yield raw
    raw.flushdb()
    raw.close()


# -- set(nx=True): None when not stored, as 0.4; add stays Django's False ------------------


@pytest.mark.parametrize("params", [{}, HERD], ids=["default", "herd"])
def test_set_nx_returns_none_when_not_stored(url: str, params: dict[str, Any]) -> None:
    cache = ValkeyCache(url, params)
    assert cache.set("k", 1, nx=True) is True
    assert cache.set("k", 2, nx=True) is None
    assert cache.set("k", 2, timeout=60, nx=True) is None
    assert cache.get("k") == 1
    assert cache.add("k", 3) is False
    assert cache.add("other", 3) is True
    assert cache.set("k", 4) is True
    assert cache.set("missing", 4, xx=True) is False


@pytest.mark.anyio
@pytest.mark.parametrize("params", [{}, ASYNC_HERD], ids=["default", "herd"])
async def test_async_set_nx_returns_none_when_not_stored(url: str, params: dict[str, Any]) -> None:
    cache = AsyncValkeyCache(url, params)
    assert await cache.set("k", 1, nx=True) is True
    assert await cache.set("k", 2, nx=True) is None
    assert await cache.add("k", 3) is False
    assert await cache.aadd("k", 3) is False
    assert await cache.get("k") == 1
    await disconnect_loop_pools()


@pytest.mark.anyio
async def test_native_async_add_stays_false(url: str) -> None:
    cache = ValkeyCache(url, {})
    await cache.aset("k", 1)
    assert await cache.aadd("k", 2) is False
    await disconnect_loop_pools()


# -- expire / pexpire with Django's DEFAULT_TIMEOUT ----------------------------------------


@pytest.mark.parametrize("params", [{}, HERD], ids=["default", "herd"])
def test_expire_with_default_timeout_uses_the_caches_timeout(
    url: str, raw_valkey: valkey.Valkey, params: dict[str, Any]
) -> None:
    cache = ValkeyCache(url, {"TIMEOUT": 200, **params})
    cache.set("k", "v", timeout=None)
    assert cache.expire("k", DEFAULT_TIMEOUT) is True
    assert 190_000 < raw_valkey.pttl(":1:k") <= 200_000 + cache.client.__dict__.get("_herd_timeout", 0) * 1000
    cache.set("p", "v", timeout=None)
    assert cache.pexpire("p", DEFAULT_TIMEOUT) is True
    assert raw_valkey.pttl(":1:p") > 190_000
    assert cache.expire("missing", DEFAULT_TIMEOUT) is False
    assert cache.pexpire("missing", DEFAULT_TIMEOUT) is False
    assert cache.get("k") == "v"


def test_expire_with_default_timeout_none_persists(url: str, raw_valkey: valkey.Valkey) -> None:
    cache = ValkeyCache(url, {"TIMEOUT": None})
    cache.set("k", "v", timeout=30)
    assert cache.expire("k", DEFAULT_TIMEOUT) is True
    assert raw_valkey.pttl(":1:k") == -1


@pytest.mark.anyio
async def test_async_expire_with_default_timeout(url: str, raw_valkey: valkey.Valkey) -> None:
    cache = AsyncValkeyCache(url, {"TIMEOUT": 200})
    await cache.set("k", "v", timeout=None)
    assert await cache.expire("k", DEFAULT_TIMEOUT) is True
    assert 190_000 < raw_valkey.pttl(":1:k") <= 200_000
    assert await cache.pexpire("missing", DEFAULT_TIMEOUT) is False
    native = ValkeyCache(url, {"TIMEOUT": 100})
    assert await native.aexpire("k", DEFAULT_TIMEOUT) is True
    assert 90_000 < raw_valkey.pttl(":1:k") <= 100_000
    await disconnect_loop_pools()


# -- the herd's ttl: what the server keeps, as 0.4 ------------------------------------------


def test_herd_ttl_includes_the_herd_timeout(url: str, raw_valkey: valkey.Valkey) -> None:
    cache = ValkeyCache(url, HERD)
    herd = cache.client._herd_timeout
    cache.set("k", "v", 10)
    assert 9 + herd <= cache.ttl("k") <= 10 + herd
    assert abs(cache.pttl("k") - raw_valkey.pttl(":1:k")) < 1000
    cache.set("forever", "v", timeout=None)
    assert cache.ttl("forever") is None
    assert cache.ttl("missing") == 0


# -- client= by position, through the Django backend ----------------------------------------


def test_client_by_position_through_the_backend(
    url: str, raw_valkey: valkey.Valkey, second_server: EmbeddedServer, second: valkey.Valkey
) -> None:
    cache = ValkeyCache(url, {})
    conn = valkey.Valkey.from_url(second_server.url)
    try:
        assert cache.set("k", "v", None, None, conn) is True
        assert cache.get_many(["k"], None, conn) == {"k": "v"}
        assert cache.has_key("k", None, conn) is True
        assert cache.ttl("k", None, conn) is None
        assert cache.keys("*", None, conn) == ["k"]
        assert second.exists(":1:k") == 1
        assert raw_valkey.exists(":1:k") == 0
    finally:
        conn.close()


@pytest.mark.anyio
async def test_async_client_by_position_through_the_backend(
    url: str, raw_valkey: valkey.Valkey, second_server: EmbeddedServer, second: valkey.Valkey
) -> None:
    cache = AsyncValkeyCache(url, {})
    conn = valkey.asyncio.Valkey.from_url(second_server.url)
    try:
        assert await cache.set("k", "v", None, None, conn) is True
        assert await cache.sadd("s", 1, client=conn) == 1
        assert await cache.has_key("k", None, conn) is True
        assert await cache.delete_many(["k", "s"], None, conn) == 2
        assert second.dbsize() == 0
        assert raw_valkey.dbsize() == 0
    finally:
        await conn.aclose()
        await disconnect_loop_pools()


@pytest.mark.parametrize("params", [{}, HERD], ids=["default", "herd"])
def test_a_pipeline_as_client_queues_the_command(
    url: str, raw_valkey: valkey.Valkey, params: dict[str, Any]
) -> None:
    cache = ValkeyCache(url, params)
    pipe = cache.client.get_client(write=True).pipeline()
    assert cache.set("k", "v", client=pipe) is True
    assert cache.expire("k", 100, None, pipe) is True
    assert raw_valkey.exists(":1:k") == 0
    pipe.execute()
    assert cache.get("k") == "v"
    assert 90_000 < raw_valkey.pttl(":1:k") <= 100_000 + cache.client.__dict__.get("_herd_timeout", 0) * 1000


# -- 0.4's ``_clients`` on the async client: this loop's connections ------------------------


@pytest.mark.anyio
async def test_async_clients_attribute_is_this_loops_connections(
    url: str, second_server: EmbeddedServer, second: valkey.Valkey
) -> None:
    cache = AsyncValkeyCache(f"{url},{second_server.url}", {})
    client = cache.client
    primary = valkey.asyncio.Valkey.from_url(second_server.url)
    replica = valkey.asyncio.Valkey.from_url(url)
    try:
        client._clients = [primary, replica]
        assert client._clients == [primary, replica]
        assert await client.get_client(write=True) is primary
        assert await client.get_client_with_index(write=False) == (replica, 1)
        await cache.set("k", "v")  # the write goes to the connection set as index 0
        assert second.get(":1:k") is not None
    finally:
        await primary.aclose()
        await replica.aclose()
        await disconnect_loop_pools()


# -- cluster keys(target_nodes=) ------------------------------------------------------------


def test_cluster_keys_with_target_nodes(valkey_cluster: EmbeddedCluster) -> None:
    cache = ClusterValkeyCache(valkey_cluster.url, {"KEY_PREFIX": "p"})
    other = ClusterValkeyCache(valkey_cluster.url, {"KEY_PREFIX": "q"})
    cache.client.get_client().flushall()
    names = [f"k{i}" for i in range(20)]
    cache.set_many(dict.fromkeys(names, 1))
    other.set("b", 2)
    expected = sorted(names)
    assert sorted(cache.keys("*", target_nodes=ValkeyCluster.ALL_NODES)) == expected
    assert sorted(cache.keys("*", ValkeyCluster.PRIMARIES)) == expected
    assert sorted(cache.keys("*")) == expected
    primaries = cache.client.get_client().get_primaries()
    assert sorted(cache.keys("*", target_nodes=primaries)) == expected
    one = primaries[0]
    on_one = cache.keys("*", target_nodes=one)
    assert 0 < len(on_one) < len(names)
    assert sorted(on_one) == sorted(k for k in names if cache.client.get_client().get_node_from_key(
        cache.make_key(k)) == one)  # fmt: skip
    with pytest.raises(ValueError, match="target_nodes='everywhere'"):
        cache.keys("*", target_nodes="everywhere")
    cache.client.get_client().flushall()


@pytest.mark.anyio
async def test_async_cluster_keys_with_target_nodes(valkey_cluster: EmbeddedCluster) -> None:
    cache = AsyncClusterValkeyCache(valkey_cluster.url, {"KEY_PREFIX": "p"})
    await cache.set_many({"{t}a": 1, "{t}b": 2})
    assert sorted(await cache.keys("{t}*", target_nodes=ValkeyCluster.ALL_NODES)) == ["{t}a", "{t}b"]
    assert sorted(await cache.keys("{t}*", target_nodes=ValkeyCluster.DEFAULT_NODE)) in ([], ["{t}a", "{t}b"])
    await cache.delete_many(["{t}a", "{t}b"])
    await close_loop_connections()


# -- ImproperlyConfigured from 0.4's own classes ---------------------------------------------


@pytest.mark.parametrize(
    ("version", "says"),
    [
        ("not-an-integer", "PICKLE_VERSION value must be an integer"),
        (
            pickle.HIGHEST_PROTOCOL + 1,
            f"can't be higher than pickle.HIGHEST_PROTOCOL: {pickle.HIGHEST_PROTOCOL}",
        ),
    ],
)
def test_pickle_version_out_of_range_is_improperly_configured(version: Any, says: str) -> None:
    with pytest.raises(ImproperlyConfigured, match=says) as raised:
        PickleSerializer({"PICKLE_VERSION": version})
    assert isinstance(raised.value, ConfigurationError)  # still the core's error, too
    assert raised.value.option == "PICKLE_VERSION"
    assert f"PICKLE_VERSION={version!r}" in str(raised.value)
    assert PickleSerializer({"PICKLE_VERSION": 2})._pickle_version == 2


def test_bad_pickle_version_in_caches_is_improperly_configured(url: str) -> None:
    with pytest.raises(ImproperlyConfigured, match="PICKLE_VERSION"):
        ValkeyCache(url, {"OPTIONS": {"PICKLE_VERSION": 99}})


@pytest.mark.parametrize(
    "factory",
    [sync_pool.SentinelConnectionFactory, async_pool.AsyncSentinelConnectionFactory],
    ids=["sync", "async"],
)
def test_no_sentinels_is_improperly_configured(factory: type[Any]) -> None:
    path = f"{factory.__module__}.{factory.__qualname__}"
    with pytest.raises(ImproperlyConfigured, match="SENTINELS") as raised:
        sync_pool.get_connection_factory(path=None, options={"CONNECTION_FACTORY": path})
    assert isinstance(raised.value, ConfigurationError)
    with pytest.raises(ImproperlyConfigured, match="SENTINELS"):
        factory({})
    built = sync_pool.get_connection_factory(
        options={"CONNECTION_FACTORY": path, "SENTINELS": [("127.0.0.1", 26379)]}
    )
    assert type(built) is factory


def test_the_core_still_raises_configuration_error_only() -> None:
    from valkey_cache.core.serializer import PickleSerializer as CorePickleSerializer

    with pytest.raises(ConfigurationError) as raised:
        CorePickleSerializer({"PICKLE_VERSION": 99})
    assert not isinstance(raised.value, ImproperlyConfigured)
