"""What a site meets first on switching to this package, through Django (real server).

Compression switched off still reads compressed values; two caches on one URL with
different connection factories each use their own; a bad LOCATION or option is an
E001 from ``manage.py check`` (never a crash); an unpicklable value names its key;
``get_or_set`` that loses a race returns the winner's value and leaves it stored.
"""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest
import valkey
from django.core.cache import caches
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import override_settings
from django_topologies import close_loop_connections

from django_valkey.async_cache.cache import AsyncValkeyCache
from django_valkey.cache import ValkeyCache
from django_valkey.pool import ConnectionFactory
from valkey_cache.core.exceptions import SerializerError

COMPRESSORS = ["zlib", "gzip", "bz2", "lzma", "lz4", "zstd", "brotli"]
COMPRESSOR_PATH = "django_valkey.compressors.{0}.{1}Compressor"
CLASS_NAMES = {"zlib": "Zlib", "gzip": "Gzip", "bz2": "Bz2", "lzma": "Lzma", "lz4": "Lz4", "zstd": "ZStd"}
CLASS_NAMES["brotli"] = "Brotli"
#: The reader's OPTIONS: no COMPRESSOR, and 0.4's identity compressor.
READERS: dict[str, dict[str, Any]] = {
    "none": {},
    "identity": {"COMPRESSOR": "django_valkey.compressors.identity.IdentityCompressor"},
}
VALUE = {"html": "<p>row</p>" * 300, "ids": list(range(100))}
SECRET = "Sup3r-s3cret"


def _compressor(name: str) -> str:
    return COMPRESSOR_PATH.format(name, CLASS_NAMES[name])


def _run(coro: Any) -> Any:
    async def main() -> Any:
        try:
            return await coro
        finally:
            await close_loop_connections()

    return asyncio.run(main())


# -- compression off -----------------------------------------------------------------------


@pytest.mark.parametrize("reader", list(READERS))
@pytest.mark.parametrize("name", COMPRESSORS)
def test_compressed_values_read_once_compression_is_off(
    name: str, reader: str, url: str, raw_valkey: valkey.Valkey
) -> None:
    writer = ValkeyCache(url, {"OPTIONS": {"COMPRESSOR": _compressor(name)}})
    writer.set("one", VALUE)
    writer.set_many({"a": VALUE})
    assert raw_valkey.get(":1:one") is not None
    off = ValkeyCache(url, {"OPTIONS": READERS[reader]})
    assert off.get("one") == VALUE
    assert off.get_many(["a", "one"]) == {"a": VALUE, "one": VALUE}
    assert _run(off.aget("one")) == VALUE
    async_off = AsyncValkeyCache(url, {"OPTIONS": READERS[reader]})
    assert _run(async_off.get("a")) == VALUE


# -- connection factories ------------------------------------------------------------------

FACTORIES_USED: list[str] = []


class FirstFactory(ConnectionFactory):
    def get_connection_pool(self, params: dict[str, Any]) -> Any:
        FACTORIES_USED.append(type(self).__name__)
        return super().get_connection_pool(params)


class SecondFactory(FirstFactory):
    pass


def test_same_url_different_factories(url: str) -> None:
    FACTORIES_USED.clear()
    plain = {"BACKEND": "django_valkey.cache.ValkeyCache", "LOCATION": url}
    with override_settings(CACHES={"plain": plain, "own": {**plain, "KEY_PREFIX": "own"}}):
        caches["plain"].set("k", 1)
        assert FACTORIES_USED == []
        with override_settings(DJANGO_VALKEY_CONNECTION_FACTORY=f"{__name__}.FirstFactory"):
            first = ValkeyCache(url, {})
            first.set("k", 2)
            assert type(first.client.connection_factory) is FirstFactory
            assert FACTORIES_USED == ["FirstFactory"]
            second = ValkeyCache(url, {"OPTIONS": {"CONNECTION_FACTORY": f"{__name__}.SecondFactory"}})
            second.set("k", 3)
            assert type(second.client.connection_factory) is SecondFactory
            assert FACTORIES_USED == ["FirstFactory", "SecondFactory"]
            assert ValkeyCache(url, {}).get("k") == 3  # FirstFactory's pool, shared
            assert FACTORIES_USED == ["FirstFactory", "SecondFactory"]


