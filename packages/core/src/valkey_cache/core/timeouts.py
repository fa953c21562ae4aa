"""Timeout conventions shared by every client.

``DEFAULT_TIMEOUT`` means "the cache's default"; ``None`` means "never expire"; zero or
a negative number means "expire now" (the value is not stored). Positive numbers are
seconds and may be fractional: they are sent to the server in milliseconds.
"""

from __future__ import annotations

from typing import Any, Final


class _DefaultTimeout:
    __slots__ = ()

    def __repr__(self) -> str:
        return "DEFAULT_TIMEOUT"


DEFAULT_TIMEOUT: Final[Any] = _DefaultTimeout()


def to_milliseconds(timeout: float) -> int:
    """Seconds to whole milliseconds; any positive timeout is at least 1 ms."""
    ms = int(timeout * 1000)
    if ms <= 0 < timeout:
        return 1
    return ms
