"""The compressor protocol's base class and the default identity compressor."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from .exceptions import CompressorError
from .options import int_option


class BaseCompressor:
    """Compresses values longer than ``COMPRESS_MIN_LENGTH`` bytes (default 15).

    Subclasses implement ``_compress`` and ``_decompress``; ``decompress`` turns any
    failure into :class:`CompressorError`, which the decoder reads as "not compressed".
    ``COMPRESS_LEVEL`` (default None: the library's own default) is on ``self.level``.
    """

    OPTIONS: ClassVar[frozenset[str]] = frozenset({"COMPRESS_MIN_LENGTH", "COMPRESS_LEVEL"})
    min_length: int = 15
    level: int | None = None

    def __init__(self, options: Mapping[str, Any] | None = None) -> None:
        self._options: Mapping[str, Any] = options or {}
        self.min_length = int_option(self._options, "COMPRESS_MIN_LENGTH", type(self).min_length, 0) or 0
        self.level = int_option(self._options, "COMPRESS_LEVEL", type(self).level)

    def compress(self, value: bytes) -> bytes:
        if len(value) > self.min_length:
            return self._compress(value)
        return value

    def decompress(self, value: bytes) -> bytes:
        try:
            return self._decompress(value)
        except Exception as exc:
            raise CompressorError(f"{type(self).__name__} could not decompress the value") from exc

    def _compress(self, value: bytes) -> bytes:
        raise NotImplementedError

    def _decompress(self, value: bytes) -> bytes:
        raise NotImplementedError


class IdentityCompressor(BaseCompressor):
    """Stores values as they are."""

    OPTIONS: ClassVar[frozenset[str]] = frozenset()

    def __init__(self, options: Mapping[str, Any] | None = None) -> None:
        self._options = options or {}

    def compress(self, value: bytes) -> bytes:
        return value

    def decompress(self, value: bytes) -> bytes:
        return value
