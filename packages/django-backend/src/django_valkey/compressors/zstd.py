"""``ZStdCompressor`` from valkey-cache-compressors (extra ``[zstd]``)."""

from __future__ import annotations

from .._extras import missing, require

require(__name__, "zstd", "backports.zstd", "compression.zstd")
try:
    from valkey_cache.compressors.zstd import ZStdCompressor
except ImportError as exc:  # pragma: no cover - the distribution is missing
    raise missing(__name__, "zstd", "valkey-cache-compressors") from exc

__all__ = ["ZStdCompressor"]
