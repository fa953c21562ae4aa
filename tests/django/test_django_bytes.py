"""The bytes in the server are the ones django-valkey 0.4 writes and reads.

Expected bytes are built the way django-valkey 0.4 builds them (key ``prefix:version:key``,
pickle at ``pickle.DEFAULT_PROTOCOL``, ints and floats as plain numbers, each
compressor with 0.4's default settings), so a site can switch either way without
flushing its cache.
"""

from __future__ import annotations

import bz2
import datetime
import gzip
import json
import lzma
import pickle
import sys
import zlib
from typing import Any

import pytest
import valkey
from django.test import override_settings

from django_valkey.async_cache.cache import AsyncValkeyCache
from django_valkey.cache import ValkeyCache

OBJECTS: list[Any] = [
    "text",
    "unicode \u00e5\u00e4\u00f6",
    b"\x00binary",
    None,
    True,
    [1, 2, 3],
    {"a": {"b": (1, 2)}},
    datetime.datetime(2024, 5, 6, 7, 8, 9),
]


def pickled(value: Any) -> bytes:
    return pickle.dumps(value, pickle.DEFAULT_PROTOCOL)


@pytest.mark.parametrize("value", OBJECTS)
def test_objects_are_pickled_with_the_default_protocol(
    url: str, raw_valkey: valkey.Valkey, value: Any
) -> None:
    ValkeyCache(url, {}).set("k", value)
    assert raw_valkey.get(":1:k") == pickled(value)


def test_numbers_are_stored_as_plain_numbers(url: str, raw_valkey: valkey.Valkey) -> None:
    cache = ValkeyCache(url, {})
    cache.set_many({"int": 42, "negative": -7, "big": 2**70, "float": 3.25})
    assert raw_valkey.get(":1:int") == b"42"
    assert raw_valkey.get(":1:negative") == b"-7"
    assert raw_valkey.get(":1:big") == str(2**70).encode()
    assert raw_valkey.get(":1:float") == b"3.25"
    raw_valkey.incr(":1:int")
    assert cache.get("int") == 43


def test_prefix_and_version_in_keys(url: str, raw_valkey: valkey.Valkey) -> None:
    ValkeyCache(url, {"KEY_PREFIX": "site", "VERSION": 4}).set("k", "v")
    ValkeyCache(url, {}).set("k", "v", version=2)
    assert sorted(raw_valkey.keys()) == [b":2:k", b"site:4:k"]


@pytest.mark.anyio
async def test_async_cache_writes_the_same_bytes(url: str, raw_valkey: valkey.Valkey) -> None:
    from django_helpers import disconnect_loop_pools

    await AsyncValkeyCache(url, {}).set("k", {"x": 1})
    await ValkeyCache(url, {}).aset("n", 5)
    assert raw_valkey.get(":1:k") == pickled({"x": 1})
    assert raw_valkey.get(":1:n") == b"5"
    await disconnect_loop_pools()


def test_reads_what_django_valkey_04_wrote(url: str, raw_valkey: valkey.Valkey) -> None:
    raw_valkey.set(":1:obj", pickled({"x": [1, 2]}))
    raw_valkey.set(":1:int", b"42")
    raw_valkey.set(":1:float", b"2.5")
    raw_valkey.set(":1:proto2", pickle.dumps("old", 2))
    cache = ValkeyCache(url, {})
    assert cache.get_many(["obj", "int", "float", "proto2"]) == {
        "obj": {"x": [1, 2]},
        "int": 42,
        "float": 2.5,
        "proto2": "old",
    }


def test_pickle_version_option(url: str, raw_valkey: valkey.Valkey) -> None:
    ValkeyCache(url, {"OPTIONS": {"PICKLE_VERSION": 2}}).set("k", ["v"])
    assert raw_valkey.get(":1:k") == pickle.dumps(["v"], 2)


# -- compressors -----------------------------------------------------------------------

LONG = {"payload": "x" * 200}


def _lz4(data: bytes) -> bytes:
    import lz4.frame

    out: bytes = lz4.frame.compress(
        data,
        compression_level=0,
        block_size=0,
        content_checksum=0,
        block_linked=True,
        store_size=True,
    )
    return out


