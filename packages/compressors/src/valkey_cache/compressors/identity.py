"""No compression, but values compressed earlier still read."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from valkey_cache.core.compressor import BaseCompressor, max_decompressed_size

from . import detect


class IdentityCompressor(BaseCompressor):
    """Stores values uncompressed, like the core's ``IdentityCompressor``.

    ``decompress`` recognises values written by any compressor of this package (see
    :mod:`valkey_cache.compressors.detect`) and decompresses them; anything else is
    returned unchanged. The core's identity compressor (no ``COMPRESSOR``) reads them too,
    through the same detector, once a value fails to deserialize
    (``valkey_cache.core.codec.read_other_format``); this one tries the formats first, and
    ``COMPRESS_DETECT_FORMATS`` limits the formats recognised (default: all).
    ``COMPRESS_LEVEL`` and ``COMPRESS_MIN_LENGTH`` are accepted and ignored, so that
    turning compression off needs no other change. ``MAX_DECOMPRESSED_SIZE`` bounds what
    a recognised value may decompress to.
    """

    compresses: ClassVar[bool] = False

    OPTIONS: ClassVar[frozenset[str]] = BaseCompressor.OPTIONS | {"COMPRESS_DETECT_FORMATS"}

    def __init__(self, options: Mapping[str, Any] | None = None) -> None:
        self._options = options or {}
        self.max_decompressed_size = max_decompressed_size(self._options)
        self._detector = detect.detector(detect.formats_option(self._options))

    def compress(self, value: bytes) -> bytes:
        """Return ``value`` unchanged."""
        return value

    def decompress(self, value: bytes) -> bytes:
        """Decompress a value in a recognised format; return anything else unchanged."""
        out, _ = self._detector.try_decompress(value, self.max_decompressed_size)
        return value if out is None else out
