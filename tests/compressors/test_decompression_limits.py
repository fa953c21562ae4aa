"""MAX_DECOMPRESSED_SIZE: decompression bombs read as misses, in bounded memory (real server).

Each bomb is 200 MiB of zeros compressed with streaming compression, made once per
session; what is stored is a few hundred KB at most. The readers are built with a
1 MiB limit, and tracemalloc checks that reading a bomb never holds anywhere near the
bomb's size.
"""

from __future__ import annotations

import bz2
import lzma
import pickle
import tracemalloc
import zlib
from collections.abc import Callable, Iterator
from functools import cache
from typing import Any

import pytest
import valkey

from valkey_cache.compressors import detect
from valkey_cache.core import AsyncCache, Cache, ConfigurationError, DecompressionLimitExceeded
from valkey_cache.core.compressor import DEFAULT_MAX_DECOMPRESSED_SIZE
from valkey_cache.core.imports import resolve_class

from .helpers import COMPRESSORS, CORE_IDENTITY, FORMAT_OF, OUR_IDENTITY

MIB = 1 << 20
BOMB_SIZE = 200 * MIB
LIMIT = 1 * MIB
#: What reading a bomb may allocate at its peak (measured: 1.1 to 4.3 MiB): the output
#: up to the limit, the library's growing output buffer, its state and the reply; 1/40
#: of BOMB_SIZE. Unbounded, a read allocates the whole BOMB_SIZE.
PEAK_BOUND = 5 * LIMIT
#: The format each compressor writes, as a bomb of that format is made.
BOMB_FORMAT = {**FORMAT_OF, "brotli": "brotli"}  # brotli has no header, but a bomb is made
BOMB_FORMATS = (*BOMB_FORMAT.values(), "lzma_alone")


