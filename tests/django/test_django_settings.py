"""Settings as django-valkey users have them: OPTIONS, global settings, dotted paths."""

from __future__ import annotations

import importlib
import logging
import sys
from typing import Any

import pytest
from django.core.cache import caches
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from django_valkey.async_cache.cache import AsyncValkeyCache
from django_valkey.cache import ValkeyCache
from django_valkey.settings import cache_config

DEAD = "valkey://127.0.0.1:1"  # nothing listens on port 1


def test_options_reach_the_client(url: str) -> None:
    cache = ValkeyCache(url, {"OPTIONS": {"SCAN_ITERSIZE": 7, "CLOSE_CONNECTION": True}})
    assert cache.client._scan_itersize == 7
    assert cache.client._close_connection is True


def test_global_settings_map_to_options(url: str) -> None:
    with override_settings(
        DJANGO_VALKEY_SCAN_ITERSIZE=11,
        DJANGO_VALKEY_CLOSE_CONNECTION=True,
        CACHE_HERD_TIMEOUT=30,
    ):
        cache = ValkeyCache(url, {})
        assert cache.client._scan_itersize == 11
        assert cache.client._close_connection is True
        assert cache.client._options["HERD_TIMEOUT"] == 30
    assert ValkeyCache(url, {}).client._scan_itersize == 100


def test_options_win_over_global_settings(url: str) -> None:
    with override_settings(DJANGO_VALKEY_SCAN_ITERSIZE=11, DJANGO_VALKEY_CLOSE_CONNECTION=True):
        cache = ValkeyCache(url, {"OPTIONS": {"SCAN_ITERSIZE": 3, "CLOSE_CONNECTION": False}})
        assert cache.client._scan_itersize == 3
        assert cache.client._close_connection is False


def test_ignore_exceptions_from_options() -> None:
    cache = ValkeyCache(DEAD, {"OPTIONS": {"IGNORE_EXCEPTIONS": True}})
    assert cache.get("k", "default") == "default"
    assert cache.set("k", 1) is False
    assert cache.get_many(["a"]) == {}
    assert cache.get_or_set("k", lambda: "computed") == "computed"
    assert cache.delete_many(["a"]) == 0


def test_ignore_exceptions_covers_the_valkey_extras() -> None:

    cache = ValkeyCache(DEAD, {"KEY_PREFIX": "extras", "OPTIONS": {"IGNORE_EXCEPTIONS": True}})
    assert cache.smembers("s") == set()
    assert cache.keys("*") == []
    assert list(cache.iter_keys("*")) == []
    assert cache.delete_pattern("*") == 0
    assert cache.hgetall("h") == {}
    # As in django-valkey 0.4 and django-redis: every command is covered, counters too.
    assert cache.ttl("k") is None
    assert cache.incr("k") is None
    assert cache.decr("k") is None
    assert cache.incr_version("k") is None


