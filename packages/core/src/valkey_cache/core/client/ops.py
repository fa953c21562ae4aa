"""Commands as generators, run by a sync or an async driver.

Each cache command is written once, as a generator that yields :class:`Op` (a valkey-py
call to make) and receives its result; ``drive_sync`` and ``drive_async`` perform the
calls on a blocking or an asyncio client. Errors from the server are thrown back into
the generator, so a command can recover (``incr`` beyond 64 bits does); connection
errors become :class:`ConnectionInterrupted` here, in one place, and are thrown into the
generator too, so a command spread over several servers may carry on without one (the
shard and cluster clients do under ``IGNORE_EXCEPTIONS``); uncaught, they reach the caller.
"""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator, Callable, Generator, Iterator
from types import CoroutineType
from typing import Any, NamedTuple, NoReturn

from valkey.exceptions import ClusterError, ResponseError, SlotNotCoveredError, ValkeyClusterException
from valkey.exceptions import ConnectionError as ValkeyConnectionError
from valkey.exceptions import TimeoutError as ValkeyTimeoutError

from ..exceptions import ConnectionInterrupted

CONNECTION_ERRORS: tuple[type[BaseException], ...] = (
    ValkeyConnectionError,
    ValkeyTimeoutError,
    socket.timeout,
    ConnectionError,
    # A cluster that is failing over, or has a slot no node serves, is down too.
    ClusterError,
    SlotNotCoveredError,
)

PIPELINE = "__pipeline__"
BATCH = "__batch__"
_SPECIAL = frozenset({PIPELINE, BATCH})


class Op(NamedTuple):
    method: str
    args: tuple[Any, ...]
    kwargs: dict[str, Any]
    write: bool
    route: Any = None
    io: bool = True


class Emit(NamedTuple):
    """Yielded by iterator commands: a value for the caller, not a call to make."""

    value: Any


def read(method: str, route: Any, /, *args: Any, **kwargs: Any) -> Op:
    return Op(method, args, kwargs, False, route)


def write(method: str, route: Any, /, *args: Any, **kwargs: Any) -> Op:
    return Op(method, args, kwargs, True, route)


def pipeline(ops: list[Op], *, write: bool = True, route: Any = None, transaction: bool = False) -> Op:
    """One round trip for several calls; the result is the list of their results."""
    return Op(PIPELINE, (ops, transaction), {}, write, route)


def local(method: str, route: Any, /, *args: Any, **kwargs: Any) -> Op:
    """A call that does no I/O (e.g. creating a lock object), not awaited on asyncio."""
    return Op(method, args, kwargs, True, route, False)


Logic = Generator[Any, Any, Any]
Connect = Callable[[Op], Any]


def batch(method: str, route: Any, argsets: list[tuple[Any, ...]], /, **kwargs: Any) -> Op:
    """One round trip of the same write command for each argument tuple (e.g. SET PX)."""
    return Op(BATCH, (method, argsets), kwargs, True, route)


def _call_sync(conn: Any, op: Op) -> Any:
    if op.method == BATCH:
        method, argsets = op.args
        pipe = conn.pipeline(transaction=False)
        command = getattr(pipe, method)
        for args in argsets:
            command(*args, **op.kwargs)
        return pipe.execute()
    if op.method == PIPELINE:
        ops, transaction = op.args
        pipe = conn.pipeline(transaction=transaction)
        for sub in ops:
            getattr(pipe, sub.method)(*sub.args, **sub.kwargs)
        return pipe.execute()
    return getattr(conn, op.method)(*op.args, **op.kwargs)


async def _call_async(conn: Any, op: Op) -> Any:
    if op.method == BATCH:
        method, argsets = op.args
        pipe = conn.pipeline(transaction=False)
        command = getattr(pipe, method)
        for args in argsets:
            command(*args, **op.kwargs)
        return await pipe.execute()
    if op.method == PIPELINE:
        ops, transaction = op.args
        pipe = conn.pipeline(transaction=transaction)
        for sub in ops:
            getattr(pipe, sub.method)(*sub.args, **sub.kwargs)
        return await pipe.execute()
    result = getattr(conn, op.method)(*op.args, **op.kwargs)
    return await result if op.io else result


