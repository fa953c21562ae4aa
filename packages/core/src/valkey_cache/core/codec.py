"""Value encoding: serializer then compressor, with numbers stored as plain text.

Ints and floats (not bools, not subclasses) are written as their decimal text so that
server-side INCR/INCRBYFLOAT work on them and other clients can read them.
"""

from __future__ import annotations

from typing import Any, Protocol

from .exceptions import CompressorError


class Serializer(Protocol):
    def dumps(self, value: Any) -> bytes: ...

    def loads(self, value: bytes) -> Any: ...


class Compressor(Protocol):
    def compress(self, value: bytes) -> bytes: ...

    def decompress(self, value: bytes) -> bytes: ...


# First bytes of the text forms of int and float (including "inf", "-inf", "nan").
_NUMBER_START = frozenset(b"+-0123456789.inIN")


def encode(value: Any, serializer: Serializer, compressor: Compressor) -> bytes | int | float:
    value_type = type(value)
    if value_type is int or value_type is float:
        return value  # type: ignore[no-any-return]
    return compressor.compress(serializer.dumps(value))


def decode(value: bytes | int | float, serializer: Serializer, compressor: Compressor) -> Any:
    """Reverse :func:`encode`. Raises whatever the compressor or serializer raises."""
    if isinstance(value, (int, float)):
        return value
    if value and value[0] in _NUMBER_START:
        number = parse_number(value)
        if number is not None:
            return number
    try:
        value = compressor.decompress(value)
    except CompressorError:
        pass
    return serializer.loads(value)


def parse_number(value: bytes) -> int | float | None:
    """Return the int or float that ``value`` spells, or None. Negative ints stay ints."""
    try:
        return int(value)
    except ValueError:
        pass
    try:
        return float(value)
    except ValueError:
        return None