def test_ignore_exceptions_from_global_settings_with_logging(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with override_settings(
        DJANGO_VALKEY_IGNORE_EXCEPTIONS=True,
        DJANGO_VALKEY_LOG_IGNORED_EXCEPTIONS=True,
        DJANGO_VALKEY_LOGGER="my.cache.logger",
    ):
        cache = ValkeyCache(DEAD, {})
        with caplog.at_level(logging.WARNING, logger="my.cache.logger"):
            assert cache.get("k") is None
        assert any(r.name == "my.cache.logger" for r in caplog.records)


def test_log_ignore_exceptions_alias_of_04(caplog: pytest.LogCaptureFixture) -> None:
    cache = ValkeyCache(DEAD, {"OPTIONS": {"IGNORE_EXCEPTIONS": True, "LOG_IGNORE_EXCEPTIONS": True}})
    with caplog.at_level(logging.WARNING, logger="django_valkey.base"):
        assert cache.has_key("k") is False
    assert any(r.name == "django_valkey.base" for r in caplog.records)


@pytest.mark.anyio
async def test_ignore_exceptions_async() -> None:

    native = ValkeyCache(DEAD, {"OPTIONS": {"IGNORE_EXCEPTIONS": True}})
    assert await native.aget("k", "default") == "default"
    assert await native.aset("k", 1) is False
    assert await native.attl("k") is None  # every command is covered, as in 0.4
    assert await native.aincr("k") is None
    assert await native.adelete_pattern("x*") == 0
    assert [k async for k in native.aiter_keys("*")] == []
    only_async = AsyncValkeyCache(DEAD, {"OPTIONS": {"IGNORE_EXCEPTIONS": True}})
    assert await only_async.get("k", "d") == "d"
    assert await only_async.aget_many(["k"]) == {}
    assert await only_async.smembers("s") == set()
    assert await only_async.asmembers("s") == set()


def test_errors_surface_without_ignore_exceptions() -> None:
    from django_valkey.exceptions import ConnectionInterrupted

    with pytest.raises(ConnectionInterrupted):
        ValkeyCache(DEAD, {}).get("k")


# -- invalid configuration -------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "fragment"),
    [
        ({"SCAN_ITERSIZE": 0}, "SCAN_ITERSIZE=0 is not valid: expected an integer >= 1"),
        ({"SERIALIZER": "no.such.Serializer"}, "SERIALIZER='no.such.Serializer' is not valid"),
        ({"CLIENT_CLASS": "no.such.Client"}, "CLIENT_CLASS='no.such.Client' is not valid"),
        ({"CLOSE_CONNECTION": "maybe"}, "CLOSE_CONNECTION='maybe' is not valid"),
        ({"SOCKET_TIMEOUT": "soon"}, "SOCKET_TIMEOUT='soon' is not valid"),
    ],
)
def test_bad_options_raise_improperly_configured_naming_the_alias(
    url: str, options: dict[str, Any], fragment: str
) -> None:
    config = {"BACKEND": "django_valkey.cache.ValkeyCache", "LOCATION": url, "OPTIONS": options}
    with override_settings(CACHES={"default": config}), pytest.raises(ImproperlyConfigured) as info:
        caches["default"]
    message = str(info.value)
    assert message.startswith("CACHES['default']: ")
    assert fragment in message


def test_messages_never_show_passwords() -> None:
    location = "valkey://user:s3cret@127.0.0.1:1/0"
    with pytest.raises(ImproperlyConfigured) as info:
        ValkeyCache(location, {"OPTIONS": {"SCAN_ITERSIZE": -1}})
    assert "s3cret" not in str(info.value)
    with pytest.raises(ImproperlyConfigured) as info:
        ValkeyCache(location, {"OPTIONS": {"PASSWORD": "s3cret", "RETRIES": "x"}})
    assert "s3cret" not in str(info.value)
    assert "s3cret" not in repr(ValkeyCache(location, {}))


def test_location_is_required() -> None:
    with pytest.raises(ImproperlyConfigured, match="LOCATION"):
        ValkeyCache("", {})


# -- construction is cheap ---------------------------------------------------------------


def test_configuration_is_parsed_once(url: str) -> None:
    params = {"OPTIONS": {"COMPRESSOR": "django_valkey.compressors.zlib.ZlibCompressor"}}
    first = ValkeyCache(url, dict(params))
    second = ValkeyCache(url, dict(params))
    assert first._config is second._config
    assert first.client is not second.client
    assert first.client._serializer is second.client._serializer
    assert first.client._compressor is second.client._compressor
    first.set("k", 1)
    second.get("k")
    assert first.client.get_client() is second.client.get_client()
    with override_settings(CACHE_COMPRESS_LEVEL=9):
        third = ValkeyCache(url, dict(params))
    assert third._config is not first._config
    assert cache_config(ValkeyCache, url, params) is first._config


