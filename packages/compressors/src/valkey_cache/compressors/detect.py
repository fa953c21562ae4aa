"""Recognising a stored value's compression format from its bytes.

Every compressor in this package decompresses through :func:`decompress` when a value
is not in its own format, so values written under a previous ``COMPRESSOR`` setting
(or with compression off) still read after the setting changes; the core's decoder uses
:func:`detector` for a value that fails to deserialize, so they read with compression
off too (``valkey_cache.core.codec.read_other_format``). Nothing is added to
the stored bytes: each format is recognised by its own header, and brotli, which has
none, by a decode that must succeed, consume all input and produce a non-empty result.

Format names: ``zstd``, ``lz4`` (frame), ``gzip``, ``zlib``, ``bz2``, ``xz``,
``lzma_alone`` and ``brotli``. Raw deflate (negative ``COMPRESS_ZLIB_WBITS``) and raw
lzma (``COMPRESS_LZMA_FORMAT=3``) have no header and are only read by a compressor
configured the same way.
"""

from __future__ import annotations

import importlib
import logging
import sys
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from functools import cache
from typing import Any

from valkey_cache.core.compressor import DEFAULT_MAX_DECOMPRESSED_SIZE
from valkey_cache.core.exceptions import CompressorError, ConfigurationError, DecompressionLimitExceeded

logger = logging.getLogger("valkey_cache.compressors")

#: ``decode(value, limit)``: see :func:`bounded`.
Decoder = Callable[[bytes, int], bytes]


def requirement(extra: str) -> str:
    """The quoted pip argument that installs this package with ``extra``."""
    return f'"valkey-cache-compressors[{extra}]"'


# -- header checks -------------------------------------------------------------------------


def is_zlib(value: bytes) -> bool:
    """A zlib (RFC 1950) header: deflate, window <= 32 KiB, check bits valid."""
    return (
        len(value) >= 2
        and value[0] & 0x0F == 8
        and value[0] >> 4 <= 7
        and (value[0] << 8 | value[1]) % 31 == 0
    )


def is_gzip(value: bytes) -> bool:
    return value[:3] == b"\x1f\x8b\x08"


_BZ2_BLOCK = b"\x31\x41\x59\x26\x53\x59"  # first block, pi
_BZ2_END = b"\x17\x72\x45\x38\x50\x90"  # end of stream, sqrt(pi): empty input


def is_bz2(value: bytes) -> bool:
    """``BZh``, a block size digit 1-9, then a block or end-of-stream magic."""
    return (
        len(value) >= 10
        and value[:3] == b"BZh"
        and 0x31 <= value[3] <= 0x39
        and value[4:10] in (_BZ2_BLOCK, _BZ2_END)
    )


def is_xz(value: bytes) -> bool:
    return value[:6] == b"\xfd7zXZ\x00"


def is_lzma_alone(value: bytes) -> bool:
    """The 13-byte ``.lzma`` header as liblzma writes it.

    Properties byte below 225, a dictionary size of 2^n or 2^n + 2^(n-1) (at least
    4 KiB), and an uncompressed size that is unknown (all ones) or below 2^40.
    """
    if len(value) < 14 or value[0] >= 225:
        return False
    dict_size = int.from_bytes(value[1:5], "little")
    if dict_size < 4096:
        return False
    top = 1 << (dict_size.bit_length() - 1)
    if dict_size != top and dict_size != top | top >> 1:
        return False
    size = value[5:13]
    return size == b"\xff" * 8 or int.from_bytes(size, "little") < 1 << 40


def is_lz4_frame(value: bytes) -> bool:
    return value[:4] == b"\x04\x22\x4d\x18"


def is_zstd(value: bytes) -> bool:
    return value[:4] == b"\x28\xb5\x2f\xfd"


