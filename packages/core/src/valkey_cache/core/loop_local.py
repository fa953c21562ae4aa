"""State kept per asyncio event loop, closed and dropped when its loop ends.

asyncio connections belong to the loop that opened them, so pools, clients and sentinel
managers are kept per loop. A ``WeakKeyDictionary`` keyed by the loop cannot drop them:
the connections in the value refer to their loop, so the loop never dies, and a program
that calls ``asyncio.run`` for each job (a Celery task, a CLI command) would keep every
loop and leave one server connection open per run. Here each value is watched by an
async generator registered with its loop: ``asyncio.run`` (through
``loop.shutdown_asyncgens``) closes it before closing the loop, which awaits the value's
``close`` and forgets it. A loop closed without that step is forgotten the next time
another loop asks for its value.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncGenerator, Awaitable, Callable
from threading import get_ident
from typing import Generic, TypeVar

T = TypeVar("T")

logger = logging.getLogger("valkey_cache")


class LoopLocal(Generic[T]):
    """One ``factory()`` value per running event loop."""

    def __init__(self, factory: Callable[[], T], close: Callable[[T], Awaitable[None]] | None = None) -> None:
        self._factory = factory
        self._close = close
        self._values: dict[asyncio.AbstractEventLoop, tuple[T, AsyncGenerator[None, None]]] = {}
        # The last loop asked for and its value: the usual case is one loop, asked often.
        # Only a loop with ``_thread_id`` (asyncio's own) is kept here: the rewritten
        # command methods (``drivers/inline.py``) read it without a call.
        self._last: tuple[asyncio.AbstractEventLoop, T] | None = None

    def get(self) -> T:
        """The running loop's value, made on first use. Call from a coroutine."""
        last = self._last
        # A thread runs one loop at a time: the loop asked for last, if it is running in
        # this thread, is the running loop. That spares ``get_running_loop``, whose check
        # of the process id is a system call (on Python 3.11, about 0.2 µs a call here).
        if last is not None and last[0]._thread_id == get_ident():  # type: ignore[attr-defined]
            return last[1]
        loop = asyncio.get_running_loop()
        entry = self._values.get(loop)
        if entry is None:
            self._forget_closed()
            value = self._factory()
            self._values[loop] = (value, self._watch(loop))
        else:
            value = entry[0]
        if hasattr(loop, "_thread_id"):
            self._last = (loop, value)
        return value

    def find(self, loop: asyncio.AbstractEventLoop) -> T | None:
        entry = self._values.get(loop)
        return None if entry is None else entry[0]

    def items(self) -> list[tuple[asyncio.AbstractEventLoop, T]]:
        """(loop, value) for the loops that are not closed."""
        return [(loop, entry[0]) for loop, entry in list(self._values.items()) if not loop.is_closed()]

    def _watch(self, loop: asyncio.AbstractEventLoop) -> AsyncGenerator[None, None]:
        guard = self._guard(loop)
        try:  # run it to its ``yield`` now: the loop registers it on this first step
            guard.asend(None).send(None)
        except StopIteration:
            pass
        return guard

    async def _guard(self, loop: asyncio.AbstractEventLoop) -> AsyncGenerator[None, None]:
        try:
            yield
        finally:
            entry = self._values.pop(loop, None)
            last = self._last
            if last is not None and last[0] is loop:
                self._last = None
            if entry is not None and self._close is not None and not loop.is_closed():
                try:
                    await self._close(entry[0])
                except Exception as exc:  # the loop is ending: report, do not raise
                    logger.debug("valkey-cache: closing connections at loop shutdown: %s", exc)

    def _forget_closed(self) -> None:
        for loop in [loop for loop in self._values if loop.is_closed()]:
            _, guard = self._values.pop(loop)
            try:  # finish the guard here: its loop cannot run it any more
                guard.aclose().send(None)
            except (StopIteration, RuntimeError):
                pass
        last = self._last
        if last is not None and last[0].is_closed():
            self._last = None
