"""zlib (stdlib). Defaults as django-valkey 0.4: level 6, ``COMPRESS_ZLIB_WBITS`` 15."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from valkey_cache.core.exceptions import ConfigurationError

from . import detect
from .base import FormatCompressor

_WBITS_ACCEPTED = "9 to 15 (zlib), -15 to -9 (raw deflate) or 25 to 31 (gzip)"


class ZlibCompressor(FormatCompressor):
    """zlib; ``COMPRESS_LEVEL`` -1 to 9 (default 6), ``COMPRESS_ZLIB_WBITS`` (default 15).

    ``COMPRESS_ZLIB_WBITS`` is used to compress and to decompress, as in django-valkey
    0.4: 9-15 write a zlib stream, 25-31 a gzip one, -15 to -9 raw deflate (which has
    no header, so only a ZlibCompressor with the same setting reads it).
    """

    OPTIONS: ClassVar[frozenset[str]] = FormatCompressor.OPTIONS | {"COMPRESS_ZLIB_WBITS"}
    FORMAT: ClassVar[str] = "zlib"
    DEFAULT_LEVEL: ClassVar[int] = 6
    LEVEL_RANGE: ClassVar[tuple[int, int] | None] = (-1, 9)

    def __init__(self, options: Mapping[str, Any] | None = None) -> None:
        super().__init__(options)
        wbits = self._options.get("COMPRESS_ZLIB_WBITS", 15)
        if (
            isinstance(wbits, bool)
            or not isinstance(wbits, int)
            or not (9 <= abs(wbits) <= 15 or 25 <= wbits <= 31)
        ):
            raise ConfigurationError("COMPRESS_ZLIB_WBITS", wbits, _WBITS_ACCEPTED)
        self.wbits: int = wbits
        # Formats detection need not retry after our own decode failed: only those our
        # own decoder reads in full (a smaller window cannot read a default stream).
        if wbits > 15:
            self._header_check = detect.is_gzip
            self._own_formats = ("gzip",)
        elif wbits > 0:
            self._header_check = detect.is_zlib
            self._own_formats = ("zlib",) if wbits == 15 else ()
        else:
            self._header_check = _anything
            self._own_formats = ()
        self._decode = detect.zlib_decoder(wbits)

    def _load_library(self) -> Any:
        import zlib

        return zlib

    def _is_own(self, value: bytes) -> bool:
        return self._header_check(value)

    def _compress(self, value: bytes) -> bytes:
        # zlib.compress(value, level, wbits) needs Python 3.11; a compressobj with the
        # same level and wbits (and zlib's default memLevel and strategy) writes the same
        # bytes on every version.
        compressor = self._library.compressobj(self.level, self._library.DEFLATED, self.wbits)
        out: bytes = compressor.compress(value) + compressor.flush()
        return out

    def _decompress(self, value: bytes) -> bytes:
        return self._decode(value, self.max_decompressed_size)


def _anything(value: bytes) -> bool:
    return True
