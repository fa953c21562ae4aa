"""``MSGPackSerializer`` from valkey-cache-serializers (extra ``[msgpack]``)."""

from __future__ import annotations

from .._extras import missing, require

require(__name__, "msgpack", "msgpack")
try:
    from valkey_cache.serializers.msgpack import MSGPackSerializer
except ImportError as exc:  # pragma: no cover - the distribution is missing
    raise missing(__name__, "msgpack", "valkey-cache-serializers") from exc

__all__ = ["MSGPackSerializer"]
