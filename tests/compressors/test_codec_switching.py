"""Switching compression off: values written compressed still read (real server).

With no COMPRESSOR (the core's IdentityCompressor) or the compressors package's
identity compressor, a value that does not unpickle is tried in the known compressed
formats; a plain pickle never is (the fast path is untouched).
"""

from __future__ import annotations

import logging
import pickle
import sys
from typing import Any

import pytest
import valkey

from valkey_cache.compressors import detect
from valkey_cache.core import AsyncCache, Cache, codec
from valkey_cache.core.compressor import IdentityCompressor
from valkey_cache.core.serializer import PickleSerializer

from .helpers import COMPRESSORS

#: The reader's COMPRESSOR: none given, and the compressors package's identity.
READERS = {"none": None, "identity": "valkey_cache.compressors.identity.IdentityCompressor"}
VALUE = {"html": "<p>row</p>" * 300, "ids": list(range(100))}


def _options(compressor: str | None, **extra: Any) -> dict[str, Any]:
    return {"COMPRESSOR": compressor, **extra} if compressor else dict(extra)


@pytest.mark.parametrize("reader", list(READERS))
@pytest.mark.parametrize("name", list(COMPRESSORS))
def test_compressed_values_read_with_compression_off(
    name: str, reader: str, valkey_url: str, raw_valkey: valkey.Valkey
) -> None:
    writer = Cache(valkey_url, options={"COMPRESSOR": COMPRESSORS[name]})
    writer.set("one", VALUE)
    writer.set_many({"a": VALUE, "b": [VALUE]})
    stored = raw_valkey.get(":1:one")
    assert stored is not None
    assert stored != pickle.dumps(VALUE)  # really compressed
    off = Cache(valkey_url, options=_options(READERS[reader]))
    assert off.get("one") == VALUE
    assert off.get_many(["a", "b", "missing"]) == {"a": VALUE, "b": [VALUE]}
    off.set("one", VALUE)  # written uncompressed from now on
    assert raw_valkey.get(":1:one") == pickle.dumps(VALUE, pickle.DEFAULT_PROTOCOL)
    assert off.get("one") == VALUE


@pytest.mark.anyio
@pytest.mark.parametrize("reader", list(READERS))
@pytest.mark.parametrize("name", list(COMPRESSORS))
async def test_compressed_values_read_with_compression_off_async(
    name: str, reader: str, valkey_url: str
) -> None:
    writer = AsyncCache(valkey_url, options={"COMPRESSOR": COMPRESSORS[name]})
    await writer.set("one", VALUE)
    off = AsyncCache(valkey_url, options=_options(READERS[reader]))
    assert await off.get("one") == VALUE
    assert await off.get_many(["one"]) == {"one": VALUE}
    await writer.close()
    await off.close()


def test_signed_values_read_after_compression_is_switched_off(valkey_url: str) -> None:
    key = "k" * 32
    writer = Cache(valkey_url, options={"COMPRESSOR": COMPRESSORS["zstd"], "SIGNING_KEY": key})
    writer.set("one", VALUE)
    assert Cache(valkey_url, options={"SIGNING_KEY": key}).get("one") == VALUE
    # A wrong key still refuses the value, compressed or not.
    assert Cache(valkey_url, options={"SIGNING_KEY": "x" * 32}).get("one", "miss") == "miss"


def test_the_limit_bounds_the_fallback(valkey_url: str, caplog: pytest.LogCaptureFixture) -> None:
    Cache(valkey_url, options={"COMPRESSOR": COMPRESSORS["zlib"]}).set("big", "x" * 100_000)
    off = Cache(valkey_url, options={"MAX_DECOMPRESSED_SIZE": 1000})
    with caplog.at_level(logging.WARNING, logger="valkey_cache"):
        assert off.get("big", "miss") == "miss"
    assert "MAX_DECOMPRESSED_SIZE=1000" in caplog.text


def test_plain_pickles_never_reach_the_format_detection(
    valkey_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Counts calls into the detector (a wrapper, not a mock: the real one still runs)."""
    calls: list[bytes] = []
    real = detect.Detector.try_decompress

    def counting(self: detect.Detector, value: bytes, limit: int = 0) -> Any:
        calls.append(value)
        return real(self, value, limit)

    monkeypatch.setattr(detect.Detector, "try_decompress", counting)
    cache = Cache(valkey_url)
    cache.set_many({"a": VALUE, "b": "text", "n": 5, "f": 1.5, "none": None})
    assert cache.get_many(["a", "b", "n", "f", "none"]) == {
        "a": VALUE,
        "b": "text",
        "n": 5,
        "f": 1.5,
        "none": None,
    }
    assert cache.get("a") == VALUE
    assert calls == []
    Cache(valkey_url, options={"COMPRESSOR": COMPRESSORS["lz4"]}).set("z", VALUE)
    assert cache.get("z") == VALUE
    assert len(calls) == 1


def test_garbage_is_still_a_miss(valkey_url: str, raw_valkey: valkey.Valkey) -> None:
    raw_valkey.set(":1:junk", b"\x80not a pickle at all")
    raw_valkey.set(":1:junk2", b"\x78\x9cbroken zlib")
    cache = Cache(valkey_url)
    assert cache.get("junk", "miss") == "miss"
    assert cache.get("junk2", "miss") == "miss"


def test_without_the_compressors_package_a_failed_decode_raises_as_before(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The core looks the detector up only on a failed decode, and copes without it."""
    codec._format_detector.cache_clear()
    monkeypatch.setitem(sys.modules, "valkey_cache.compressors.detect", None)
    try:
        decode = codec.make_decoder(PickleSerializer(), IdentityCompressor())
        with pytest.raises(pickle.UnpicklingError):
            decode(b"\x78\x9c" + b"\x00" * 8)
        assert decode(pickle.dumps("ok")) == "ok"
    finally:
        codec._format_detector.cache_clear()
