"""Each compressor: the bytes it writes (django-valkey 0.4's), its options, its errors."""

from __future__ import annotations

import bz2
import gzip
import lzma
import pickle
import sys
import zlib
from pathlib import Path
from typing import Any

import brotli
import lz4.frame
import pytest
from backports import zstd

from valkey_cache.compressors import (
    BrotliCompressor,
    Bz2Compressor,
    FormatCompressor,
    GzipCompressor,
    IdentityCompressor,
    Lz4Compressor,
    LzmaCompressor,
    ZlibCompressor,
    ZStdCompressor,
)
from valkey_cache.compressors.settings_map import DJANGO_SETTINGS_MAP
from valkey_cache.compressors.zstd import train_dictionary
from valkey_cache.core.exceptions import (
    CompressorError,
    ConfigurationError,
    MissingDependencyError,
)

from .helpers import big_value

DATA = pickle.dumps(big_value())
SMALL = b"0123456789abcde"  # 15 bytes: not compressed by default


def _gzip_without_mtime(data: bytes) -> bytes:
    return data[:4] + data[8:]


# -- what django-valkey 0.4 writes with default settings -------------------------------------

REFERENCE = {
    ZlibCompressor: lambda v: zlib.compress(v, 6),
    Bz2Compressor: lambda v: bz2.compress(v, 9),
    LzmaCompressor: lambda v: lzma.compress(v, format=lzma.FORMAT_XZ, check=-1, preset=4),
    Lz4Compressor: lambda v: lz4.frame.compress(
        v,
        compression_level=0,
        block_size=0,
        content_checksum=False,
        block_linked=True,
        store_size=True,
    ),
    ZStdCompressor: lambda v: zstd.compress(v, level=1),
    BrotliCompressor: lambda v: brotli.compress(v, quality=11, lgwin=22, lgblock=0, mode=brotli.MODE_GENERIC),
}


@pytest.mark.parametrize("cls", list(REFERENCE))
def test_default_bytes_are_django_valkey_04s(cls: type[FormatCompressor]) -> None:
    compressor = cls()
    assert compressor.compress(DATA) == REFERENCE[cls](DATA)
    assert compressor.decompress(REFERENCE[cls](DATA)) == DATA


def test_gzip_default_bytes_are_django_valkey_04s() -> None:
    ours = GzipCompressor().compress(DATA)
    assert _gzip_without_mtime(ours) == _gzip_without_mtime(gzip.compress(DATA, 9))
    assert gzip.decompress(ours) == DATA


ALL = [
    ZlibCompressor,
    GzipCompressor,
    Bz2Compressor,
    LzmaCompressor,
    Lz4Compressor,
    ZStdCompressor,
    BrotliCompressor,
]


@pytest.mark.parametrize("cls", ALL)
def test_min_length(cls: type[FormatCompressor]) -> None:
    compressor = cls()
    assert compressor.min_length == 15
    assert compressor.compress(SMALL) == SMALL
    assert compressor.compress(SMALL + b"f") != SMALL + b"f"
    # An uncompressed value is "not compressed" for the decoder.
    with pytest.raises(CompressorError):
        compressor.decompress(SMALL)
    assert cls({"COMPRESS_MIN_LENGTH": 100}).compress(SMALL * 6) == SMALL * 6


@pytest.mark.parametrize("cls", ALL)
def test_level_zero_or_none_means_the_default(cls: type[FormatCompressor]) -> None:
    assert cls({"COMPRESS_LEVEL": 0}).level == cls.DEFAULT_LEVEL
    assert cls({"COMPRESS_LEVEL": None}).level == cls.DEFAULT_LEVEL


