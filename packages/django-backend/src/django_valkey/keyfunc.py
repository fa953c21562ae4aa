"""Key functions that warn about keys memcached would reject, as Django's backends do."""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable
from typing import Any

from django.core.cache.backends.base import (
    MEMCACHE_MAX_KEY_LENGTH,
    CacheKeyWarning,
    default_key_func,
    memcache_key_warnings,
)

KeyFunc = Callable[[Any, str, Any], str]

_MEMCACHE_BAD_CHARS = re.compile(r"[\x00-\x20\x7f]")


def _memcache_unsafe(made: str, search: Callable[[str], Any] = _MEMCACHE_BAD_CHARS.search) -> bool:
    """Whether Django would warn about ``made``: too long, or holding a space or a control
    character. ``isprintable`` answers for most keys in C; only the others are searched."""
    if len(made) > MEMCACHE_MAX_KEY_LENGTH:
        return True
    if made.isprintable() and " " not in made:
        return False
    return search(made) is not None


def check_made_keys(made: list[str]) -> None:
    """Django's key check for keys the core made in the default format: one test in C
    for the usual case (every key printable, without a space, short enough), then key
    by key only when that fails."""
    if len(made) == 1:
        key = made[0]
        if len(key) <= MEMCACHE_MAX_KEY_LENGTH and key.isprintable() and " " not in key:
            return
    elif made:
        joined = "".join(made)
        if joined.isprintable() and " " not in joined and max(map(len, made)) <= MEMCACHE_MAX_KEY_LENGTH:
            return
    for key in made:
        if _memcache_unsafe(key):
            warn_memcache_unsafe(key)


def warn_memcache_unsafe(key: str) -> None:
    """Emit Django's ``CacheKeyWarning`` messages for ``key``."""
    for message in memcache_key_warnings(key):
        warnings.warn(message, CacheKeyWarning, stacklevel=4)


def validating(key_func: KeyFunc, validate: Callable[[Any], None] | None) -> KeyFunc:
    """``key_func`` that also validates the key it makes.

    ``validate`` is a cache's own ``validate_key`` when a subclass overrides it; None
    means Django's check, done here with a cheap test first.
    """
    if validate is None and key_func is default_key_func:
        # Django's default with the check. The core makes a str key itself and only
        # calls check_made_keys (core.keys); this runs for other keys (ints...).
        def make(key: Any, key_prefix: str, version: Any) -> str:
            made = "%s:%s:%s" % (key_prefix, version, key)  # noqa: UP031  (Django's format)
            check_made_keys([made])
            return made

        make.check_made_keys = check_made_keys  # type: ignore[attr-defined]

    elif validate is None:

        def make(key: Any, key_prefix: str, version: Any) -> str:
            made = key_func(key, key_prefix, version)
            if isinstance(made, str) and _memcache_unsafe(made):
                warn_memcache_unsafe(made)
            return made

    else:

        def make(key: Any, key_prefix: str, version: Any) -> str:
            made = key_func(key, key_prefix, version)
            validate(made)
            return made

    make.__wrapped__ = key_func  # type: ignore[attr-defined]
    make.__name__ = make.__qualname__ = getattr(key_func, "__name__", "key_func")
    return make
