"""Cache keys and glob patterns.

A key function is any callable ``(key, prefix, version) -> str``; the default one
builds ``prefix:version:key`` like Django's.

A key function that makes the default key and then only checks it (Django's backends
warn about keys memcached would reject) may say so with an attribute
``check_made_keys``: a callable taking a list of made keys. The core then makes such
keys itself, as for the default function, and hands them to it once per call: for a
batch, one call instead of one per key.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

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


def make_key(key: Any, key_func: KeyFunc, version: Any = None, prefix: str | None = None) -> CacheKey:
    """Build the stored key: every key goes through ``key_func``, whatever its value
    (``0``, ``""``, ``None``...), so that the prefix and version always apply. A
    :class:`CacheKey` is not rebuilt."""
    if isinstance(key, CacheKey):
        return key
    try:
        return CacheKey(key_func(key, "" if prefix is None else prefix, 1 if version is None else version))
    except TypeError as exc:
        raise key_error(key, key_func, exc) from exc


def make_keys(keys: Iterable[Any], key_func: KeyFunc, version: Any, prefix: str) -> list[str]:
    """:func:`make_key` for a batch with one prefix and version (``version`` not None).

    The keys made are plain ``str``: they go to the server and into log lines, never back
    through a key function, and wrapping each in :class:`CacheKey` would cost more than
    making it (0.3 µs a key)."""
    keys = keys if isinstance(keys, list) else list(keys)
    check = None if key_func is default_key_func else getattr(key_func, "check_made_keys", None)
    if check is not None or key_func is default_key_func:
        # Its format, joined per key: a plain str key (the usual one) costs one
        # concatenation, not a check and a call.
        head = f"{prefix}:{version}:"
        made = [head + k if type(k) is str else k if isinstance(k, CacheKey) else f"{head}{k}" for k in keys]
        if check is not None:
            check(made)
        return made
    try:
        return [k if isinstance(k, CacheKey) else key_func(k, prefix, version) for k in keys]
    except TypeError:
        # Name the key that failed: make them one by one.
        return [make_key(key, key_func, version, prefix) for key in keys]


def key_error(key: Any, key_func: KeyFunc, exc: TypeError) -> TypeError:
    """The error for a key that ``key_func`` cannot take: names the key and its type."""
    name = getattr(key_func, "__qualname__", None) or type(key_func).__name__
    return TypeError(f"cache key {key!r} ({type(key).__name__}) cannot be made by key function {name}: {exc}")


def make_pattern(pattern: Any, key_func: KeyFunc, version: Any = None, prefix: str | None = None) -> CacheKey:
    """Build a SCAN/KEYS glob: the pattern is kept, prefix and version are escaped."""
    if isinstance(pattern, CacheKey):
        return pattern
    version_text = glob_escape(str(1 if version is None else version))
    try:
        return CacheKey(key_func(pattern, glob_escape(prefix or ""), version_text))
    except TypeError as exc:
        raise key_error(pattern, key_func, exc) from exc
