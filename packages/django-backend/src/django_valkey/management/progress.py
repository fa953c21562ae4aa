"""A one-line progress bar on a stream (no dependency)."""

from __future__ import annotations

import time
from collections.abc import Callable

WIDTH = 24


class Progress:
    """Redraws ``label [####----] 42%  scanned 4,200/10,000  matched 17`` in place.

    Draws at most ten times a second, and nothing at all when ``enabled`` is false.
    """

    def __init__(self, write: Callable[[str], object], label: str, total: int, enabled: bool) -> None:
        self.write = write
        self.label = label
        self.total = max(total, 0)
        self.enabled = enabled
        self._last = 0.0
        self._drawn = False

    def update(self, scanned: int, matched: int, force: bool = False) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if not force and now - self._last < 0.1:
            return
        self._last = now
        self.write("\r" + self.line(scanned, matched))
        self._drawn = True

    def line(self, scanned: int, matched: int) -> str:
        if self.total:
            done = min(scanned / self.total, 1.0)
            filled = int(done * WIDTH)
            bar = f"[{'#' * filled}{'-' * (WIDTH - filled)}] {done:4.0%}"
            counts = f"scanned {scanned:,}/{self.total:,}"
        else:
            bar = ""
            counts = f"scanned {scanned:,}"
        return f"{self.label} {bar}  {counts}  matched {matched:,}"

    def finish(self, scanned: int, matched: int) -> None:
        if not self.enabled:
            return
        self.update(scanned, matched, force=True)
        self.write("\n")