@pytest.mark.parametrize(
    ("cls", "level", "reference"),
    [
        (ZlibCompressor, 9, lambda v: zlib.compress(v, 9)),
        (ZlibCompressor, -1, lambda v: zlib.compress(v, -1)),
        (Bz2Compressor, 1, lambda v: bz2.compress(v, 1)),
        (LzmaCompressor, 9, lambda v: lzma.compress(v, preset=9)),
        (
            LzmaCompressor,
            3 | lzma.PRESET_EXTREME,
            lambda v: lzma.compress(v, preset=3 | lzma.PRESET_EXTREME),
        ),
        (Lz4Compressor, 9, lambda v: lz4.frame.compress(v, compression_level=9)),
        (ZStdCompressor, 19, lambda v: zstd.compress(v, level=19)),
        (ZStdCompressor, -5, lambda v: zstd.compress(v, level=-5)),
        (BrotliCompressor, 4, lambda v: brotli.compress(v, quality=4)),
    ],
)
def test_level(cls: type[FormatCompressor], level: int, reference: Any) -> None:
    compressor = cls({"COMPRESS_LEVEL": level})
    assert compressor.compress(DATA) == reference(DATA)
    assert compressor.decompress(compressor.compress(DATA)) == DATA


@pytest.mark.parametrize(
    ("cls", "level"),
    [
        (ZlibCompressor, 10),
        (GzipCompressor, -1),
        (Bz2Compressor, 10),
        (LzmaCompressor, 10),
        (Lz4Compressor, 17),
        (ZStdCompressor, 23),
        (BrotliCompressor, 12),
        (ZlibCompressor, "high"),
        (ZlibCompressor, True),
    ],
)
def test_bad_level(cls: type[FormatCompressor], level: object) -> None:
    with pytest.raises(ConfigurationError, match="COMPRESS_LEVEL"):
        cls({"COMPRESS_LEVEL": level})


# -- per-compressor options ------------------------------------------------------------------


@pytest.mark.parametrize("wbits", [9, 12, 15, -9, -15, 25, 31])
def test_zlib_wbits(wbits: int) -> None:
    compressor = ZlibCompressor({"COMPRESS_ZLIB_WBITS": wbits})
    out = compressor.compress(DATA)
    assert out == zlib.compress(DATA, 6, wbits)
    assert compressor.decompress(out) == DATA
    if wbits > 15:
        assert GzipCompressor().decompress(out) == DATA
    # Values written with the default settings still read.
    assert compressor.decompress(zlib.compress(DATA)) == DATA


@pytest.mark.parametrize("wbits", [8, 16, 24, 32, -8, "15", None])
def test_zlib_bad_wbits(wbits: object) -> None:
    with pytest.raises(ConfigurationError, match="COMPRESS_ZLIB_WBITS"):
        ZlibCompressor({"COMPRESS_ZLIB_WBITS": wbits})


def test_raw_deflate_is_rejected_when_trailing_data() -> None:
    compressor = ZlibCompressor({"COMPRESS_ZLIB_WBITS": -15})
    with pytest.raises(CompressorError):
        compressor.decompress(compressor.compress(DATA) + b"junk")


@pytest.mark.parametrize(
    ("options", "reference"),
    [
        ({"COMPRESS_LZMA_FORMAT": 2}, lambda v: lzma.compress(v, format=2, preset=4)),
        ({"COMPRESS_LZMA_FORMAT": "alone"}, lambda v: lzma.compress(v, format=2, preset=4)),
        ({"COMPRESS_LZMA_CHECK": lzma.CHECK_SHA256}, lambda v: lzma.compress(v, check=10, preset=4)),
        (
            {"COMPRESS_LZMA_FILTERS": [{"id": lzma.FILTER_LZMA2, "preset": 1}]},
            lambda v: lzma.compress(v, filters=[{"id": lzma.FILTER_LZMA2, "preset": 1}]),
        ),
    ],
)
def test_lzma_options(options: dict[str, Any], reference: Any) -> None:
    compressor = LzmaCompressor(options)
    assert compressor.compress(DATA) == reference(DATA)
    assert compressor.decompress(compressor.compress(DATA)) == DATA
    assert LzmaCompressor().decompress(compressor.compress(DATA)) == DATA


def test_lzma_raw_format() -> None:
    filters = [{"id": lzma.FILTER_LZMA2, "preset": 4}]
    compressor = LzmaCompressor(
        {
            "COMPRESS_LZMA_FORMAT": 3,
            "COMPRESS_LZMA_FILTERS": filters,
            "DECOMPRESS_LZMA_FORMAT": 3,
            "DECOMPRESS_LZMA_FILTERS": filters,
        }
    )
    out = compressor.compress(DATA)
    assert out == lzma.compress(DATA, format=3, filters=filters)
    assert compressor.decompress(out) == DATA
    # Values in other formats still read.
    assert compressor.decompress(zlib.compress(DATA)) == DATA