# -- bad configuration: ImproperlyConfigured, and E001 from manage.py check ---------------

BAD_ENTRIES: dict[str, dict[str, Any]] = {
    "location nonsense": {"LOCATION": "nonsense"},
    "location http": {"LOCATION": "http://127.0.0.1:6379/0"},
    "port": {"LOCATION": "valkey://127.0.0.1:notaport/0"},
    "db query": {"LOCATION": "valkey://127.0.0.1:6379?db=abc"},
    "db path": {"LOCATION": "valkey://127.0.0.1:6379/abc"},
    "nan timeout": {"OPTIONS": {"SOCKET_TIMEOUT": float("nan")}},
    "inf timeout": {"OPTIONS": {"SOCKET_TIMEOUT": float("inf")}},
    "pool kwargs": {"OPTIONS": {"CONNECTION_POOL_KWARGS": {"nope": 1}}},
    "bad option": {"OPTIONS": {"SCAN_ITERSIZE": 0}},
}


def _entry(url: str, backend: str, bad: dict[str, Any]) -> dict[str, Any]:
    return {"BACKEND": backend, "LOCATION": url, **bad}


@pytest.mark.parametrize(
    "backend", ["django_valkey.cache.ValkeyCache", "django_valkey.async_cache.cache.AsyncValkeyCache"]
)
@pytest.mark.parametrize("bad", list(BAD_ENTRIES.values()), ids=list(BAD_ENTRIES))
def test_bad_configuration_is_an_e001_from_manage_py_check(
    url: str, backend: str, bad: dict[str, Any]
) -> None:
    entry = _entry(url, backend, bad)
    cache_settings = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        "broken": entry,
    }
    with override_settings(CACHES=cache_settings):
        with pytest.raises(ImproperlyConfigured) as built:
            caches.create_connection("broken")
        assert "CACHES['broken']" in str(built.value)
        with pytest.raises(SystemCheckError) as checked:
            call_command("check")
    assert "django_valkey.E001" in str(checked.value)
    assert "CACHES['broken']" in str(checked.value)


def test_check_with_a_secret_in_a_bad_location(url: str) -> None:
    entry = {"BACKEND": "django_valkey.cache.ValkeyCache", "LOCATION": f"valkey://:{SECRET}@127.0.0.1:port/0"}
    with override_settings(CACHES={"default": entry}), pytest.raises(SystemCheckError) as checked:
        call_command("check")
    assert "django_valkey.E001" in str(checked.value)
    assert SECRET not in str(checked.value)


def test_sync_parser_for_the_async_cache_is_an_e001(url: str) -> None:
    entry = {
        "BACKEND": "django_valkey.async_cache.cache.AsyncValkeyCache",
        "LOCATION": url,
        "OPTIONS": {"PARSER_CLASS": "valkey._parsers._RESP2Parser"},
    }
    with override_settings(CACHES={"default": entry}), pytest.raises(SystemCheckError) as checked:
        call_command("check")
    assert "PARSER_CLASS" in str(checked.value)


def test_good_configuration_checks_clean_and_django_checks_still_run(url: str, tmp_path: Any) -> None:
    cache_settings = {
        "default": {"BACKEND": "django_valkey.cache.ValkeyCache", "LOCATION": url},
        "files": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": "relative/dir",
        },
    }
    with override_settings(CACHES=cache_settings):
        from io import StringIO

        out, err = StringIO(), StringIO()
        call_command("check", stdout=out, stderr=err)
    assert "caches.W003" in out.getvalue() + err.getvalue()  # Django's own check ran


# -- unpicklable values --------------------------------------------------------------------


def _lock() -> Any:
    return threading.Lock()


