"""lz4 frame format (``[lz4]`` extra), with django-valkey 0.4's defaults."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from valkey_cache.core.exceptions import ConfigurationError
from valkey_cache.core.options import bool_option

from . import detect
from .base import FormatCompressor

_BLOCK_SIZES = (0, 4, 5, 6, 7)


class Lz4Compressor(FormatCompressor):
    """LZ4 frames (``lz4.frame``), readable by any LZ4 frame decoder.

    Options: ``COMPRESS_LEVEL`` (default 0: fast; 3-16 high compression; negative values
    accelerate), ``COMPRESS_LZ4_BLOCK_SIZE`` (0 default, 4 = 64 KB, 5 = 256 KB,
    6 = 1 MB, 7 = 4 MB), ``COMPRESS_LZ4_CONTENT_CHECKSUM`` (default False),
    ``COMPRESS_LZ4_BLOCK_LINKED`` (default True), ``COMPRESS_LZ4_STORE_SIZE``
    (default True).
    """

    OPTIONS: ClassVar[frozenset[str]] = FormatCompressor.OPTIONS | {
        "COMPRESS_LZ4_BLOCK_SIZE",
        "COMPRESS_LZ4_CONTENT_CHECKSUM",
        "COMPRESS_LZ4_BLOCK_LINKED",
        "COMPRESS_LZ4_STORE_SIZE",
    }
    FORMAT: ClassVar[str] = "lz4"
    EXTRA: ClassVar[str | None] = "lz4"
    DEFAULT_LEVEL: ClassVar[int] = 0
    LEVEL_RANGE: ClassVar[tuple[int, int] | None] = (-65536, 16)

    def __init__(self, options: Mapping[str, Any] | None = None) -> None:
        super().__init__(options)
        opts = self._options
        block_size = opts.get("COMPRESS_LZ4_BLOCK_SIZE", 0)
        if isinstance(block_size, bool) or block_size not in _BLOCK_SIZES:
            raise ConfigurationError(
                "COMPRESS_LZ4_BLOCK_SIZE",
                block_size,
                "one of 0 (default), 4 (64 KB), 5 (256 KB), 6 (1 MB), 7 (4 MB)",
            )
        self.block_size: int = block_size
        self.content_checksum = bool_option(opts, "COMPRESS_LZ4_CONTENT_CHECKSUM", False)
        self.block_linked = bool_option(opts, "COMPRESS_LZ4_BLOCK_LINKED", True)
        self.store_size = bool_option(opts, "COMPRESS_LZ4_STORE_SIZE", True)

    def _load_library(self) -> Any:
        import lz4.frame

        return lz4.frame

    def _compress(self, value: bytes) -> bytes:
        out: bytes = self._library.compress(
            value,
            compression_level=self.level,
            block_size=self.block_size,
            content_checksum=self.content_checksum,
            block_linked=self.block_linked,
            store_size=self.store_size,
        )
        return out

    def _decompress(self, value: bytes) -> bytes:
        new = self._library.LZ4FrameDecompressor
        return detect.bounded(new, value, self.max_decompressed_size, streams=False)