def test_django_creates_a_cache_per_thread_cheaply(url: str) -> None:
    import threading

    results: list[Any] = []

    def work() -> None:
        cache = caches["default"]
        cache.set("t", 1)
        results.append((cache, cache.client.get_client()))

    threads = [threading.Thread(target=work) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    caches_seen = {id(cache) for cache, _ in results}
    raw_clients = {id(raw) for _, raw in results}
    assert len(caches_seen) == 3
    assert len(raw_clients) == 1  # one valkey-py client object per pool


# -- the async side of ValkeyCache -------------------------------------------------------


@pytest.mark.anyio
async def test_sync_pool_classes_get_their_asyncio_counterparts(url: str) -> None:
    from django_helpers import disconnect_loop_pools
    from valkey.asyncio.connection import BlockingConnectionPool as AsyncBlocking
    from valkey.connection import BlockingConnectionPool

    cache = ValkeyCache(
        url,
        {
            "OPTIONS": {
                "CONNECTION_POOL_CLASS": "valkey.connection.BlockingConnectionPool",
                "CONNECTION_POOL_KWARGS": {"max_connections": 5, "timeout": 5},
                "CONNECTION_FACTORY": "django_valkey.pool.ConnectionFactory",
                "PARSER_CLASS": "valkey.connection._RESP2Parser",
            }
        },
    )
    cache.set("k", 1)
    assert isinstance(cache.client.get_client().connection_pool, BlockingConnectionPool)
    assert await cache.aget("k") == 1
    raw = await cache.async_client.get_client()
    assert isinstance(raw.connection_pool, AsyncBlocking)
    assert cache._config.async_dropped == ()
    await disconnect_loop_pools()


@pytest.mark.anyio
async def test_async_client_class_option(url: str) -> None:
    from django_helpers import disconnect_loop_pools

    from django_valkey.async_cache.client import AsyncDefaultClient

    class MyAsyncClient(AsyncDefaultClient):
        pass

    cache = ValkeyCache(url, {"OPTIONS": {"ASYNC_CLIENT_CLASS": MyAsyncClient}})
    await cache.aset("k", "v")
    assert type(cache.async_client) is MyAsyncClient
    assert await cache.aget("k") == "v"
    await disconnect_loop_pools()


@pytest.mark.anyio
async def test_global_sync_factory_does_not_reach_async_clients(url: str) -> None:
    from django_helpers import disconnect_loop_pools

    from django_valkey.async_cache.pool import AsyncConnectionFactory
    from django_valkey.pool import ConnectionFactory

    with override_settings(DJANGO_VALKEY_CONNECTION_FACTORY="django_valkey.pool.ConnectionFactory"):
        native = ValkeyCache(url, {})
        only_async = AsyncValkeyCache(url, {})
        assert type(native.client.connection_factory) is ConnectionFactory
        assert type(native.async_client.connection_factory) is AsyncConnectionFactory
        assert type(only_async.client.connection_factory) is AsyncConnectionFactory
        await native.aset("k", 1)
        assert await only_async.get("k") == 1
    await disconnect_loop_pools()


# -- drop-in dotted paths ----------------------------------------------------------------

DOTTED_PATHS = {
    "django_valkey.cache.ValkeyCache": "django_valkey.cache.ValkeyCache",
    "django_valkey.async_cache.cache.AsyncValkeyCache": ("django_valkey.async_cache.cache.AsyncValkeyCache"),
    "django_valkey.client.DefaultClient": "django_valkey.client.default.DefaultClient",
    "django_valkey.client.default.DefaultClient": "django_valkey.client.default.DefaultClient",
    "django_valkey.client.default.HashClient": "django_valkey.client.default.DefaultClient",
    "django_valkey.async_cache.client.AsyncDefaultClient": (
        "django_valkey.async_cache.client.default.AsyncDefaultClient"
    ),
    "django_valkey.async_cache.client.default.AsyncDefaultClient": (
        "django_valkey.async_cache.client.default.AsyncDefaultClient"
    ),
    "django_valkey.async_cache.client.default.AsyncHashClient": (
        "django_valkey.async_cache.client.default.AsyncDefaultClient"
    ),
    "django_valkey.pool.ConnectionFactory": "django_valkey.pool.ConnectionFactory",
    "django_valkey.async_cache.pool.AsyncConnectionFactory": (
        "django_valkey.async_cache.pool.AsyncConnectionFactory"
    ),
    "django_valkey.serializers.json.JSONSerializer": "valkey_cache.serializers.json.JSONSerializer",
    "django_valkey.serializers.msgpack.MSGPackSerializer": (
        "valkey_cache.serializers.msgpack.MSGPackSerializer"
    ),
    "django_valkey.serializers.msgspec.MsgSpecJsonSerializer": (
        "valkey_cache.serializers.msgspec.MsgSpecJsonSerializer"
    ),
    "django_valkey.serializers.msgspec.MsgSpecMsgPackSerializer": (
        "valkey_cache.serializers.msgspec.MsgSpecMsgPackSerializer"
    ),
    "django_valkey.serializers.base.BaseSerializer": "valkey_cache.core.serializer.BaseSerializer",
    "django_valkey.compressors.identity.IdentityCompressor": (
        "valkey_cache.core.compressor.IdentityCompressor"
    ),
    "django_valkey.compressors.base.BaseCompressor": "valkey_cache.core.compressor.BaseCompressor",
    "django_valkey.compressors.zlib.ZlibCompressor": "valkey_cache.compressors.zlib.ZlibCompressor",
    "django_valkey.compressors.gzip.GzipCompressor": "valkey_cache.compressors.gzip.GzipCompressor",
    "django_valkey.compressors.bz2.Bz2Compressor": "valkey_cache.compressors.bz2.Bz2Compressor",
    "django_valkey.compressors.lzma.LzmaCompressor": "valkey_cache.compressors.lzma.LzmaCompressor",
    "django_valkey.compressors.lz4.Lz4Compressor": "valkey_cache.compressors.lz4.Lz4Compressor",
    "django_valkey.compressors.zstd.ZStdCompressor": "valkey_cache.compressors.zstd.ZStdCompressor",
    "django_valkey.compressors.brotli.BrotliCompressor": ("valkey_cache.compressors.brotli.BrotliCompressor"),
}


@pytest.mark.parametrize("path", sorted(DOTTED_PATHS))
def test_dotted_paths_of_04_resolve(path: str) -> None:
    from django.utils.module_loading import import_string

    assert import_string(path) is import_string(DOTTED_PATHS[path])


def test_04_pickle_serializer_is_the_cores_raising_improperly_configured() -> None:
    from django_valkey.serializers.pickle import PickleSerializer
    from valkey_cache.core.serializer import PickleSerializer as CorePickleSerializer

    assert issubclass(PickleSerializer, CorePickleSerializer)
    assert PickleSerializer.OPTIONS == CorePickleSerializer.OPTIONS


@pytest.mark.parametrize(
    ("module", "library", "extra"),
    [
        ("django_valkey.serializers.msgpack", "msgpack", "msgpack"),
        ("django_valkey.serializers.msgspec", "msgspec", "msgspec"),
        ("django_valkey.compressors.lz4", "lz4", "lz4"),
        ("django_valkey.compressors.brotli", "brotli", "brotli"),
        ("django_valkey.compressors.zstd", "backports", "zstd"),
    ],
)
def test_missing_library_names_the_extra(
    monkeypatch: pytest.MonkeyPatch, module: str, library: str, extra: str
) -> None:
    for name in list(sys.modules):
        if name == library or name.startswith(f"{library}."):
            monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, library, None)
    monkeypatch.delitem(sys.modules, module, raising=False)
    with pytest.raises(ImportError, match=rf'pip install "django-valkey\[{extra}\]"'):
        importlib.import_module(module)


def test_missing_library_in_options_is_a_clear_configuration_error(
    monkeypatch: pytest.MonkeyPatch, url: str
) -> None:
    monkeypatch.setitem(sys.modules, "lz4", None)
    monkeypatch.setitem(sys.modules, "lz4.frame", None)
    monkeypatch.delitem(sys.modules, "django_valkey.compressors.lz4", raising=False)
    path = "django_valkey.compressors.lz4.Lz4Compressor"
    with pytest.raises(ImproperlyConfigured, match=r"django-valkey\[lz4\]"):
        ValkeyCache(url, {"KEY_PREFIX": "missing-lz4", "OPTIONS": {"COMPRESSOR": path}})
