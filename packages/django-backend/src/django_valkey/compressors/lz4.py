"""``Lz4Compressor`` from valkey-cache-compressors (extra ``[lz4]``)."""

from __future__ import annotations

from .._extras import missing, require

require(__name__, "lz4", "lz4.frame")
try:
    from valkey_cache.compressors.lz4 import Lz4Compressor
except ImportError as exc:  # pragma: no cover - the distribution is missing
    raise missing(__name__, "lz4", "valkey-cache-compressors") from exc

__all__ = ["Lz4Compressor"]