def _streamed(compress: Callable[[bytes], bytes], flush: Callable[[], bytes], head: bytes = b"") -> bytes:
    """Compress BOMB_SIZE zeros one MiB at a time: the zeros are never all in memory."""
    zeros = bytes(MIB)
    parts = [head]
    parts.extend(compress(zeros) for _ in range(BOMB_SIZE // MIB))
    parts.append(flush())
    return b"".join(parts)


@cache
def bomb(fmt: str) -> bytes:
    """A pickle of BOMB_SIZE zero bytes, in every way but its size: zeros in ``fmt``."""
    if fmt == "zlib":
        z = zlib.compressobj(9)
        return _streamed(z.compress, z.flush)
    if fmt == "gzip":
        z = zlib.compressobj(9, zlib.DEFLATED, 31)
        return _streamed(z.compress, z.flush)
    if fmt == "bz2":
        b = bz2.BZ2Compressor(9)
        return _streamed(b.compress, b.flush)
    if fmt in ("xz", "lzma_alone"):
        x = lzma.LZMACompressor(format=lzma.FORMAT_XZ if fmt == "xz" else lzma.FORMAT_ALONE, preset=0)
        return _streamed(x.compress, x.flush)
    if fmt == "lz4":
        import lz4.frame

        f = lz4.frame.LZ4FrameCompressor()
        return _streamed(f.compress, f.flush, f.begin())
    if fmt == "zstd":
        zstd = detect.import_zstd()
        s = zstd.ZstdCompressor(level=1)
        return _streamed(s.compress, s.flush)
    if fmt == "brotli":
        import brotli

        r = brotli.Compressor(quality=1)
        return _streamed(r.process, r.finish)
    raise KeyError(fmt)


@pytest.fixture
def reader(request: pytest.FixtureRequest, valkey_url: str) -> Iterator[Cache]:
    """A cache with the compressor named by the test's ``name`` parameter and a 1 MiB limit."""
    name = request.node.callspec.params["name"]
    path = COMPRESSORS.get(name, OUR_IDENTITY)
    cache_ = Cache(valkey_url, compressor=path, options={"MAX_DECOMPRESSED_SIZE": LIMIT})
    cache_.get("warm-up")  # connect before memory is measured
    yield cache_
    cache_.close()


def _limit_warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.levelname == "WARNING" and f"MAX_DECOMPRESSED_SIZE={LIMIT}" in r.getMessage()
    ]


def _peak_of(call: Callable[[], Any]) -> tuple[Any, int]:
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        result = call()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return result, peak


@pytest.mark.parametrize("name", list(BOMB_FORMAT))
def test_bomb_is_a_miss_in_bounded_memory(
    name: str, reader: Cache, raw_valkey: valkey.Valkey, caplog: pytest.LogCaptureFixture
) -> None:
    data = bomb(BOMB_FORMAT[name])
    assert len(data) < 2 * MIB
    raw_valkey.set(":1:bomb", data)
    caplog.set_level("WARNING")

    value, peak = _peak_of(lambda: reader.get("bomb", "default"))

    assert value == "default"
    assert peak < PEAK_BOUND, f"peak {peak} bytes reading a {BOMB_SIZE}-byte bomb"
    [message] = _limit_warnings(caplog)
    assert "bomb" in message
    assert raw_valkey.exists(":1:bomb")  # a miss, not a delete


@pytest.mark.parametrize("name", list(BOMB_FORMAT))
def test_get_many_skips_the_bomb(
    name: str, reader: Cache, raw_valkey: valkey.Valkey, caplog: pytest.LogCaptureFixture
) -> None:
    good = {"a": "x" * 500, "b": list(range(100)), "c": 7}
    reader.set_many(good)
    raw_valkey.set(":1:bomb", bomb(BOMB_FORMAT[name]))
    caplog.set_level("WARNING")

    found, peak = _peak_of(lambda: reader.get_many(["a", "bomb", "b", "c", "absent"]))

    assert found == good
    assert peak < PEAK_BOUND, peak
    assert _limit_warnings(caplog)
    assert all("bomb" in m for m in _limit_warnings(caplog))


def _exactly(name: str, options: dict[str, Any]) -> Any:
    return resolve_class("COMPRESSOR", COMPRESSORS[name])(options=options)


@pytest.mark.parametrize("name", list(BOMB_FORMAT))
def test_a_value_at_the_limit_reads_and_one_byte_more_does_not(name: str, valkey_url: str) -> None:
    value = bytes(200_000) + b"end"
    size = len(pickle.dumps(value, pickle.DEFAULT_PROTOCOL))
    at_limit = Cache(valkey_url, compressor=COMPRESSORS[name], options={"MAX_DECOMPRESSED_SIZE": size})
    below = Cache(valkey_url, compressor=COMPRESSORS[name], options={"MAX_DECOMPRESSED_SIZE": size - 1})
    try:
        at_limit.set("v", value)
        assert at_limit.get("v") == value
        assert below.get("v", "miss") == "miss"
        assert below.get_many(["v"]) == {}
    finally:
        at_limit.close()
        below.close()
    with pytest.raises(DecompressionLimitExceeded):
        _exactly(name, {"MAX_DECOMPRESSED_SIZE": size - 1}).decompress(
            _exactly(name, {}).compress(pickle.dumps(value))
        )


#: Each compressor reads a bomb of the next compressor's format (through detection),
#: and the package's identity compressor reads every format.
SWITCHED = [
    (reader_name, BOMB_FORMAT[writer])
    for reader_name, writer in zip(BOMB_FORMAT, [*list(BOMB_FORMAT)[1:], "zlib"])
] + [("zstd", "lzma_alone")]


@pytest.mark.parametrize(("name", "fmt"), SWITCHED, ids=[f"{f}-read-by-{n}" for n, f in SWITCHED])
def test_a_bomb_in_another_format_is_bounded_too(
    name: str, fmt: str, reader: Cache, raw_valkey: valkey.Valkey, caplog: pytest.LogCaptureFixture
) -> None:
    raw_valkey.set(":1:bomb", bomb(fmt))
    caplog.set_level("WARNING")

    value, peak = _peak_of(lambda: reader.get("bomb"))

    assert value is None
    assert peak < PEAK_BOUND, peak
    assert len(_limit_warnings(caplog)) == 1


@pytest.mark.parametrize("name", ["identity"])
@pytest.mark.parametrize("fmt", BOMB_FORMATS)
def test_identity_compressor_bounds_every_format(
    name: str, fmt: str, reader: Cache, raw_valkey: valkey.Valkey, caplog: pytest.LogCaptureFixture
) -> None:
    raw_valkey.set(":1:bomb", bomb(fmt))
    caplog.set_level("WARNING")

    value, peak = _peak_of(lambda: reader.get("bomb", 0))

    assert value == 0
    assert peak < PEAK_BOUND, peak
    assert len(_limit_warnings(caplog)) == 1


@pytest.mark.parametrize("fmt", BOMB_FORMATS)
def test_detect_decompress_raises_the_limit_error(fmt: str) -> None:
    with pytest.raises(DecompressionLimitExceeded) as info:
        detect.decompress(bomb(fmt), limit=LIMIT)
    assert info.value.limit == LIMIT
    assert str(LIMIT) in str(info.value)


@pytest.mark.anyio
@pytest.mark.parametrize("name", ["zstd", "brotli", "zlib"])
async def test_async_get_of_a_bomb_is_a_miss(
    name: str, valkey_url: str, raw_valkey: valkey.Valkey, caplog: pytest.LogCaptureFixture
) -> None:
    raw_valkey.set(":1:bomb", bomb(BOMB_FORMAT[name]))
    cache_ = AsyncCache(valkey_url, compressor=COMPRESSORS[name], options={"MAX_DECOMPRESSED_SIZE": LIMIT})
    await cache_.set("good", "value" * 100)
    caplog.set_level("WARNING")
    try:
        assert await cache_.get("bomb", "default") == "default"
        assert await cache_.get_many(["bomb", "good"]) == {"good": "value" * 100}
        assert await cache_.get("good") == "value" * 100
    finally:
        await cache_.close()
    assert _limit_warnings(caplog)


def test_the_default_limit_is_64_mib() -> None:
    assert DEFAULT_MAX_DECOMPRESSED_SIZE == 64 * MIB
    for path in [*COMPRESSORS.values(), OUR_IDENTITY, CORE_IDENTITY]:
        compressor = resolve_class("COMPRESSOR", path)(options={})
        assert compressor.max_decompressed_size == 64 * MIB
        assert "MAX_DECOMPRESSED_SIZE" in type(compressor).OPTIONS


@pytest.mark.parametrize("path", [COMPRESSORS["zlib"], COMPRESSORS["brotli"], OUR_IDENTITY, CORE_IDENTITY])
@pytest.mark.parametrize("bad", [0, -1, "lots", 1.5, True, "0"])
def test_a_bad_limit_is_a_configuration_error(path: str, bad: Any, valkey_url: str) -> None:
    with pytest.raises(ConfigurationError) as info:
        Cache(valkey_url, compressor=path, options={"MAX_DECOMPRESSED_SIZE": bad})
    assert info.value.option == "MAX_DECOMPRESSED_SIZE"
    assert "MAX_DECOMPRESSED_SIZE" in str(info.value)
    assert "an integer >= 1" in str(info.value)


def test_a_string_limit_is_read_as_an_integer(valkey_url: str) -> None:
    cache_ = Cache(valkey_url, compressor=COMPRESSORS["zlib"], options={"MAX_DECOMPRESSED_SIZE": "1024"})
    try:
        assert cache_.client._compressor.max_decompressed_size == 1024
        cache_.set("k", "x" * 2000)
        assert cache_.get("k") is None
    finally:
        cache_.close()
