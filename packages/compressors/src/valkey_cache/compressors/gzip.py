"""gzip (stdlib). Default level 9, as django-valkey 0.4."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from . import detect
from .base import FormatCompressor


class GzipCompressor(FormatCompressor):
    """gzip; ``COMPRESS_LEVEL`` 1 to 9 (default 9)."""

    FORMAT: ClassVar[str] = "gzip"
    DEFAULT_LEVEL: ClassVar[int] = 9
    LEVEL_RANGE: ClassVar[tuple[int, int] | None] = (1, 9)

    def __init__(self, options: Mapping[str, Any] | None = None) -> None:
        super().__init__(options)
        self._decode = detect.zlib_decoder(31, streams=True)

    def _load_library(self) -> Any:
        import gzip

        return gzip

    def _compress(self, value: bytes) -> bytes:
        out: bytes = self._library.compress(value, compresslevel=self.level)
        return out

    def _decompress(self, value: bytes) -> bytes:
        return self._decode(value, self.max_decompressed_size)
