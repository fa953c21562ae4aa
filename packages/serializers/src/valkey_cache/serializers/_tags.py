"""The tagged JSON encoding of types JSON lacks, shared by the JSON serializers.

A tagged value is an object with the single key ``"$vc"`` whose value is
``[tag, payload]``:

=============  ==========================================  ===========================
tag            payload                                     Python type
=============  ==========================================  ===========================
``datetime``   ``datetime.isoformat()``                    ``datetime.datetime``
``date``       ``date.isoformat()``                        ``datetime.date``
``time``       ``time.isoformat()``                        ``datetime.time``
``timedelta``  ``[days, seconds, microseconds]``           ``datetime.timedelta``
``decimal``    ``str(decimal)``                            ``decimal.Decimal``
``uuid``       ``str(uuid)`` (hyphenated hex)              ``uuid.UUID``
``bytes``      standard base64                             ``bytes``
``bytearray``  standard base64                             ``bytearray``
``set``        list of the members                         ``set``
``frozenset``  list of the members                         ``frozenset``
``tuple``      list of the items (only inside sets)        ``tuple``
``dict``       list of ``[key, value]`` pairs              ``dict`` (see below)
=============  ==========================================  ===========================

A dict of the caller's whose keys include ``"$vc"`` is written as a ``dict`` tag, so
no stored object is ever mistaken for a tag. An object that looks like a tag but does
not decode (unknown tag, bad payload) is returned unchanged.
"""

from __future__ import annotations

import base64
import datetime
import uuid
from collections.abc import Callable
from decimal import Decimal
from typing import Any

TAG = "$vc"
#: What a tag key looks like in encoded output (any JSON key/value separator).
TAG_BYTES = b'"$vc"'
_NOT_TAGGED: Any = object()


def _tuple_items(items: Any) -> list[Any]:
    return [{TAG: ["tuple", _tuple_items(x)]} if isinstance(x, tuple) else x for x in items]


def encode(value: Any) -> Any:
    """The tagged form of ``value``, or ``NOT_TAGGED`` for types this does not handle."""
    if isinstance(value, datetime.datetime):
        return {TAG: ["datetime", value.isoformat()]}
    if isinstance(value, datetime.date):
        return {TAG: ["date", value.isoformat()]}
    if isinstance(value, datetime.time):
        return {TAG: ["time", value.isoformat()]}
    if isinstance(value, datetime.timedelta):
        return {TAG: ["timedelta", [value.days, value.seconds, value.microseconds]]}
    if isinstance(value, Decimal):
        return {TAG: ["decimal", str(value)]}
    if isinstance(value, uuid.UUID):
        return {TAG: ["uuid", str(value)]}
    if isinstance(value, bytes):
        return {TAG: ["bytes", base64.b64encode(value).decode("ascii")]}
    if isinstance(value, bytearray):
        return {TAG: ["bytearray", base64.b64encode(value).decode("ascii")]}
    if isinstance(value, frozenset):
        return {TAG: ["frozenset", _tuple_items(value)]}
    if isinstance(value, set):
        return {TAG: ["set", _tuple_items(value)]}
    return _NOT_TAGGED


NOT_TAGGED = _NOT_TAGGED


def escape(value: Any) -> Any:
    """Copy of ``value`` in which every dict with a ``"$vc"`` key is a ``dict`` tag."""
    if isinstance(value, dict):
        if TAG in value:
            return {TAG: ["dict", [[k, escape(v)] for k, v in value.items()]]}
        return {k: escape(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [escape(item) for item in value]
    return value


def _timedelta(payload: Any) -> datetime.timedelta:
    days, seconds, microseconds = payload
    return datetime.timedelta(days=days, seconds=seconds, microseconds=microseconds)


def _dict(payload: Any) -> dict[Any, Any]:
    return dict(payload)


_DECODERS: dict[str, Callable[[Any], Any]] = {
    "datetime": datetime.datetime.fromisoformat,
    "date": datetime.date.fromisoformat,
    "time": datetime.time.fromisoformat,
    "timedelta": _timedelta,
    "decimal": Decimal,
    "uuid": uuid.UUID,
    "bytes": lambda p: base64.b64decode(p, validate=True),
    "bytearray": lambda p: bytearray(base64.b64decode(p, validate=True)),
    "set": set,
    "frozenset": frozenset,
    "tuple": tuple,
    "dict": _dict,
}


def decode(obj: dict[str, Any]) -> Any:
    """``object_hook`` turning a tag back into its value; other dicts pass through."""
    if len(obj) != 1 or TAG not in obj:
        return obj
    tagged = obj[TAG]
    if not isinstance(tagged, list) or len(tagged) != 2:
        return obj
    decoder = _DECODERS.get(tagged[0]) if isinstance(tagged[0], str) else None
    if decoder is None:
        return obj
    try:
        return decoder(tagged[1])
    except (TypeError, ValueError, ArithmeticError):
        return obj


def decode_tree(value: Any) -> Any:
    """Apply :func:`decode` to every dict of a freshly parsed document, innermost first.

    The document is changed in place (it belongs to the caller who just parsed it).
    """
    if type(value) is dict:
        for key, item in value.items():
            kind = type(item)
            if kind is dict or kind is list:
                value[key] = decode_tree(item)
        return decode(value) if TAG in value else value
    if type(value) is list:
        for index, item in enumerate(value):
            kind = type(item)
            if kind is dict or kind is list:
                value[index] = decode_tree(item)
    return value
