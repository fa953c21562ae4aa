"""``ZlibCompressor`` from valkey-cache-compressors (extra ``[compressors]``)."""

from __future__ import annotations

from .._extras import missing

try:
    from valkey_cache.compressors.zlib import ZlibCompressor
except ImportError as exc:  # pragma: no cover - the distribution is missing
    raise missing(__name__, "compressors", "valkey-cache-compressors") from exc

__all__ = ["ZlibCompressor"]
