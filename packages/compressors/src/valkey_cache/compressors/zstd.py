"""Zstandard (``[zstd]`` extra): ``compression.zstd`` on Python 3.14+, ``backports.zstd``
before. Defaults as django-valkey 0.4: level 1, no dictionary."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable, Mapping
from typing import Any, ClassVar

from valkey_cache.core.exceptions import ConfigurationError, MissingDependencyError

from . import detect
from .base import FormatCompressor


class ZStdCompressor(FormatCompressor):
    """Zstandard frames.

    Options: ``COMPRESS_LEVEL`` (default 1; negative levels are faster),
    ``COMPRESS_ZSTD_OPTIONS`` (a dict of compression parameters: keys are
    ``CompressionParameter`` members or their names such as ``"window_log"`` or
    ``"checksum_flag"``), ``DECOMPRESS_ZSTD_OPTIONS`` (the same for
    ``DecompressionParameter``), ``COMPRESS_ZSTD_DICT`` and ``DECOMPRESS_ZSTD_DICT``
    (a trained dictionary: a ``ZstdDict``, its bytes or the path of a file holding
    them; the decompression one defaults to the compression one). See
    :func:`train_dictionary`.
    """

    OPTIONS: ClassVar[frozenset[str]] = FormatCompressor.OPTIONS | {
        "COMPRESS_ZSTD_OPTIONS",
        "DECOMPRESS_ZSTD_OPTIONS",
        "COMPRESS_ZSTD_DICT",
        "DECOMPRESS_ZSTD_DICT",
    }
    FORMAT: ClassVar[str] = "zstd"
    EXTRA: ClassVar[str | None] = "zstd"
    DEFAULT_LEVEL: ClassVar[int] = 1

    def __init__(self, options: Mapping[str, Any] | None = None) -> None:
        super().__init__(options)
        zstd = self._library
        opts = self._options
        self.zstd_dict = _dict_option(zstd, opts, "COMPRESS_ZSTD_DICT")
        decompress_dict = _dict_option(zstd, opts, "DECOMPRESS_ZSTD_DICT")
        self.decompress_zstd_dict = decompress_dict if decompress_dict is not None else self.zstd_dict
        params = _params_option(zstd.CompressionParameter, opts, "COMPRESS_ZSTD_OPTIONS")
        if params is not None and opts.get("COMPRESS_LEVEL"):
            params.setdefault(zstd.CompressionParameter.compression_level, self.level)
        self.compress_options = params
        self.decompress_options = _params_option(zstd.DecompressionParameter, opts, "DECOMPRESS_ZSTD_OPTIONS")
        if params is None:
            self._compress_kwargs: dict[str, Any] = {"level": self.level}
        else:
            self._compress_kwargs = {"options": params}
        self._compress_kwargs["zstd_dict"] = self.zstd_dict
        self._local = threading.local()
        self._decode = detect.zstd_decoder(zstd, self.decompress_zstd_dict, self.decompress_options)
        try:
            zstd.compress(b"", **self._compress_kwargs)
        except (ValueError, TypeError, zstd.ZstdError) as exc:
            raise ConfigurationError(
                "COMPRESS_ZSTD_OPTIONS",
                opts.get("COMPRESS_ZSTD_OPTIONS"),
                f"valid parameters ({exc})",
            ) from exc

    def _load_library(self) -> Any:
        return detect.import_zstd()

    def _level_range(self) -> tuple[int, int] | None:
        low, high = self._library.CompressionParameter.compression_level.bounds()
        return (low, high)

    def _compress(self, value: bytes) -> bytes:
        # One reusable compression context per thread: the same bytes as
        # zstd.compress(), which builds a new context (the slow part) on every call.
        compressor = getattr(self._local, "compressor", None)
        if compressor is None:
            compressor = self._library.ZstdCompressor(**self._compress_kwargs)
        self._local.compressor = None
        out: bytes = compressor.compress(value, mode=compressor.FLUSH_FRAME)
        self._local.compressor = compressor
        return out

    def _decompress(self, value: bytes) -> bytes:
        return self._decode(value, self.max_decompressed_size)


def train_dictionary(samples: Iterable[bytes], size: int = 16 * 1024) -> bytes:
    """Train a Zstandard dictionary of at most ``size`` bytes on sample values.

    Store the result in a file and point ``COMPRESS_ZSTD_DICT`` at it. Samples should
    be serialized values like the ones the cache will hold (a few hundred or more).
    """
    try:
        zstd = detect.import_zstd()
    except ImportError as exc:
        raise MissingDependencyError(
            "COMPRESSOR", ZStdCompressor.dotted_path(), detect.requirement("zstd")
        ) from exc
    content: bytes = zstd.train_dict(list(samples), size).dict_content
    return content


def _dict_option(zstd: Any, options: Mapping[str, Any], name: str) -> Any:
    value = options.get(name)
    if value is None or isinstance(value, zstd.ZstdDict):
        return value
    accepted = "a ZstdDict, the bytes of a trained dictionary, or the path of a file holding them"
    if isinstance(value, (str, os.PathLike)):
        try:
            with open(value, "rb") as file:
                value = file.read()
        except OSError as exc:
            raise ConfigurationError(name, value, f"{accepted} ({exc})") from exc
    if not isinstance(value, (bytes, bytearray, memoryview)):
        raise ConfigurationError(name, value, accepted)
    try:
        return zstd.ZstdDict(bytes(value))
    except (ValueError, TypeError, zstd.ZstdError) as exc:
        raise ConfigurationError(name, options.get(name), f"{accepted} ({exc})") from exc


def _params_option(enum: Any, options: Mapping[str, Any], name: str) -> dict[Any, int] | None:
    value = options.get(name)
    if value is None:
        return None
    names = ", ".join(member.name for member in enum)
    accepted = f"a dict of {enum.__name__} (or its names: {names}) to integers"
    if not isinstance(value, Mapping):
        raise ConfigurationError(name, value, accepted)
    params: dict[Any, int] = {}
    for key, number in value.items():
        try:
            member = enum[key] if isinstance(key, str) else enum(key)
        except (KeyError, ValueError) as exc:
            raise ConfigurationError(name, value, accepted) from exc
        if isinstance(number, bool) or not isinstance(number, int):
            raise ConfigurationError(name, value, accepted)
        params[member] = number
    return params
