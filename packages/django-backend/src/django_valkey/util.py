"""Utilities for raw operations: the core's key and value functions.

``make_key(key=..., key_func=..., version=..., prefix=...)`` returns a
:class:`CacheKey` (a ``str``); ``make_pattern`` escapes glob characters in the prefix
and version; ``encode`` serializes then compresses, ``decode`` does the reverse.
"""

from __future__ import annotations

from valkey_cache.core.codec import decode, encode
from valkey_cache.core.keys import CacheKey, default_reverse_key, glob_escape, make_key, make_pattern

__all__ = ["CacheKey", "decode", "default_reverse_key", "encode", "glob_escape", "make_key", "make_pattern"]
