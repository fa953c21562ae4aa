"""Serializers for valkey-cache: JSON (stdlib), msgpack, msgspec (JSON and msgpack), orjson.

Third-party libraries are imported when a serializer is constructed, not when this
package is imported; a missing one raises ``MissingDependencyError`` with the pip line.
"""

from __future__ import annotations

from .json import JSONSerializer
from .msgpack import MSGPackSerializer
from .msgspec import MsgSpecJsonSerializer, MsgSpecMsgPackSerializer, MsgSpecMsgpackSerializer
from .orjson import OrjsonSerializer

__all__ = [
    "JSONSerializer",
    "MSGPackSerializer",
    "MsgSpecJsonSerializer",
    "MsgSpecMsgPackSerializer",
    "MsgSpecMsgpackSerializer",
    "OrjsonSerializer",
]
