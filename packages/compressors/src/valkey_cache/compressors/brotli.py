"""brotli (``[brotli]`` extra), with django-valkey 0.4's defaults."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from valkey_cache.core.exceptions import ConfigurationError
from valkey_cache.core.options import int_option

from . import detect
from .base import FormatCompressor

_MODES = ("GENERIC", "TEXT", "FONT")


class BrotliCompressor(FormatCompressor):
    """Brotli. Options: ``COMPRESS_LEVEL`` (quality 0-11, default 11),
    ``COMPRESS_BROTLI_LGWIN`` (10-24, default 22), ``COMPRESS_BROTLI_LGBLOCK``
    (0 or 16-24, default 0), ``COMPRESS_BROTLI_MODE`` ("GENERIC" default, "TEXT",
    "FONT"; any case).

    Brotli has no header: a value is taken as brotli when it decodes completely to a
    non-empty result, which is why this compressor tries its own format on every value.
    """

    OPTIONS: ClassVar[frozenset[str]] = FormatCompressor.OPTIONS | {
        "COMPRESS_BROTLI_LGWIN",
        "COMPRESS_BROTLI_LGBLOCK",
        "COMPRESS_BROTLI_MODE",
    }
    FORMAT: ClassVar[str] = "brotli"
    EXTRA: ClassVar[str | None] = "brotli"
    DEFAULT_LEVEL: ClassVar[int] = 11
    LEVEL_RANGE: ClassVar[tuple[int, int] | None] = (0, 11)

    def __init__(self, options: Mapping[str, Any] | None = None) -> None:
        super().__init__(options)
        opts = self._options
        self.lgwin = int_option(opts, "COMPRESS_BROTLI_LGWIN", 22, 10, 24) or 22
        lgblock = int_option(opts, "COMPRESS_BROTLI_LGBLOCK", 0, 0, 24) or 0
        if 0 < lgblock < 16:
            raise ConfigurationError("COMPRESS_BROTLI_LGBLOCK", lgblock, "0 or 16 to 24")
        self.lgblock: int = lgblock
        mode = opts.get("COMPRESS_BROTLI_MODE", "GENERIC")
        if not isinstance(mode, str) or mode.upper() not in _MODES:
            raise ConfigurationError("COMPRESS_BROTLI_MODE", mode, "one of 'GENERIC', 'TEXT', 'FONT'")
        self.mode: int = getattr(self._library, f"MODE_{mode.upper()}")
        self._decode = detect.brotli_decoder(self._library)

    def _load_library(self) -> Any:
        import brotli

        return brotli

    def _compress(self, value: bytes) -> bytes:
        out: bytes = self._library.compress(
            value, quality=self.level, lgwin=self.lgwin, lgblock=self.lgblock, mode=self.mode
        )
        return out

    def _decompress(self, value: bytes) -> bytes:
        return self._decode(value, self.max_decompressed_size)
