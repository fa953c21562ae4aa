"""``JSONSerializer`` from valkey-cache-serializers (extra ``[json]``)."""

from __future__ import annotations

from .._extras import missing

try:
    from valkey_cache.serializers.json import JSONSerializer
except ImportError as exc:  # pragma: no cover - the distribution is missing
    raise missing(__name__, "json", "valkey-cache-serializers") from exc

__all__ = ["JSONSerializer"]