def test_lzma_memlimit() -> None:
    compressor = LzmaCompressor({"DECOMPRESS_LZMA_MEMLIMIT": 1024})
    with pytest.raises(CompressorError):
        compressor.decompress(lzma.compress(DATA, preset=9))


@pytest.mark.parametrize(
    "options",
    [
        {"COMPRESS_LZMA_FORMAT": 0},
        {"COMPRESS_LZMA_FORMAT": "zip"},
        {"COMPRESS_LZMA_CHECK": 3},
        {"COMPRESS_LZMA_FILTERS": "lzma2"},
        {"COMPRESS_LZMA_FILTERS": [{"id": 12345}]},
        {"COMPRESS_LZMA_FORMAT": 3},
        {"COMPRESS_LZMA_FORMAT": 2, "COMPRESS_LZMA_CHECK": lzma.CHECK_SHA256},
        {"DECOMPRESS_LZMA_FORMAT": 5},
        {"DECOMPRESS_LZMA_FORMAT": 3},
        {"DECOMPRESS_LZMA_MEMLIMIT": 0},
    ],
)
def test_lzma_bad_options(options: dict[str, Any]) -> None:
    with pytest.raises(ConfigurationError) as info:
        LzmaCompressor(options)
    # A raw-format reader without filters names the missing option.
    assert info.value.option in {*options, "DECOMPRESS_LZMA_FILTERS"}


def test_lz4_options() -> None:
    options = {
        "COMPRESS_LZ4_BLOCK_SIZE": 4,
        "COMPRESS_LZ4_CONTENT_CHECKSUM": True,
        "COMPRESS_LZ4_BLOCK_LINKED": False,
        "COMPRESS_LZ4_STORE_SIZE": False,
    }
    compressor = Lz4Compressor(options)
    reference = lz4.frame.compress(
        DATA, block_size=4, content_checksum=True, block_linked=False, store_size=False
    )
    assert compressor.compress(DATA) == reference
    assert compressor.decompress(reference) == DATA


@pytest.mark.parametrize(
    "options",
    [
        {"COMPRESS_LZ4_BLOCK_SIZE": 3},
        {"COMPRESS_LZ4_BLOCK_SIZE": True},
        {"COMPRESS_LZ4_CONTENT_CHECKSUM": "maybe"},
        {"COMPRESS_LZ4_STORE_SIZE": 2},
    ],
)
def test_lz4_bad_options(options: dict[str, Any]) -> None:
    with pytest.raises(ConfigurationError) as info:
        Lz4Compressor(options)
    assert info.value.option in options


def test_brotli_options() -> None:
    options = {
        "COMPRESS_LEVEL": 5,
        "COMPRESS_BROTLI_LGWIN": 16,
        "COMPRESS_BROTLI_LGBLOCK": 18,
        "COMPRESS_BROTLI_MODE": "text",
    }
    compressor = BrotliCompressor(options)
    reference = brotli.compress(DATA, quality=5, lgwin=16, lgblock=18, mode=brotli.MODE_TEXT)
    assert compressor.compress(DATA) == reference
    assert compressor.decompress(reference) == DATA


@pytest.mark.parametrize(
    "options",
    [
        {"COMPRESS_BROTLI_LGWIN": 9},
        {"COMPRESS_BROTLI_LGWIN": 25},
        {"COMPRESS_BROTLI_LGBLOCK": 15},
        {"COMPRESS_BROTLI_MODE": "JPEG"},
        {"COMPRESS_BROTLI_MODE": 1},
    ],
)
def test_brotli_bad_options(options: dict[str, Any]) -> None:
    with pytest.raises(ConfigurationError) as info:
        BrotliCompressor(options)
    assert info.value.option in options


def test_zstd_options() -> None:
    compressor = ZStdCompressor({"COMPRESS_ZSTD_OPTIONS": {"compression_level": 7, "checksum_flag": 1}})
    params = {
        zstd.CompressionParameter.compression_level: 7,
        zstd.CompressionParameter.checksum_flag: 1,
    }
    assert compressor.compress(DATA) == zstd.compress(DATA, options=params)
    assert compressor.decompress(compressor.compress(DATA)) == DATA