# -- decoders (imported lazily; None when the library is missing) ------------------------
#
# A decoder takes the stored bytes and a limit and never holds more than about ``limit``
# bytes of output: past it, it raises DecompressionLimitExceeded (see MAX_DECOMPRESSED_SIZE).


def bounded(
    new: Callable[[], Any], value: bytes, limit: int, streams: bool = True, exact: bool = False
) -> bytes:
    """Decompress ``value`` with decompressor objects made by ``new``, at most ``limit`` bytes.

    The objects have the interface of ``bz2.BZ2Decompressor``: ``decompress(data,
    max_length)``, ``eof`` and ``unused_data``. With ``streams``, concatenated streams are
    read as one value and trailing bytes that do not decode are ignored (as the one-shot
    ``bz2``/``lzma``/``zstd`` functions do); without it, anything after the first stream
    is ignored, or with ``exact`` refused. A stream cut short raises ValueError.
    """
    out = _read_streams(new, value, limit, streams, exact)
    if out is None:
        # Raised here, not where the output was read: a traceback keeps its frames'
        # locals alive, and that frame's are the output and the decompressor.
        raise DecompressionLimitExceeded(limit)
    return out


def _read_streams(
    new: Callable[[], Any], value: bytes, limit: int, streams: bool, exact: bool
) -> bytes | None:
    """:func:`bounded`, returning None past the limit."""
    chunks: list[bytes] = []
    total = 0
    data = value
    first = True
    while True:
        decompressor = new()
        try:
            out = decompressor.decompress(data, limit - total + 1)
        except Exception:
            if first:
                raise
            break
        total += len(out)
        if total > limit:
            return None
        if not decompressor.eof:
            raise ValueError("the compressed data ends before the end of its stream")
        chunks.append(out)
        data = decompressor.unused_data
        first = False
        if not data or not streams:
            break
    if exact and data:
        raise ValueError("data after the end of the compressed stream")
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


def zlib_decoder(wbits: int, streams: bool = False) -> Decoder:
    """A bounded ``zlib.decompress(value, wbits)``. zlib/gzip streams end with a checksum;
    raw deflate (``wbits < 0``) has none, so there the whole input must be one stream."""
    import zlib

    def new() -> Any:
        return zlib.decompressobj(wbits)

    exact = wbits < 0

    def decode(value: bytes, limit: int) -> bytes:
        return bounded(new, value, limit, streams=streams, exact=exact)

    return decode


def _load_zlib() -> Decoder:
    return zlib_decoder(15)


def _load_gzip() -> Decoder:
    return zlib_decoder(31, streams=True)


def _load_bz2() -> Decoder:
    import bz2

    def decode(value: bytes, limit: int) -> bytes:
        return bounded(bz2.BZ2Decompressor, value, limit)

    return decode


def lzma_decoder(format: int, memlimit: int | None = None, filters: Any = None) -> Decoder:
    """A bounded ``lzma.decompress`` with these arguments."""
    import lzma

    def new() -> Any:
        return lzma.LZMADecompressor(format=format, memlimit=memlimit, filters=filters)

    def decode(value: bytes, limit: int) -> bytes:
        return bounded(new, value, limit)

    return decode


def _load_xz() -> Decoder:
    import lzma

    return lzma_decoder(lzma.FORMAT_XZ)


def _load_lzma_alone() -> Decoder:
    import lzma

    return lzma_decoder(lzma.FORMAT_ALONE)


def _load_lz4() -> Decoder:
    import lz4.frame

    new = lz4.frame.LZ4FrameDecompressor

    def decode(value: bytes, limit: int) -> bytes:
        return bounded(new, value, limit, streams=False)

    return decode


def import_zstd() -> Any:
    """``compression.zstd`` on Python 3.14+, ``backports.zstd`` before."""
    return importlib.import_module("compression.zstd" if sys.version_info >= (3, 14) else "backports.zstd")


