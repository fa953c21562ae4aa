"""lzma/xz (stdlib). Defaults as django-valkey 0.4: preset 4, the xz container."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from valkey_cache.core.exceptions import ConfigurationError
from valkey_cache.core.options import int_option

from . import detect
from .base import FormatCompressor

_FORMAT_NAMES = {"auto": 0, "xz": 1, "alone": 2, "raw": 3}
_CHECKS = (-1, 0, 1, 4, 10)
_PRESET_EXTREME = 0x80000000


class LzmaCompressor(FormatCompressor):
    """LZMA in the xz container by default.

    Options (all optional): ``COMPRESS_LEVEL`` (preset 0-9, optionally OR-ed with
    ``lzma.PRESET_EXTREME``; default 4), ``COMPRESS_LZMA_FORMAT`` (1/"xz", 2/"alone",
    3/"raw"; default 1), ``COMPRESS_LZMA_CHECK`` (-1, 0, 1, 4 or 10; default -1),
    ``COMPRESS_LZMA_FILTERS`` (a filter chain; replaces the preset),
    ``DECOMPRESS_LZMA_FORMAT`` (0/"auto" default, or as above),
    ``DECOMPRESS_LZMA_MEMLIMIT`` (bytes) and ``DECOMPRESS_LZMA_FILTERS``.
    """

    OPTIONS: ClassVar[frozenset[str]] = FormatCompressor.OPTIONS | {
        "COMPRESS_LZMA_FORMAT",
        "COMPRESS_LZMA_CHECK",
        "COMPRESS_LZMA_FILTERS",
        "DECOMPRESS_LZMA_MEMLIMIT",
        "DECOMPRESS_LZMA_FORMAT",
        "DECOMPRESS_LZMA_FILTERS",
    }
    FORMAT: ClassVar[str] = "xz"
    DEFAULT_LEVEL: ClassVar[int] = 4
    LEVEL_RANGE: ClassVar[tuple[int, int] | None] = (0, 9)

    def __init__(self, options: Mapping[str, Any] | None = None) -> None:
        super().__init__(options)
        opts = self._options
        self.format = _format_option(opts, "COMPRESS_LZMA_FORMAT", 1, (1, 2, 3))
        check = opts.get("COMPRESS_LZMA_CHECK", -1)
        if check not in _CHECKS or isinstance(check, bool):
            raise ConfigurationError(
                "COMPRESS_LZMA_CHECK", check, "one of -1 (the format's default), 0, 1, 4, 10"
            )
        self.check: int = check
        self.filters = _filters_option(opts, "COMPRESS_LZMA_FILTERS")
        self.decompress_format = _format_option(opts, "DECOMPRESS_LZMA_FORMAT", 0, (0, 1, 2, 3))
        self.decompress_filters = _filters_option(opts, "DECOMPRESS_LZMA_FILTERS")
        self.memlimit = int_option(opts, "DECOMPRESS_LZMA_MEMLIMIT", None, 1)

        compress_kwargs: dict[str, Any] = {"format": self.format, "check": self.check}
        if self.filters is None:
            compress_kwargs["preset"] = self.level
        else:
            compress_kwargs["filters"] = self.filters
        self._compress_kwargs = compress_kwargs
        try:
            self._library.compress(b"", **compress_kwargs)
        except (ValueError, TypeError, self._library.LZMAError) as exc:
            option = "COMPRESS_LZMA_FILTERS" if self.filters is not None else "COMPRESS_LZMA_FORMAT"
            raise ConfigurationError(
                option,
                opts.get(option),
                f"settings liblzma accepts together ({exc}; the raw format needs filters, "
                "the alone format only CHECK -1 or 0)",
            ) from exc
        if self.decompress_format == 3 and self.decompress_filters is None:
            raise ConfigurationError(
                "DECOMPRESS_LZMA_FILTERS", None, "a filter chain when DECOMPRESS_LZMA_FORMAT is 3"
            )
        matchers = {
            0: (detect.is_xz, detect.is_lzma_alone),
            1: (detect.is_xz,),
            2: (detect.is_lzma_alone,),
        }.get(self.decompress_format)
        self._matchers = matchers
        self._decode = detect.lzma_decoder(self.decompress_format, self.memlimit, self.decompress_filters)
        self._own_formats = ("xz", "lzma_alone")

    def _load_library(self) -> Any:
        import lzma

        return lzma

    def _read_level(self) -> int:
        value = self._options.get("COMPRESS_LEVEL")
        if isinstance(value, int) and not isinstance(value, bool) and value & _PRESET_EXTREME:
            preset = value & ~_PRESET_EXTREME
            if 0 <= preset <= 9:
                return value
        return super()._read_level()

    def _is_own(self, value: bytes) -> bool:
        if self._matchers is None:  # raw: no header to check
            return True
        return any(match(value) for match in self._matchers)

    def _compress(self, value: bytes) -> bytes:
        out: bytes = self._library.compress(value, **self._compress_kwargs)
        return out

    def _decompress(self, value: bytes) -> bytes:
        return self._decode(value, self.max_decompressed_size)


def _format_option(options: Mapping[str, Any], name: str, default: int, accepted: tuple[int, ...]) -> int:
    value = options.get(name, default)
    number = _FORMAT_NAMES.get(value.lower(), -1) if isinstance(value, str) else value
    if isinstance(number, bool) or number not in accepted:
        names = {v: k for k, v in _FORMAT_NAMES.items()}
        choices = ", ".join(f"{n} ({names[n]!r})" for n in accepted)
        raise ConfigurationError(name, value, f"one of {choices}")
    return int(number)


def _filters_option(options: Mapping[str, Any], name: str) -> list[dict[str, Any]] | None:
    value = options.get(name)
    if value is None:
        return None
    if (
        isinstance(value, (str, bytes, Mapping))
        or not isinstance(value, Sequence)
        or not value
        or not all(isinstance(item, Mapping) for item in value)
    ):
        raise ConfigurationError(name, value, "None or a list of filter dicts (see the lzma docs)")
    return [dict(item) for item in value]
