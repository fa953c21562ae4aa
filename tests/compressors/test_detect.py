"""Recognising compressed values from their bytes (no server needed)."""

from __future__ import annotations

import logging
import lzma
import pickle
import sys

import pytest

from valkey_cache.compressors import detect
from valkey_cache.core.exceptions import CompressorError, ConfigurationError
from valkey_cache.core.imports import resolve_class

from .helpers import COMPRESSORS, FORMAT_OF, big_value, sample_payloads

PAYLOAD = pickle.dumps(big_value())


@pytest.mark.parametrize("name", list(COMPRESSORS))
def test_identify_names_the_format_each_compressor_writes(name: str) -> None:
    compressed = resolve_class("COMPRESSOR", COMPRESSORS[name])().compress(PAYLOAD)
    assert detect.identify(compressed) == FORMAT_OF[name]
    assert detect.decompress(compressed) == PAYLOAD


@pytest.mark.parametrize(
    ("fmt", "data"),
    [
        ("lzma_alone", lzma.compress(PAYLOAD, format=lzma.FORMAT_ALONE)),
        ("lzma_alone", lzma.compress(PAYLOAD, format=lzma.FORMAT_ALONE, preset=9)),
        ("lzma_alone", lzma.compress(PAYLOAD, format=lzma.FORMAT_ALONE, preset=0)),
        ("xz", lzma.compress(PAYLOAD, check=lzma.CHECK_SHA256)),
        ("bz2", __import__("bz2").compress(PAYLOAD, 1)),
        ("zlib", __import__("zlib").compress(PAYLOAD, 9)),
        ("zlib", __import__("zlib").compress(PAYLOAD, 1, 10)),
    ],
)
def test_identify_other_settings(fmt: str, data: bytes) -> None:
    assert detect.identify(data) == fmt
    assert detect.decompress(data) == PAYLOAD


def test_uncompressed_values_are_never_taken_for_compressed() -> None:
    """Raw pickle/JSON/msgpack bytes (what every compressor stores for short values,
    and the identity compressor for all) are neither identified nor decoded."""
    for raw in sample_payloads():
        assert detect.identify(raw) is None, raw
        with pytest.raises(CompressorError):
            detect.decompress(raw)


def test_brotli_needs_a_complete_non_empty_decode() -> None:
    import brotli

    data = brotli.compress(PAYLOAD)
    assert detect.decompress(data) == PAYLOAD
    for not_brotli in (b";", b"\x06", brotli.compress(b""), data[:-1], data + b"x"):
        with pytest.raises(CompressorError):
            detect.decompress(not_brotli)


def test_formats_limit_what_is_recognised() -> None:
    import zlib

    data = zlib.compress(PAYLOAD)
    with pytest.raises(CompressorError):
        detect.decompress(data, formats=("gzip", "zstd"))
    with pytest.raises(CompressorError):
        detect.decompress(data, skip=("zlib",))
    assert detect.decompress(data, formats=("zlib",)) == PAYLOAD


def test_corrupt_value_with_a_known_header_is_an_error() -> None:
    import zlib

    data = bytearray(zlib.compress(PAYLOAD))
    data[len(data) // 2] ^= 0xFF
    with pytest.raises(CompressorError):
        detect.decompress(bytes(data))


def test_missing_library_is_a_compressor_error_and_one_warning(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # lz4 IS installed here: this mocks its absence by making the import fail.
    import lz4.frame

    data = lz4.frame.compress(PAYLOAD)
    monkeypatch.setitem(sys.modules, "lz4.frame", None)
    monkeypatch.setattr(detect, "_warned", set())
    detect.decoder.cache_clear()
    try:
        with caplog.at_level(logging.WARNING, logger="valkey_cache.compressors"):
            for _ in range(3):
                with pytest.raises(CompressorError):
                    detect.decompress(data)
        messages = [r.getMessage() for r in caplog.records]
        assert len(messages) == 1
        assert 'pip install "valkey-cache-compressors[lz4]"' in messages[0]
    finally:
        detect.decoder.cache_clear()


@pytest.mark.parametrize("value", [None, ["zstd", "brotli"], ("zlib",), []])
def test_formats_option_accepts(value: object) -> None:
    names = detect.formats_option({"COMPRESS_DETECT_FORMATS": value})
    assert set(names) == (set(detect.FORMAT_NAMES) if value is None else set(value))  # type: ignore[call-overload]


@pytest.mark.parametrize("value", ["zstd", ["zstd", "rar"], 3])
def test_formats_option_rejects(value: object) -> None:
    with pytest.raises(ConfigurationError, match="COMPRESS_DETECT_FORMATS"):
        detect.formats_option({"COMPRESS_DETECT_FORMATS": value})
