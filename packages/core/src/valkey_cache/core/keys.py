"""Cache keys and glob patterns.

A key function is any callable ``(key, prefix, version) -> str``; the default one
builds ``prefix:version:key`` like Django's.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, TypeVar

KeyFunc = Callable[[Any, str, Any], str]

_GLOB_SPECIAL = re.compile(r"([*?[])")


class CacheKey(str):
    """A key that has already been through the key function; never transformed twice."""

    __slots__ = ()

    def original_key(self) -> str:
        return self.rsplit(":", 1)[1]


def default_key_func(key: Any, key_prefix: str, version: Any) -> str:
    return f"{key_prefix}:{version}:{key}"


def default_reverse_key(key: str) -> str:
    """Undo :func:`default_key_func`: ``"prefix:1:name"`` -> ``"name"``."""
    return key.split(":", 2)[2]


def glob_escape(text: str) -> str:
    """Escape ``*``, ``?`` and ``[`` so that SCAN/KEYS match them literally."""
    return _GLOB_SPECIAL.sub(r"[\1]", text)


_K = TypeVar("_K")


def make_key(key: _K, key_func: KeyFunc, version: Any = None, prefix: str | None = None) -> CacheKey | _K:
    """Build the stored key. Empty keys come back unchanged; a CacheKey is not rebuilt."""
    if not key or isinstance(key, CacheKey):
        return key
    return CacheKey(key_func(key, "" if prefix is None else prefix, 1 if version is None else version))


def make_pattern(
    pattern: _K, key_func: KeyFunc, version: Any = None, prefix: str | None = None
) -> CacheKey | _K:
    """Build a SCAN/KEYS glob: the pattern is kept, prefix and version are escaped."""
    if not pattern or isinstance(pattern, CacheKey):
        return pattern
    version_text = glob_escape(str(1 if version is None else version))
    return CacheKey(key_func(pattern, glob_escape(prefix or ""), version_text))
