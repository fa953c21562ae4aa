"""Closing asyncio connections from Django's synchronous ``close()``.

Django closes caches at ``request_finished`` by calling the sync ``cache.close()``;
under ASGI that runs in a worker thread while the event loop that owns the async
connections waits for it. The close is therefore scheduled on each loop that holds
connections of the client: a task when ``close()`` runs inside that loop, a threadsafe
call otherwise. Nothing is left un-awaited, and loops that are closed or not running
are skipped (their connections go with them).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
from collections.abc import Awaitable, Generator
from typing import Any

logger = logging.getLogger("django_valkey")

# Strong references to scheduled closes until they finish.
_PENDING: set[Any] = set()


class Done:
    """An already finished awaitable: ``await cache.close()`` works, dropping it is fine."""

    __slots__ = ()

    def __await__(self) -> Generator[Any, None, None]:
        return
        yield


DONE = Done()


def close_async_soon(client: Any) -> Awaitable[None]:
    """Schedule ``client.close()`` on every running loop where ``client`` has connections.

    Returns the task when the current thread runs one of those loops, else :data:`DONE`.
    """
    loops = _loops_with_connections(client)
    if not loops:
        return DONE
    try:
        running: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
    except RuntimeError:
        running = None
    result: Awaitable[None] = DONE
    for loop in loops:
        if loop is running:
            task = loop.create_task(client.close())
            _track(task)
            result = task
        elif loop.is_running() and not loop.is_closed():
            _track(asyncio.run_coroutine_threadsafe(client.close(), loop))
    return result


def _loops_with_connections(client: Any) -> list[asyncio.AbstractEventLoop]:
    # Not vars(client): on CPython 3.11 that would slow every later attribute read.
    by_loop = getattr(client, "_clients_by_loop", None)
    if by_loop is None:
        return []
    return [loop for loop, clients in by_loop.items() if any(c is not None for c in clients)]


def _track(future: asyncio.Future[Any] | concurrent.futures.Future[Any]) -> None:
    _PENDING.add(future)
    future.add_done_callback(_finished)


def _finished(future: Any) -> None:
    _PENDING.discard(future)
    if future.cancelled():
        return
    exc = future.exception()
    if exc is not None:
        logger.warning("django-valkey: closing async connections failed: %s", exc)
