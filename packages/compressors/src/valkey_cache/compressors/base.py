"""The base of this package's compressors: level handling and safe switching."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from valkey_cache.core.compressor import BaseCompressor
from valkey_cache.core.exceptions import (
    ConfigurationError,
    DecompressionLimitExceeded,
    MissingDependencyError,
)

from . import detect


class FormatCompressor(BaseCompressor):
    """A compressor that also reads values in every other format it recognises.

    ``decompress`` first tries this compressor's own format, then the formats named
    by ``COMPRESS_DETECT_FORMATS`` (default: all) recognised from the stored bytes
    (see :mod:`valkey_cache.compressors.detect`). What ``compress`` writes is exactly
    what django-valkey 0.4 writes with the same settings.

    ``COMPRESS_LEVEL`` of None or 0 means ``DEFAULT_LEVEL``, as in django-valkey 0.4.
    Every path, own format or detected, stops at ``MAX_DECOMPRESSED_SIZE`` bytes of
    output and raises :class:`DecompressionLimitExceeded`.
    """

    OPTIONS: ClassVar[frozenset[str]] = BaseCompressor.OPTIONS | {"COMPRESS_DETECT_FORMATS"}
    #: Name of the format in :data:`detect.FORMATS` that this compressor writes.
    FORMAT: ClassVar[str] = ""
    #: Extra of valkey-cache-compressors that installs the library; None for stdlib.
    EXTRA: ClassVar[str | None] = None
    DEFAULT_LEVEL: ClassVar[int] = 0
    LEVEL_RANGE: ClassVar[tuple[int, int] | None] = None

    level: int

    def __init__(self, options: Mapping[str, Any] | None = None) -> None:
        super().__init__(options)
        self._library: Any = self._import_library()
        self.level = self._read_level()
        self._detect_formats = detect.formats_option(self._options)
        self._own_formats: tuple[str, ...] = (self.FORMAT,)

    @classmethod
    def dotted_path(cls) -> str:
        return f"{cls.__module__}.{cls.__qualname__}"

    def _import_library(self) -> Any:
        """Import and return the compression library; ImportError becomes the pip line."""
        try:
            return self._load_library()
        except ImportError as exc:
            extra = self.EXTRA or self.FORMAT
            raise MissingDependencyError("COMPRESSOR", self.dotted_path(), detect.requirement(extra)) from exc

    def _load_library(self) -> Any:
        raise NotImplementedError

    def _level_range(self) -> tuple[int, int] | None:
        return self.LEVEL_RANGE

    def _read_level(self) -> int:
        value = self._options.get("COMPRESS_LEVEL")
        if value is None or value == 0:
            return self.DEFAULT_LEVEL
        bounds = self._level_range()
        level = value
        if isinstance(level, str):
            try:
                level = int(level, 10)
            except ValueError:
                level = None
        if (
            isinstance(level, bool)
            or not isinstance(level, int)
            or (bounds is not None and not bounds[0] <= level <= bounds[1])
        ):
            accepted = "an integer" if bounds is None else f"an integer from {bounds[0]} to {bounds[1]}"
            raise ConfigurationError(
                "COMPRESS_LEVEL", value, f"{accepted}, or None/0 for {self.DEFAULT_LEVEL}"
            )
        return level

    def _is_own(self, value: bytes) -> bool:
        """Whether ``value`` may be in this compressor's own format (cheap header check)."""
        fmt = detect.BY_NAME[self.FORMAT]
        return fmt.matches is None or fmt.matches(value)

    def decompress(self, value: bytes) -> bytes:
        """Decompress ``value`` from this compressor's format or any detected one."""
        cause: BaseException | None = None
        if self._is_own(value):
            try:
                return self._decompress(value)
            except DecompressionLimitExceeded:
                raise
            except Exception as exc:
                cause = exc
        return self._detector().decompress(value, cause, self.max_decompressed_size)

    def _detector(self) -> detect.Detector:
        detector = self.__dict__.get("_detector_instance")
        if detector is None:
            detector = detect.detector(self._detect_formats, self._own_formats)
            self.__dict__["_detector_instance"] = detector
        return detector