def zstd_decoder(zstd: Any, zstd_dict: Any = None, options: Any = None) -> Decoder:
    """A bounded ``zstd.decompress`` with this dictionary and these parameters."""

    def new() -> Any:
        return zstd.ZstdDecompressor(zstd_dict=zstd_dict, options=options)

    def decode(value: bytes, limit: int) -> bytes:
        return bounded(new, value, limit)

    return decode


def _load_zstd() -> Decoder:
    return zstd_decoder(import_zstd())


#: Output asked of brotli per call: its buffer may grow to about twice what is asked.
_BROTLI_STEP = 256 * 1024


def brotli_decoder(brotli: Any) -> Decoder:
    """A bounded ``brotli.decompress``; an incomplete stream or an empty result means
    "not brotli" (see the module doc)."""

    def decode(value: bytes, limit: int) -> bytes:
        out = read(value, limit)
        if out is None:
            raise DecompressionLimitExceeded(limit)  # outside read(): see bounded()
        return out

    def read(value: bytes, limit: int) -> bytes | None:
        decompressor = brotli.Decompressor()
        chunks: list[bytes] = []
        total = 0
        data = value
        while True:
            out = decompressor.process(data, output_buffer_limit=min(limit - total + 1, _BROTLI_STEP))
            data = b""
            total += len(out)
            if total > limit:
                return None
            chunks.append(out)
            if decompressor.can_accept_more_data():
                break
        if not total or not decompressor.is_finished():
            raise ValueError("not a complete, non-empty brotli stream")
        return chunks[0] if len(chunks) == 1 else b"".join(chunks)

    return decode


def _load_brotli() -> Decoder:
    import brotli

    return brotli_decoder(brotli)


@dataclass(frozen=True)
class Format:
    name: str
    #: The extra of this package that installs the library, None for the stdlib.
    extra: str | None
    #: Header check; None for formats recognised only by decoding (brotli).
    matches: Callable[[bytes], bool] | None
    load: Callable[[], Decoder]
    #: The first bytes the header check can accept (a fast pre-filter).
    first_bytes: frozenset[int] = frozenset(range(256))


_ZLIB_FIRST = frozenset(b for b in range(256) if b & 0x0F == 8 and b >> 4 <= 7)

#: Every format, in the order they are tried; brotli (no header) last.
FORMATS: tuple[Format, ...] = (
    Format("zstd", "zstd", is_zstd, _load_zstd, frozenset({0x28})),
    Format("lz4", "lz4", is_lz4_frame, _load_lz4, frozenset({0x04})),
    Format("gzip", None, is_gzip, _load_gzip, frozenset({0x1F})),
    Format("zlib", None, is_zlib, _load_zlib, _ZLIB_FIRST),
    Format("bz2", None, is_bz2, _load_bz2, frozenset(b"B")),
    Format("xz", None, is_xz, _load_xz, frozenset({0xFD})),
    Format("lzma_alone", None, is_lzma_alone, _load_lzma_alone, frozenset(range(225))),
    Format("brotli", "brotli", None, _load_brotli),
)
BY_NAME: dict[str, Format] = {fmt.name: fmt for fmt in FORMATS}
FORMAT_NAMES: tuple[str, ...] = tuple(BY_NAME)


@cache
def decoder(name: str) -> Decoder | None:
    """The decoder of a format, or None if its library is not installed."""
    try:
        return BY_NAME[name].load()
    except ImportError:
        return None


def available(name: str) -> bool:
    return decoder(name) is not None


def identify(value: bytes) -> str | None:
    """The name of the format whose header ``value`` starts with (brotli is never named)."""
    for fmt in FORMATS:
        if fmt.matches is not None and fmt.matches(value):
            return fmt.name
    return None


_warned: set[str] = set()


def _warn_missing(fmt: Format) -> None:
    if fmt.name in _warned:
        return
    _warned.add(fmt.name)
    logger.warning(
        "A cached value is compressed with %s, whose library is not installed; it is read "
        "as a miss. To read such values: pip install %s",
        fmt.name,
        requirement(fmt.extra or fmt.name),
    )


