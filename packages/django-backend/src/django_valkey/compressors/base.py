"""The compressor base class, for custom compressors.

``COMPRESS_MIN_LENGTH`` and ``COMPRESS_LEVEL`` come from ``OPTIONS`` or from the
``CACHE_COMPRESS_MIN_LENGTH`` / ``CACHE_COMPRESS_LEVEL`` settings.
"""

from __future__ import annotations

from valkey_cache.core.compressor import BaseCompressor

__all__ = ["BaseCompressor"]