def test_zstd_level_goes_into_options_when_both_are_set() -> None:
    compressor = ZStdCompressor(
        {"COMPRESS_LEVEL": 5, "COMPRESS_ZSTD_OPTIONS": {zstd.CompressionParameter.checksum_flag: 1}}
    )
    params = {
        zstd.CompressionParameter.compression_level: 5,
        zstd.CompressionParameter.checksum_flag: 1,
    }
    assert compressor.compress(DATA) == zstd.compress(DATA, options=params)


def test_zstd_decompress_options() -> None:
    compressor = ZStdCompressor({"DECOMPRESS_ZSTD_OPTIONS": {"window_log_max": 10}})
    big_window = zstd.compress(DATA * 20, options={zstd.CompressionParameter.window_log: 20})
    with pytest.raises(CompressorError):
        compressor.decompress(big_window)


@pytest.mark.parametrize(
    "options",
    [
        {"COMPRESS_ZSTD_OPTIONS": {"speed": 1}},
        {"COMPRESS_ZSTD_OPTIONS": [("compression_level", 3)]},
        {"COMPRESS_ZSTD_OPTIONS": {"compression_level": "3"}},
        {"COMPRESS_ZSTD_OPTIONS": {"window_log": 99}},
        {"DECOMPRESS_ZSTD_OPTIONS": {"compression_level": 3}},
        {"COMPRESS_ZSTD_DICT": 12},
        {"COMPRESS_ZSTD_DICT": b"not a dictionary"},
        {"DECOMPRESS_ZSTD_DICT": "/nonexistent/zstd.dict"},
    ],
)
def test_zstd_bad_options(options: dict[str, Any]) -> None:
    with pytest.raises(ConfigurationError) as info:
        ZStdCompressor(options)
    assert info.value.option in options


