"""msgpack extension types for the common types msgpack lacks (shared by the msgpack
serializers). Codes, each followed by its payload:

====  ==============  ==================================================
code  type            payload
====  ==============  ==================================================
80    datetime        ``isoformat()``, UTF-8
81    date            ``isoformat()``, UTF-8
82    time            ``isoformat()``, UTF-8
83    timedelta       msgpack array ``[days, seconds, microseconds]``
84    Decimal         ``str(decimal)``, UTF-8
85    UUID            the 16 bytes
86    set             msgpack array of the members
87    frozenset       msgpack array of the members
88    tuple           msgpack array of the items (only inside sets)
====  ==============  ==================================================

Timestamps (the standard extension -1, as msgspec writes aware datetimes) are read as
aware UTC datetimes.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Callable
from decimal import Decimal
from typing import Any

DATETIME, DATE, TIME, TIMEDELTA, DECIMAL, UUID, SET, FROZENSET, TUPLE = range(80, 89)
CODES = frozenset(range(80, 89))

Pack = Callable[[Any], bytes]
Unpack = Callable[[bytes], Any]
MakeExt = Callable[[int, bytes], Any]


def encode(value: Any, pack: Pack, make_ext: MakeExt) -> tuple[int, bytes] | None:
    """``(code, payload)`` for ``value``, or None for types without an extension."""
    if isinstance(value, datetime.datetime):
        return DATETIME, value.isoformat().encode()
    if isinstance(value, datetime.date):
        return DATE, value.isoformat().encode()
    if isinstance(value, datetime.time):
        return TIME, value.isoformat().encode()
    if isinstance(value, datetime.timedelta):
        return TIMEDELTA, pack([value.days, value.seconds, value.microseconds])
    if isinstance(value, Decimal):
        return DECIMAL, str(value).encode()
    if isinstance(value, uuid.UUID):
        return UUID, value.bytes
    if isinstance(value, (set, frozenset)):
        code = FROZENSET if isinstance(value, frozenset) else SET
        return code, pack(_tuple_items(value, pack, make_ext))
    return None


def _tuple_items(items: Any, pack: Pack, make_ext: MakeExt) -> list[Any]:
    return [
        make_ext(TUPLE, pack(_tuple_items(x, pack, make_ext))) if isinstance(x, tuple) else x for x in items
    ]


def _timedelta(data: bytes, unpack: Unpack) -> datetime.timedelta:
    days, seconds, microseconds = unpack(data)
    return datetime.timedelta(days=days, seconds=seconds, microseconds=microseconds)


_DECODERS: dict[int, Callable[[bytes, Unpack], Any]] = {
    DATETIME: lambda d, u: datetime.datetime.fromisoformat(bytes(d).decode()),
    DATE: lambda d, u: datetime.date.fromisoformat(bytes(d).decode()),
    TIME: lambda d, u: datetime.time.fromisoformat(bytes(d).decode()),
    TIMEDELTA: _timedelta,
    DECIMAL: lambda d, u: Decimal(bytes(d).decode()),
    UUID: lambda d, u: uuid.UUID(bytes=bytes(d)),
    SET: lambda d, u: set(u(d)),
    FROZENSET: lambda d, u: frozenset(u(d)),
    TUPLE: lambda d, u: tuple(u(d)),
}


def decode(code: int, data: bytes, unpack: Unpack) -> Any:
    """The value of one of our extensions. ``code`` must be in :data:`CODES`."""
    return _DECODERS[code](data, unpack)
