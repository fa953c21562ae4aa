"""No compression (the default)."""

from __future__ import annotations

from valkey_cache.core.compressor import IdentityCompressor

__all__ = ["IdentityCompressor"]
