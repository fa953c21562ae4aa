"""``BrotliCompressor`` from valkey-cache-compressors (extra ``[brotli]``)."""

from __future__ import annotations

from .._extras import missing, require

require(__name__, "brotli", "brotli")
try:
    from valkey_cache.compressors.brotli import BrotliCompressor
except ImportError as exc:  # pragma: no cover - the distribution is missing
    raise missing(__name__, "brotli", "valkey-cache-compressors") from exc

__all__ = ["BrotliCompressor"]
