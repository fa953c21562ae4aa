"""bz2 (stdlib). Default level 9, as django-valkey 0.4."""

from __future__ import annotations

from typing import Any, ClassVar

from . import detect
from .base import FormatCompressor


class Bz2Compressor(FormatCompressor):
    """bzip2; ``COMPRESS_LEVEL`` 1 to 9 (default 9)."""

    FORMAT: ClassVar[str] = "bz2"
    DEFAULT_LEVEL: ClassVar[int] = 9
    LEVEL_RANGE: ClassVar[tuple[int, int] | None] = (1, 9)

    def _load_library(self) -> Any:
        import bz2

        return bz2

    def _compress(self, value: bytes) -> bytes:
        out: bytes = self._library.compress(value, compresslevel=self.level)
        return out

    def _decompress(self, value: bytes) -> bytes:
        return detect.bounded(self._library.BZ2Decompressor, value, self.max_decompressed_size)
