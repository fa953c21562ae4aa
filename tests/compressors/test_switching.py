"""Changing COMPRESSOR on a live cache: values written before still read (real server)."""

from __future__ import annotations

import itertools
import pickle
from typing import Any

import pytest
import valkey

from valkey_cache.core import AsyncCache, Cache
from valkey_cache.core.imports import resolve_class

from .helpers import COMPRESSORS, CORE_IDENTITY, OUR_IDENTITY, big_value

#: Every compressor, both identities, and non-default framings of zlib and lzma.
SETTINGS: dict[str, tuple[str, dict[str, Any]]] = {
    "core-identity": (CORE_IDENTITY, {}),
    "identity": (OUR_IDENTITY, {}),
    **{name: (path, {}) for name, path in COMPRESSORS.items()},
    "zlib-gzip-wbits": (COMPRESSORS["zlib"], {"COMPRESS_ZLIB_WBITS": 31}),
    "lzma-alone": (COMPRESSORS["lzma"], {"COMPRESS_LZMA_FORMAT": 2}),
    "zstd-level-19": (COMPRESSORS["zstd"], {"COMPRESS_LEVEL": 19}),
}
PAIRS = list(itertools.product(SETTINGS, SETTINGS))

VALUES: dict[str, Any] = {
    "big": big_value(),
    "small": True,  # 4 bytes pickled, under COMPRESS_MIN_LENGTH: stored raw by all
    "number": 42,
    "float": 1.5,
    "bytes": b"\x00\xff" * 20,
}


def _cache(cls: type[Any], url: str, setting: str) -> Any:
    path, options = SETTINGS[setting]
    return cls(url, compressor=path, options=options)


def _expected(old: str, new: str, key: str) -> Any:
    """Every value reads under every setting, the core's identity compressor included
    (a value that does not unpickle is tried in the known compressed formats)."""
    return VALUES[key]


@pytest.mark.parametrize(("old", "new"), PAIRS, ids=[f"{o}->{n}" for o, n in PAIRS])
def test_switch_sync(old: str, new: str, valkey_url: str, raw_valkey: valkey.Valkey) -> None:
    writer = _cache(Cache, valkey_url, old)
    for key, value in VALUES.items():
        writer.set(key, value)
    writer.close()

    # The bytes in the server are exactly what the old compressor writes (no marker).
    path, options = SETTINGS[old]
    compressor = resolve_class("COMPRESSOR", path)(options=options)
    stored = raw_valkey.get(":1:big")
    assert isinstance(stored, bytes)
    if "gzip" not in old:  # gzip embeds the time of writing
        assert stored == compressor.compress(pickle.dumps(big_value(), pickle.DEFAULT_PROTOCOL))
    assert raw_valkey.get(":1:number") == b"42"

    reader = _cache(Cache, valkey_url, new)
    try:
        for key in VALUES:
            assert reader.get(key) == _expected(old, new, key), key
        assert reader.get_many(list(VALUES)) == {
            key: _expected(old, new, key) for key in VALUES if _expected(old, new, key) is not None
        }
        assert reader.incr("number") == 43
    finally:
        reader.close()


ASYNC_PAIRS = [
    (old, new)
    for old, new in PAIRS
    if "identity" in old or "identity" in new or (old in COMPRESSORS and new in COMPRESSORS)
]


@pytest.mark.anyio
@pytest.mark.parametrize(("old", "new"), ASYNC_PAIRS, ids=[f"{o}->{n}" for o, n in ASYNC_PAIRS])
async def test_switch_async(old: str, new: str, valkey_url: str) -> None:
    writer = _cache(AsyncCache, valkey_url, old)
    for key, value in VALUES.items():
        await writer.set(key, value)
    reader = _cache(AsyncCache, valkey_url, new)
    for key in VALUES:
        assert await reader.get(key) == _expected(old, new, key), key
    await writer.close()
    await reader.close()


def test_switch_and_write_again(valkey_url: str) -> None:
    """Old values read, new writes use the new compressor, both coexist."""
    old = Cache(valkey_url, compressor=COMPRESSORS["zstd"])
    old.set("old", big_value())
    new = Cache(valkey_url, compressor=COMPRESSORS["brotli"])
    new.set("new", big_value())
    for cache in (old, new):
        assert cache.get("old") == big_value()
        assert cache.get("new") == big_value()
    off = Cache(valkey_url, compressor=OUR_IDENTITY)
    off.set("raw", big_value())
    assert off.get_many(["old", "new", "raw"]) == dict.fromkeys(["old", "new", "raw"], big_value())
    for cache in (old, new, off):
        cache.close()


def test_missing_library_reads_as_a_miss(
    valkey_url: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    import sys

    from valkey_cache.compressors import detect

    writer = Cache(valkey_url, compressor=COMPRESSORS["lz4"])
    writer.set("k", big_value())
    writer.close()
    # lz4 IS installed: this mocks a reader machine without it.
    monkeypatch.setitem(sys.modules, "lz4.frame", None)
    monkeypatch.setattr(detect, "_warned", set())
    detect.decoder.cache_clear()
    try:
        reader = Cache(valkey_url, compressor=COMPRESSORS["zlib"])
        assert reader.get("k") is None
        assert reader.get("k", "default") == "default"
        reader.close()
    finally:
        detect.decoder.cache_clear()
    assert any("valkey-cache-compressors[lz4]" in r.getMessage() for r in caplog.records)
