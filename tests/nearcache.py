"""Helpers for near-cache tests: invalidations arrive asynchronously, on another connection."""

from __future__ import annotations

import itertools
import pickle
import time
from collections.abc import Callable
from typing import Any

import valkey

_MARKERS = itertools.count()


def wait_until(check: Callable[[], bool], what: str, timeout: float = 5.0) -> None:
    """Poll ``check``; fail naming ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.002)


def settle(cache: Any, raw: valkey.Valkey) -> None:
    """Wait until the pushes for every write made so far are applied, so none arrives
    late to drop a copy warmed afterwards. The server sends invalidations in the order
    of the writes: a marker read (so tracked) here, then written by ``raw``, is dropped
    only after all of them. ``cache`` is a sync core or Django cache with a near cache."""
    name = f"settle{next(_MARKERS)}"
    nkey = cache.make_key(name)
    held = cache.near_cache.store._entries
    wait_until(lambda: cache.get(name) is None and nkey in held, "the marker cached")
    raw.set(nkey, pickle.dumps(0))
    wait_until(lambda: nkey not in held, "the marker's invalidation")
