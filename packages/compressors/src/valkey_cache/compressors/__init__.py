"""Compressors for valkey-cache: zlib, gzip, bz2, lzma (stdlib), lz4, zstd, brotli.

Each compressor also reads values written by the others (see :mod:`.detect`), so a
cache can change ``COMPRESSOR`` without losing what it holds. Third-party libraries
are imported when a compressor is constructed, not when this package is imported.
"""

from __future__ import annotations

from .base import FormatCompressor
from .brotli import BrotliCompressor
from .bz2 import Bz2Compressor
from .gzip import GzipCompressor
from .identity import IdentityCompressor
from .lz4 import Lz4Compressor
from .lzma import LzmaCompressor
from .zlib import ZlibCompressor
from .zstd import ZStdCompressor

__all__ = [
    "BrotliCompressor",
    "Bz2Compressor",
    "FormatCompressor",
    "GzipCompressor",
    "IdentityCompressor",
    "Lz4Compressor",
    "LzmaCompressor",
    "ZStdCompressor",
    "ZlibCompressor",
]
