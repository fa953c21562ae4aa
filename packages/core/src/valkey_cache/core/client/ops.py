"""Commands as generators, run by a sync or an async driver.

Each cache command is written once, as a generator that yields :class:`Op` (a valkey-py
call to make) and receives its result; ``drive_sync`` and ``drive_async`` perform the
calls on a blocking or an asyncio client. Errors from the server are thrown back into
the generator, so a command can recover (``incr`` beyond 64 bits does); connection
errors become :class:`ConnectionInterrupted` here, in one place.
"""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator, Callable, Generator, Iterator
from typing import Any, NamedTuple

from valkey.exceptions import ConnectionError as ValkeyConnectionError
from valkey.exceptions import ResponseError
from valkey.exceptions import TimeoutError as ValkeyTimeoutError

from ..exceptions import ConnectionInterrupted

CONNECTION_ERRORS: tuple[type[BaseException], ...] = (
    ValkeyConnectionError,
    ValkeyTimeoutError,
    socket.timeout,
    ConnectionError,
)

PIPELINE = "__pipeline__"


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


def _call_sync(conn: Any, op: Op) -> Any:
    if op.method == PIPELINE:
        ops, transaction = op.args
        pipe = conn.pipeline(transaction=transaction)
        for sub in ops:
            getattr(pipe, sub.method)(*sub.args, **sub.kwargs)
        return pipe.execute()
    return getattr(conn, op.method)(*op.args, **op.kwargs)


async def _call_async(conn: Any, op: Op) -> Any:
    if op.method == PIPELINE:
        ops, transaction = op.args
        pipe = conn.pipeline(transaction=transaction)
        for sub in ops:
            getattr(pipe, sub.method)(*sub.args, **sub.kwargs)
        return await pipe.execute()
    result = getattr(conn, op.method)(*op.args, **op.kwargs)
    return await result if op.io else result


def drive_sync(gen: Logic, connect: Connect, conn: Any = None) -> Any:
    """Run a command generator to its return value on a blocking client."""
    fixed = conn is not None
    try:
        op = next(gen)
        while True:
            if not fixed:
                conn = connect(op)
            try:
                result = _call_sync(conn, op)
            except ResponseError as exc:
                op = gen.throw(exc)
                continue
            op = gen.send(result)
    except StopIteration as stop:
        return stop.value
    except CONNECTION_ERRORS as exc:
        raise ConnectionInterrupted(connection=conn) from exc


async def drive_async(gen: Logic, connect: Callable[[Op], Any], conn: Any = None) -> Any:
    """Run a command generator on an asyncio client; ``connect`` is a coroutine function."""
    fixed = conn is not None
    try:
        op = next(gen)
        while True:
            if not fixed:
                conn = await connect(op)
            try:
                result = await _call_async(conn, op)
            except ResponseError as exc:
                op = gen.throw(exc)
                continue
            op = gen.send(result)
    except StopIteration as stop:
        return stop.value
    except CONNECTION_ERRORS as exc:
        raise ConnectionInterrupted(connection=conn) from exc


def iterate_sync(gen: Logic, connect: Connect, conn: Any = None) -> Iterator[Any]:
    """Run an iterator command: yields what it emits, performs what it asks."""
    fixed = conn is not None
    send: Any = None
    try:
        while True:
            try:
                item = gen.send(send)
            except StopIteration:
                return
            if isinstance(item, Emit):
                send = None
                yield item.value
                continue
            if not fixed:
                conn = connect(item)
            send = _call_sync(conn, item)
    except CONNECTION_ERRORS as exc:
        raise ConnectionInterrupted(connection=conn) from exc


async def iterate_async(gen: Logic, connect: Callable[[Op], Any], conn: Any = None) -> AsyncIterator[Any]:
    fixed = conn is not None
    send: Any = None
    try:
        while True:
            try:
                item = gen.send(send)
            except StopIteration:
                return
            if isinstance(item, Emit):
                send = None
                yield item.value
                continue
            if not fixed:
                conn = await connect(item)
            send = await _call_async(conn, item)
    except CONNECTION_ERRORS as exc:
        raise ConnectionInterrupted(connection=conn) from exc
