"""Every serializer x compressor round-trips its supported values through a real server."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from valkey_cache.core import AsyncCache, Cache

from .values import SERIALIZERS, supported

COMPRESSORS = {
    "core-identity": "valkey_cache.core.compressor.IdentityCompressor",
    "identity": "valkey_cache.compressors.identity.IdentityCompressor",
    "zlib": "valkey_cache.compressors.zlib.ZlibCompressor",
    "gzip": "valkey_cache.compressors.gzip.GzipCompressor",
    "bz2": "valkey_cache.compressors.bz2.Bz2Compressor",
    "lzma": "valkey_cache.compressors.lzma.LzmaCompressor",
    "lz4": "valkey_cache.compressors.lz4.Lz4Compressor",
    "zstd": "valkey_cache.compressors.zstd.ZStdCompressor",
    "brotli": "valkey_cache.compressors.brotli.BrotliCompressor",
}
COMBOS = list(itertools.product(SERIALIZERS, COMPRESSORS))
IDS = [f"{s}+{c}" for s, c in COMBOS]
MISSING = object()


def _check(values: dict[str, Any], got: dict[str, Any]) -> None:
    for key, value in values.items():
        assert got[key] == value, key
        assert type(got[key]) is type(value), key


@pytest.mark.parametrize(("serializer", "compressor"), COMBOS, ids=IDS)
def test_roundtrip_sync(serializer: str, compressor: str, valkey_url: str) -> None:
    values = supported(serializer)
    cache = Cache(valkey_url, serializer=SERIALIZERS[serializer], compressor=COMPRESSORS[compressor])
    try:
        for key, value in values.items():
            cache.set(key, value)
        _check(values, {key: cache.get(key, MISSING) for key in values})
        cache.clear()
        cache.set_many(values)
        _check(values, cache.get_many(list(values)))
    finally:
        cache.close()


@pytest.mark.anyio
@pytest.mark.parametrize(("serializer", "compressor"), COMBOS, ids=IDS)
async def test_roundtrip_async(serializer: str, compressor: str, valkey_url: str) -> None:
    values = supported(serializer)
    cache = AsyncCache(valkey_url, serializer=SERIALIZERS[serializer], compressor=COMPRESSORS[compressor])
    try:
        await cache.set_many(values)
        _check(values, await cache.get_many(list(values)))
        for key in values:
            assert await cache.get(key, MISSING) == values[key], key
    finally:
        await cache.close()


@pytest.mark.parametrize("serializer", list(SERIALIZERS))
def test_numbers_stay_plain_text(serializer: str, valkey_url: str, raw_valkey: Any) -> None:
    cache = Cache(valkey_url, serializer=SERIALIZERS[serializer])
    cache.set("n", 10)
    cache.set("f", 0.5)
    assert raw_valkey.get(":1:n") == b"10"
    assert raw_valkey.get(":1:f") == b"0.5"
    assert cache.incr("n", 5) == 15
    assert cache.get("n") == 15
    cache.close()
