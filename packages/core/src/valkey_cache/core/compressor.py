"""The compressor protocol's base class and the default identity compressor."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from .exceptions import CompressorError, DecompressionLimitExceeded
from .options import int_option

#: Default of ``MAX_DECOMPRESSED_SIZE``: 64 MiB.
DEFAULT_MAX_DECOMPRESSED_SIZE = 64 * 1024 * 1024


def max_decompressed_size(options: Mapping[str, Any]) -> int:
    """Read ``MAX_DECOMPRESSED_SIZE`` (bytes, >= 1): the most a value may decompress to."""
    size = int_option(options, "MAX_DECOMPRESSED_SIZE", DEFAULT_MAX_DECOMPRESSED_SIZE, 1)
    return DEFAULT_MAX_DECOMPRESSED_SIZE if size is None else size


class BaseCompressor:
    """Compresses values longer than ``COMPRESS_MIN_LENGTH`` bytes (default 15).

    Subclasses implement ``_compress`` and ``_decompress``; ``decompress`` turns any
    failure into :class:`CompressorError`, which the decoder reads as "not compressed".
    ``COMPRESS_LEVEL`` (default None: the library's own default) is on ``self.level``.
    ``MAX_DECOMPRESSED_SIZE`` (default 64 MiB) is on ``self.max_decompressed_size``:
    ``_decompress`` must never produce more and raises
    :class:`DecompressionLimitExceeded` instead, which the decoder reads as a miss.
    """

    OPTIONS: ClassVar[frozenset[str]] = frozenset(
        {"COMPRESS_MIN_LENGTH", "COMPRESS_LEVEL", "MAX_DECOMPRESSED_SIZE"}
    )
    min_length: int = 15
    #: False for compressors that store values as they are (the identity ones).
    compresses: ClassVar[bool] = True
    level: int | None = None
    max_decompressed_size: int = DEFAULT_MAX_DECOMPRESSED_SIZE

    def __init__(self, options: Mapping[str, Any] | None = None) -> None:
        self._options: Mapping[str, Any] = options or {}
        self.min_length = int_option(self._options, "COMPRESS_MIN_LENGTH", type(self).min_length, 0) or 0
        self.level = int_option(self._options, "COMPRESS_LEVEL", type(self).level)
        self.max_decompressed_size = max_decompressed_size(self._options)

    def compress(self, value: bytes) -> bytes:
        """Compress ``value`` if it is longer than ``min_length``; else return it as is."""
        if len(value) > self.min_length:
            return self._compress(value)
        return value

    def decompress(self, value: bytes) -> bytes:
        """Decompress ``value``; raise :class:`CompressorError` if it cannot be."""
        try:
            return self._decompress(value)
        except DecompressionLimitExceeded:
            raise
        except Exception as exc:
            raise CompressorError(f"{type(self).__name__} could not decompress the value") from exc

    def _compress(self, value: bytes) -> bytes:
        raise NotImplementedError

    def _decompress(self, value: bytes) -> bytes:
        raise NotImplementedError


class IdentityCompressor(BaseCompressor):
    """Stores values as they are. ``MAX_DECOMPRESSED_SIZE`` is checked, not needed."""

    OPTIONS: ClassVar[frozenset[str]] = frozenset({"MAX_DECOMPRESSED_SIZE"})
    compresses: ClassVar[bool] = False

    def __init__(self, options: Mapping[str, Any] | None = None) -> None:
        self._options = options or {}
        self.max_decompressed_size = max_decompressed_size(self._options)

    def compress(self, value: bytes) -> bytes:
        """Return ``value`` unchanged."""
        return value

    def decompress(self, value: bytes) -> bytes:
        """Return ``value`` unchanged."""
        return value
