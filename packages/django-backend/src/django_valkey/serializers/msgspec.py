"""``MsgSpecJsonSerializer, MsgSpecMsgPackSerializer`` from valkey-cache-serializers (extra ``[msgspec]``)."""

from __future__ import annotations

from .._extras import missing, require

require(__name__, "msgspec", "msgspec")
try:
    from valkey_cache.serializers.msgspec import MsgSpecJsonSerializer, MsgSpecMsgPackSerializer
except ImportError as exc:  # pragma: no cover - the distribution is missing
    raise missing(__name__, "msgspec", "valkey-cache-serializers") from exc

__all__ = ["MsgSpecJsonSerializer", "MsgSpecMsgPackSerializer"]