def _zstd(data: bytes) -> bytes:
    if sys.version_info >= (3, 14):
        from compression import zstd
    else:
        from backports import zstd
    out: bytes = zstd.compress(data, level=1)
    return out


def _brotli(data: bytes) -> bytes:
    import brotli

    out: bytes = brotli.compress(data, quality=11, lgwin=22, lgblock=0, mode=brotli.MODE_GENERIC)
    return out


COMPRESSED = {
    "zlib.ZlibCompressor": lambda data: zlib.compress(data, 6),
    "bz2.Bz2Compressor": lambda data: bz2.compress(data, 9),
    "lzma.LzmaCompressor": lambda data: lzma.compress(data, preset=4, format=lzma.FORMAT_XZ),
    "lz4.Lz4Compressor": _lz4,
    "zstd.ZStdCompressor": _zstd,
    "brotli.BrotliCompressor": _brotli,
}


@pytest.mark.parametrize("path", sorted(COMPRESSED))
def test_compressed_bytes_match(url: str, raw_valkey: valkey.Valkey, path: str) -> None:
    cache = ValkeyCache(url, {"OPTIONS": {"COMPRESSOR": f"django_valkey.compressors.{path}"}})
    cache.set("long", LONG)
    cache.set("short", None)  # 4 bytes pickled: under COMPRESS_MIN_LENGTH (15)
    assert raw_valkey.get(":1:long") == COMPRESSED[path](pickled(LONG))
    assert raw_valkey.get(":1:short") == pickled(None)
    raw_valkey.set(":1:from04", COMPRESSED[path](pickled({"old": True})))
    assert cache.get("from04") == {"old": True}
    assert cache.get("long") == LONG


def test_gzip_reads_and_writes_04_streams(url: str, raw_valkey: valkey.Valkey) -> None:
    cache = ValkeyCache(url, {"OPTIONS": {"COMPRESSOR": "django_valkey.compressors.gzip.GzipCompressor"}})
    cache.set("long", LONG)
    stored = raw_valkey.get(":1:long")
    assert stored[:3] == b"\x1f\x8b\x08"
    assert gzip.decompress(stored) == pickled(LONG)
    raw_valkey.set(":1:from04", gzip.compress(pickled(LONG), compresslevel=9))
    assert cache.get("from04") == LONG


def test_global_compress_settings_apply(url: str, raw_valkey: valkey.Valkey) -> None:
    options = {"OPTIONS": {"COMPRESSOR": "django_valkey.compressors.zlib.ZlibCompressor"}}
    with override_settings(CACHE_COMPRESS_LEVEL=9, CACHE_COMPRESS_MIN_LENGTH=1000):
        cache = ValkeyCache(url, options)
        cache.set("long", LONG)
        assert raw_valkey.get(":1:long") == pickled(LONG)
        cache.set("longer", "y" * 2000)
        assert raw_valkey.get(":1:longer") == zlib.compress(pickled("y" * 2000), 9)


# -- serializers -----------------------------------------------------------------------


def test_json_serializer_bytes(url: str, raw_valkey: valkey.Valkey) -> None:
    value = {"a": [1, "two", None, True], "b": 1.5}
    cache = ValkeyCache(url, {"OPTIONS": {"SERIALIZER": "django_valkey.serializers.json.JSONSerializer"}})
    cache.set("k", value)
    assert raw_valkey.get(":1:k") == json.dumps(value).encode()
    raw_valkey.set(":1:from04", json.dumps(["x", {"y": 1}]).encode())
    assert cache.get("from04") == ["x", {"y": 1}]


def test_msgpack_serializer_bytes(url: str, raw_valkey: valkey.Valkey) -> None:
    import msgpack

    value = {"a": [1, "two", None, True], "b": b"bin"}
    cache = ValkeyCache(
        url, {"OPTIONS": {"SERIALIZER": "django_valkey.serializers.msgpack.MSGPackSerializer"}}
    )
    cache.set("k", value)
    assert raw_valkey.get(":1:k") == msgpack.dumps(value)
    assert cache.get("k") == value