def test_zstd_reused_context_writes_the_same_bytes_as_one_shot() -> None:
    compressor = ZStdCompressor()
    for size in (16, 100, 5_000, 200_000, 3_000_000):
        data = (DATA * (size // len(DATA) + 1))[:size]
        assert compressor.compress(data) == zstd.compress(data, level=1)


def _samples() -> list[bytes]:
    return [
        pickle.dumps({"id": i, "name": f"user {i}", "email": f"user{i}@example.com", "tags": ["a"]})
        for i in range(600)
    ]


@pytest.mark.parametrize("form", ["bytes", "path", "ZstdDict"])
def test_zstd_trained_dictionary(form: str, tmp_path: Path) -> None:
    content = train_dictionary(_samples(), 4096)
    setting: Any = content
    if form == "path":
        setting = tmp_path / "cache.zdict"
        setting.write_bytes(content)
        setting = str(setting)
    elif form == "ZstdDict":
        setting = zstd.ZstdDict(content)
    compressor = ZStdCompressor({"COMPRESS_ZSTD_DICT": setting})
    value = _samples()[3]
    out = compressor.compress(value)
    assert out == zstd.compress(value, level=1, zstd_dict=zstd.ZstdDict(content))
    assert len(out) < len(ZStdCompressor().compress(value))
    assert compressor.decompress(out) == value
    # Without the dictionary the value cannot be read: "not compressed", never garbage.
    with pytest.raises(CompressorError):
        ZStdCompressor().decompress(out)
    reader = ZStdCompressor({"DECOMPRESS_ZSTD_DICT": content})
    assert reader.decompress(out) == value


# -- safe switching inside one compressor -----------------------------------------------------


@pytest.mark.parametrize("writer", ALL)
@pytest.mark.parametrize("reader", [*ALL, IdentityCompressor])
def test_every_compressor_reads_every_other(writer: type[FormatCompressor], reader: type[Any]) -> None:
    assert reader().decompress(writer().compress(DATA)) == DATA


@pytest.mark.parametrize("reader", ALL)
def test_detect_formats_option(reader: type[FormatCompressor]) -> None:
    foreign = lz4.frame.compress(DATA) if reader is not Lz4Compressor else zlib.compress(DATA)
    with pytest.raises(CompressorError):
        reader({"COMPRESS_DETECT_FORMATS": []}).decompress(foreign)


def test_identity_stores_raw_and_reads_everything() -> None:
    identity = IdentityCompressor()
    assert identity.compress(DATA) == DATA
    assert identity.decompress(DATA) == DATA
    assert identity.decompress(SMALL) == SMALL
    assert identity.decompress(zstd.compress(DATA)) == DATA
    limited = IdentityCompressor({"COMPRESS_DETECT_FORMATS": ["gzip"]})
    assert limited.decompress(zstd.compress(DATA)) == zstd.compress(DATA)


def test_corrupt_value_is_a_compressor_error() -> None:
    data = bytearray(ZlibCompressor().compress(DATA))
    data[40] ^= 0xFF
    with pytest.raises(CompressorError):
        ZlibCompressor().decompress(bytes(data))


# -- declared options and the Django settings map --------------------------------------------


def test_options_are_declared() -> None:
    common = {"COMPRESS_LEVEL", "COMPRESS_MIN_LENGTH", "COMPRESS_DETECT_FORMATS", "MAX_DECOMPRESSED_SIZE"}
    assert common <= ZlibCompressor.OPTIONS
    assert "COMPRESS_ZLIB_WBITS" in ZlibCompressor.OPTIONS
    assert {"COMPRESS_ZSTD_DICT", "DECOMPRESS_ZSTD_OPTIONS"} <= ZStdCompressor.OPTIONS
    assert {"COMPRESS_BROTLI_MODE", "COMPRESS_BROTLI_LGWIN"} <= BrotliCompressor.OPTIONS
    assert "DECOMPRESS_LZMA_MEMLIMIT" in LzmaCompressor.OPTIONS
    assert "COMPRESS_LZ4_STORE_SIZE" in Lz4Compressor.OPTIONS
    assert common == IdentityCompressor.OPTIONS


def test_django_settings_map_targets_declared_options() -> None:
    declared = set().union(*(cls.OPTIONS for cls in ALL))
    assert set(DJANGO_SETTINGS_MAP.values()) <= declared
    assert DJANGO_SETTINGS_MAP["CACHE_COMPRESS_LEVEL"] == "COMPRESS_LEVEL"
    assert DJANGO_SETTINGS_MAP["CACHE_COMPRESS_MIN_LENGTH"] == "COMPRESS_MIN_LENGTH"
    # Every option but the new detection and limit ones has a django-valkey 0.4 setting.
    new_options = {"COMPRESS_DETECT_FORMATS", "MAX_DECOMPRESSED_SIZE"}
    assert declared - set(DJANGO_SETTINGS_MAP.values()) == new_options


# -- missing libraries --------------------------------------------------------------------------

MISSING = [
    (Lz4Compressor, ["lz4", "lz4.frame"], "lz4"),
    (ZStdCompressor, ["backports.zstd", "compression.zstd"], "zstd"),
    (BrotliCompressor, ["brotli"], "brotli"),
]


@pytest.mark.parametrize(("cls", "modules", "extra"), MISSING)
def test_missing_library_gives_the_pip_line(
    cls: type[FormatCompressor], modules: list[str], extra: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The library IS installed in the test environment: this mocks its absence by
    # making the import fail.
    for module in modules:
        monkeypatch.setitem(sys.modules, module, None)
    with pytest.raises(MissingDependencyError) as info:
        cls()
    message = str(info.value)
    assert f'pip install "valkey-cache-compressors[{extra}]"' in message
    assert info.value.option == "COMPRESSOR"
    assert info.value.value == f"valkey_cache.compressors.{cls.__module__.rsplit('.', 1)[1]}.{cls.__name__}"


def test_train_dictionary_without_zstd(monkeypatch: pytest.MonkeyPatch) -> None:
    # Mocked absence, as above.
    monkeypatch.setitem(sys.modules, "backports.zstd", None)
    monkeypatch.setitem(sys.modules, "compression.zstd", None)
    with pytest.raises(MissingDependencyError, match=r"valkey-cache-compressors\[zstd\]"):
        train_dictionary(_samples())