def _names_key(caught: pytest.ExceptionInfo[SerializerError], key: str) -> None:
    assert repr(key) in str(caught.value)
    assert "_thread.lock" in str(caught.value)
    assert isinstance(caught.value.__cause__, TypeError)


@pytest.mark.parametrize("client", ["django_valkey.client.DefaultClient", "django_valkey.client.HerdClient"])
def test_unpicklable_value_names_the_key(client: str, url: str, raw_valkey: valkey.Valkey) -> None:
    cache = ValkeyCache(url, {"OPTIONS": {"CLIENT_CLASS": client}})
    for call, key in (
        (lambda: cache.set("k1", _lock()), "k1"),
        (lambda: cache.add("k2", _lock()), "k2"),
        (lambda: cache.get_or_set("k3", _lock), "k3"),
        (lambda: cache.set_many({"ok": 1, "k4": _lock()}), "k4"),
        (lambda: _run(cache.aset("k5", _lock())), "k5"),
        (lambda: _run(cache.aset_many({"ok": 1, "k6": _lock()})), "k6"),
        (lambda: _run(cache.aget_or_set("k7", _lock)), "k7"),
    ):
        with pytest.raises(SerializerError) as caught:
            call()
        _names_key(caught, key)
    assert raw_valkey.keys("*") == []


def test_unpicklable_value_names_the_key_all_async(url: str, raw_valkey: valkey.Valkey) -> None:
    cache = AsyncValkeyCache(url, {})
    with pytest.raises(SerializerError) as caught:
        _run(cache.set("k1", _lock()))
    _names_key(caught, "k1")
    with pytest.raises(SerializerError) as caught:
        _run(cache.set_many({"ok": 1, "k2": _lock()}))
    _names_key(caught, "k2")
    with pytest.raises(SerializerError) as caught:
        _run(cache.get_or_set("k3", _lock))
    _names_key(caught, "k3")
    assert raw_valkey.keys("*") == []


# -- get_or_set races ----------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["sync", "native-async"])
@pytest.mark.parametrize("client", ["django_valkey.client.DefaultClient", "django_valkey.client.HerdClient"])
def test_get_or_set_race_keeps_the_winner(client: str, mode: str, url: str) -> None:
    params = {"OPTIONS": {"CLIENT_CLASS": client}}
    first, second = ValkeyCache(url, params), ValkeyCache(url, params)
    computed: list[int] = []

    def default() -> str:
        computed.append(1)
        second.set("race", "winner")
        return "loser"

    if mode == "sync":
        assert first.get_or_set("race", default) == "winner"
    else:
        assert _run(first.aget_or_set("race", default)) == "winner"
    assert computed == [1]
    assert second.get("race") == "winner"
    assert first.get_or_set("race", default) == "winner"
    assert computed == [1]


@pytest.mark.parametrize(
    "client",
    [
        "django_valkey.async_cache.client.AsyncDefaultClient",
        "django_valkey.async_cache.client.AsyncHerdClient",
    ],
)
def test_get_or_set_race_keeps_the_winner_all_async(client: str, url: str) -> None:
    first = AsyncValkeyCache(url, {"OPTIONS": {"CLIENT_CLASS": client}})
    second = ValkeyCache(
        url, {"OPTIONS": {"CLIENT_CLASS": client.replace("async_cache.client.Async", "client.")}}
    )

    def default() -> str:
        second.set("race", "winner")
        return "loser"

    assert _run(first.get_or_set("race", default)) == "winner"
    assert _run(first.aget_or_set("race", default)) == "winner"
    assert second.get("race") == "winner"


class OwnGet(ValkeyCache):
    """A site's cache subclass whose ``get`` adds to every value read."""

    def get(self, key: Any, default: Any = None, version: Any = None, client: Any = None) -> Any:
        value = super().get(key, default, version, client)
        return f"seen:{value}" if isinstance(value, str) else value


def test_get_or_set_of_a_subclass_goes_through_its_get(url: str) -> None:
    cache = OwnGet(url, {})
    assert cache.get_or_set("k", "v") == "seen:v"
    assert ValkeyCache(url, {}).get("k") == "v"
