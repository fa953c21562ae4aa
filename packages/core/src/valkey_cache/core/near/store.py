"""The local layer: encoded values by stored key, LRU, bounded by entries and bytes.

Coherence rests on in-flight markers. A read that may fill an entry first takes a
marker for its key (:meth:`NearStore.begin`); an invalidation of the key, a flush, or
the loss of the invalidation channel cancels it; the reply is stored only if its marker
survived (:meth:`NearStore.fill`). So a reply that raced an invalidation is dropped,
whichever of the two the process saw first.

One ``threading.Lock`` guards everything; it is never held during I/O or while calling
out, so threads, event loops and the listener thread share the store safely.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Iterable
from typing import Any

#: Bytes counted per entry on top of its key and value.
ENTRY_OVERHEAD = 64


class Entry:
    """One local copy: the encoded value (None for a looked-up miss) and when it expires."""

    __slots__ = ("expires", "raw", "size")

    def __init__(self, raw: bytes | None, expires: float, size: int) -> None:
        self.raw = raw
        self.expires = expires
        self.size = size


class Marker:
    """An in-flight read of one key, taken before it is sent."""

    __slots__ = ("epoch",)

    def __init__(self, epoch: int) -> None:
        self.epoch = epoch


class NearStore:
    """Local copies and their counters; ``active`` is False while tracking is not in place."""

    def __init__(self, max_entries: int, max_bytes: int, ttl: float) -> None:
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self.ttl = ttl
        self._reset()

    def _reset(self) -> None:
        self._lock = threading.Lock()
        self._entries: OrderedDict[str, Entry] = OrderedDict()
        self._pending: dict[str, Marker] = {}
        self._bytes = 0
        self.active = False
        self.epoch = 0
        self.hits = self.misses = self.invalidations = self.evictions = 0

    def after_fork(self) -> None:
        """In a forked child: start empty and inactive, with a new lock."""
        self._reset()

    # -- reads ------------------------------------------------------------------------------

    def lookup(self, key: str) -> Entry | None:
        """The valid entry for ``key`` (counted as a hit), or None (counted as a miss)."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                if entry.expires > time.monotonic():
                    self._entries.move_to_end(key)
                    self.hits += 1
                    return entry
                self._remove(key, entry)
            self.misses += 1
            return None

    def begin(self, key: str) -> Marker | None:
        """A marker for a read of ``key`` about to be sent; None while inactive."""
        with self._lock:
            if not self.active:
                return None
            marker = self._pending[key] = Marker(self.epoch)
            return marker

    def fill(self, key: str, marker: Marker | None, raw: bytes | None, server_ttl_ms: int) -> None:
        """Keep ``raw`` for ``key`` if ``marker`` survived; ``server_ttl_ms`` is the key's
        PTTL (negative: no expiry or absent), which bounds the local TTL."""
        if marker is None:
            return
        ttl = self.ttl if server_ttl_ms < 0 else min(self.ttl, server_ttl_ms / 1000)
        size = ENTRY_OVERHEAD + len(key) + (0 if raw is None else len(raw))
        with self._lock:
            if self._pending.get(key) is not marker:
                return
            del self._pending[key]
            if not self.active or marker.epoch != self.epoch or ttl <= 0 or size > self.max_bytes:
                return
            old = self._entries.pop(key, None)
            if old is not None:
                self._bytes -= old.size
            self._entries[key] = Entry(raw, time.monotonic() + ttl, size)
            self._bytes += size
            while len(self._entries) > self.max_entries or self._bytes > self.max_bytes:
                _, evicted = self._entries.popitem(last=False)
                self._bytes -= evicted.size
                self.evictions += 1

    def abort(self, key: str, marker: Marker | None) -> None:
        """Forget ``marker`` after its read failed."""
        if marker is None:
            return
        with self._lock:
            if self._pending.get(key) is marker:
                del self._pending[key]

    # -- invalidation -----------------------------------------------------------------------

    def invalidate(self, keys: Iterable[str]) -> None:
        """Drop the copies of ``keys`` and cancel reads of them in flight."""
        with self._lock:
            pending, entries = self._pending, self._entries
            for key in keys:
                pending.pop(key, None)
                entry = entries.pop(key, None)
                if entry is not None:
                    self._bytes -= entry.size
                    self.invalidations += 1

    def drop(self, key: str) -> None:
        """Drop one key's copy and cancel its reads in flight (a write through this cache)."""
        with self._lock:
            self._pending.pop(key, None)
            entry = self._entries.pop(key, None)
            if entry is not None:
                self._bytes -= entry.size

    def flush(self) -> None:
        """Drop everything and cancel every read in flight."""
        with self._lock:
            self._flush()

    def _flush(self) -> None:
        self.epoch += 1
        self.invalidations += len(self._entries)
        self._entries.clear()
        self._pending.clear()
        self._bytes = 0

    def set_active(self, active: bool) -> None:
        """Start or stop serving: either way every copy and marker is dropped."""
        with self._lock:
            self._flush()
            self.active = active

    def _remove(self, key: str, entry: Entry) -> None:
        del self._entries[key]
        self._bytes -= entry.size

    def stats(self) -> dict[str, Any]:
        """Counters and sizes: hits, misses, invalidations, evictions, entries, bytes, active."""
        with self._lock:
            return {
                "hits": self.hits,
                "misses": self.misses,
                "invalidations": self.invalidations,
                "evictions": self.evictions,
                "entries": len(self._entries),
                "bytes": self._bytes,
                "active": self.active,
            }