class Detector:
    """Decompresses values in any of ``formats`` except ``skip``.

    Candidates are picked by the value's first byte, so an uncompressed value costs a
    table lookup, usually one header check, and (if brotli is among the formats) one
    brotli decode that fails at once.
    """

    def __init__(self, formats: Collection[str] = FORMAT_NAMES, skip: Collection[str] = ()):
        chosen = [fmt for fmt in FORMATS if fmt.name in formats and fmt.name not in skip]
        headers = [fmt for fmt in chosen if fmt.matches is not None]
        self._by_first_byte: tuple[tuple[Format, ...], ...] = tuple(
            tuple(fmt for fmt in headers if byte in fmt.first_bytes) for byte in range(256)
        )
        self._brotli = BY_NAME["brotli"] in chosen

    def try_decompress(
        self, value: bytes, limit: int = DEFAULT_MAX_DECOMPRESSED_SIZE
    ) -> tuple[bytes | None, BaseException | None]:
        """``(decompressed, None)``, or ``(None, last error or None)`` if in no format.

        Raises :class:`DecompressionLimitExceeded` if the value decompresses to more than
        ``limit`` bytes.
        """
        error: BaseException | None = None
        if value:
            for fmt in self._by_first_byte[value[0]]:
                if not fmt.matches(value):  # type: ignore[misc]
                    continue
                decode = decoder(fmt.name)
                if decode is None:
                    _warn_missing(fmt)
                    continue
                try:
                    return decode(value, limit), None
                except DecompressionLimitExceeded:
                    raise
                except Exception as exc:
                    error = exc
        if self._brotli:
            decode = decoder("brotli")
            if decode is not None:
                try:
                    return decode(value, limit), None
                except DecompressionLimitExceeded:
                    raise
                except Exception as exc:
                    error = exc
        return None, error

    def decompress(
        self,
        value: bytes,
        cause: BaseException | None = None,
        limit: int = DEFAULT_MAX_DECOMPRESSED_SIZE,
    ) -> bytes:
        """Like :meth:`try_decompress` but raising :class:`CompressorError`."""
        out, error = self.try_decompress(value, limit)
        if out is None:
            raise CompressorError("the value is not in a known compressed format") from (error or cause)
        return out


@cache
def detector(formats: tuple[str, ...] = FORMAT_NAMES, skip: tuple[str, ...] = ()) -> Detector:
    """A shared :class:`Detector` for these formats."""
    return Detector(formats, skip)


def decompress(
    value: bytes,
    formats: Collection[str] = FORMAT_NAMES,
    skip: Collection[str] = (),
    cause: BaseException | None = None,
    limit: int = DEFAULT_MAX_DECOMPRESSED_SIZE,
) -> bytes:
    """Decompress ``value`` in whichever of ``formats`` it is in, to at most ``limit`` bytes.

    ``skip`` names formats the caller already tried. Raises :class:`CompressorError`
    when the value is in none of them (it is then most likely not compressed), or when
    its format's library is missing (logged once per format), and
    :class:`DecompressionLimitExceeded` when it decompresses to more than ``limit``.
    """
    return detector(tuple(formats), tuple(skip)).decompress(value, cause, limit)


def formats_option(options: Any, name: str = "COMPRESS_DETECT_FORMATS") -> tuple[str, ...]:
    """Read the list of formats to recognise: None (default) for all, or names."""
    value = options.get(name)
    if value is None:
        return FORMAT_NAMES
    accepted = "None (all formats) or a list of format names from " + ", ".join(FORMAT_NAMES)
    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        raise ConfigurationError(name, value, accepted)
    names = tuple(value)
    if any(item not in BY_NAME for item in names):
        raise ConfigurationError(name, value, accepted)
    return tuple(fmt for fmt in FORMAT_NAMES if fmt in names)