def is_outage(exc: BaseException) -> bool:
    """Whether ``exc`` means the server, or the whole cluster, cannot be reached now."""
    if isinstance(exc, CONNECTION_ERRORS):
        return True
    # valkey-py's cluster client says "no node reachable" with a ValkeyClusterException
    # raised from the connection error.
    return isinstance(exc, ValkeyClusterException) and isinstance(exc.__cause__, CONNECTION_ERRORS)


def raise_outage(exc: Exception, conn: Any) -> NoReturn:
    """Re-raise ``exc``; a connection failure as :class:`ConnectionInterrupted` naming ``conn``."""
    if isinstance(exc, ConnectionInterrupted) or not is_outage(exc):
        raise exc
    raise ConnectionInterrupted(connection=conn) from exc


def _thrown(conn: Any, exc: Exception) -> Exception:
    """What to throw into the generator for a failed call; re-raises anything else."""
    if is_outage(exc):
        error = ConnectionInterrupted(connection=conn)
        error.__cause__ = exc
        return error
    if isinstance(exc, ResponseError):
        return exc
    raise exc


def drive_sync(gen: Logic, connect: Connect, conn: Any = None) -> Any:
    """Run a command generator to its return value on a blocking client."""
    fixed = conn is not None
    try:
        op = next(gen)
        while True:
            if not fixed:
                conn = connect(op)
            try:
                if op.method not in _SPECIAL:
                    result = getattr(conn, op.method)(*op.args, **op.kwargs)
                else:
                    result = _call_sync(conn, op)
            except Exception as exc:
                op = gen.throw(_thrown(conn, exc))
                continue
            op = gen.send(result)
    except StopIteration as stop:
        return stop.value
    except Exception as exc:
        raise_outage(exc, conn)


async def drive_async(gen: Logic, connect: Callable[[Op], Any], conn: Any = None) -> Any:
    """Run a command generator on an asyncio client.

    ``connect(op)`` returns the client, or a coroutine that gives it (awaited only then,
    so the usual case, a client already connected on this loop, costs no coroutine).
    """
    fixed = conn is not None
    try:
        op = next(gen)
        while True:
            if not fixed:
                conn = connect(op)
                if type(conn) is CoroutineType:
                    conn = await conn
            try:
                if op.method not in _SPECIAL:
                    result = getattr(conn, op.method)(*op.args, **op.kwargs)
                    if op.io:
                        result = await result
                else:
                    result = await _call_async(conn, op)
            except Exception as exc:
                op = gen.throw(_thrown(conn, exc))
                continue
            op = gen.send(result)
    except StopIteration as stop:
        return stop.value
    except Exception as exc:
        raise_outage(exc, conn)


def iterate_sync(gen: Logic, connect: Connect, conn: Any = None) -> Iterator[Any]:
    """Run an iterator command: yields what it emits, performs what it asks."""
    fixed = conn is not None
    send: Any = None
    error: Exception | None = None
    try:
        while True:
            try:
                item = gen.send(send) if error is None else gen.throw(error)
            except StopIteration:
                return
            error = None
            if isinstance(item, Emit):
                send = None
                yield item.value
                continue
            if not fixed:
                conn = connect(item)
            try:
                send = _call_sync(conn, item)
            except Exception as exc:
                error = _thrown(conn, exc)
    except Exception as exc:
        raise_outage(exc, conn)


async def iterate_async(gen: Logic, connect: Callable[[Op], Any], conn: Any = None) -> AsyncIterator[Any]:
    fixed = conn is not None
    send: Any = None
    error: Exception | None = None
    try:
        while True:
            try:
                item = gen.send(send) if error is None else gen.throw(error)
            except StopIteration:
                return
            error = None
            if isinstance(item, Emit):
                send = None
                yield item.value
                continue
            if not fixed:
                conn = connect(item)
                if type(conn) is CoroutineType:
                    conn = await conn
            try:
                send = await _call_async(conn, item)
            except Exception as exc:
                error = _thrown(conn, exc)
    except Exception as exc:
        raise_outage(exc, conn)
