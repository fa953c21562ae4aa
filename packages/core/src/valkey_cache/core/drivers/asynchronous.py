"""The asyncio driver: :mod:`.sync`'s rules, awaiting ``valkey.asyncio``.

``client._connection_for(op)`` returns the connection, or a coroutine giving it (awaited
only then, so the usual case, a client already connected on this loop, costs none).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from types import CoroutineType, GeneratorType
from typing import Any, TypeVar

from valkey.exceptions import ReadOnlyError, ResponseError

from ..commands.declare import Command, make_function
from ..commands.ops import BATCH, PIPELINE, SPECIAL, Emit, Logic, Op, Step
from ..exceptions import ConnectionInterrupted, ServerRefused
from .errors import adrop_pool, classify, raise_outage
from .sync import connection

R = TypeVar("R")


async def call(conn: Any, op: Op[Any]) -> Any:
    """The raw reply of ``op`` on ``conn``."""
    method = op.method
    if method not in SPECIAL:
        result = getattr(conn, method)(*op.args, **op.kwargs)
        return await result if op.io else result
    if method == BATCH:
        name, argsets = op.args
        pipe = conn.pipeline(transaction=False)
        command = getattr(pipe, name)
        for args in argsets:
            command(*args, **op.kwargs)
        return await pipe.execute()
    assert method == PIPELINE
    ops, transaction = op.args
    pipe = conn.pipeline(transaction=transaction)
    for sub in ops:
        getattr(pipe, sub.method)(*sub.args, **sub.kwargs)
    return await pipe.execute()


async def perform(client: Any, op: Op[R], fixed: Any = None) -> R:
    """:func:`.sync.perform` on an asyncio client."""
    try:
        conn = client._connection_for(op) if fixed is None else connection(client, op, fixed)
        if type(conn) is CoroutineType:
            conn = await conn
    except Exception as exc:
        raise_outage(exc, None, op)
    try:
        if op.method in SPECIAL or not op.io:
            reply = await call(conn, op)
        else:
            reply = await getattr(conn, op.method)(*op.args, **op.kwargs)
    except ReadOnlyError as exc:
        if not await adrop_pool(conn):
            return await _failed(client, op, fixed, conn, exc)  # type: ignore[no-any-return]
        try:
            reply = await call(conn, op)
        except Exception as again:
            return await _failed(client, op, fixed, conn, again)  # type: ignore[no-any-return]
    except Exception as exc:
        return await _failed(client, op, fixed, conn, exc)  # type: ignore[no-any-return]
    finish = op.finish
    return reply if finish is None else finish(reply, *op.finish_args)  # type: ignore[no-any-return]


async def _failed(client: Any, op: Op[Any], fixed: Any, conn: Any, exc: Exception) -> Any:
    error = classify(conn, exc, op)
    if op.recover is not None and not isinstance(error, ConnectionInterrupted):
        return await run(op.recover(error, *op.recover_args), client, fixed)
    raise error from exc


async def run(step: Step[R], client: Any, fixed: Any = None, how: Callable[..., Any] = perform) -> R:
    """Run a command (one op, or a generator of them) to its result; ``how`` performs
    each op (see :func:`.sync.run`)."""
    if isinstance(step, Op):
        return await how(client, step, fixed)  # type: ignore[no-any-return]
    gen: Logic[R] = step
    try:
        op = next(gen)
        while True:
            try:
                result = await how(client, op, fixed)
            except ServerRefused:
                raise
            except (ConnectionInterrupted, ResponseError) as error:
                op = gen.throw(error)
                continue
            op = gen.send(result)
    except StopIteration as stop:
        return stop.value  # type: ignore[no-any-return]


async def iterate(gen: Logic[None], client: Any, fixed: Any = None) -> AsyncIterator[Any]:
    """Run an iterator command: yields what it emits, performs what it asks."""
    send: Any = None
    error: Exception | None = None
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
        try:
            send = await perform(client, item, fixed)
        except ServerRefused:
            raise
        except (ConnectionInterrupted, ResponseError) as exc:
            error = exc


def methods(declaration: Command[Any, Any]) -> list[tuple[str, Callable[..., Any]]]:
    """The asyncio client's method for ``declaration``: a coroutine running the command."""
    if declaration.iterator:
        body = "return _iterate(_logic(self, {args}), self, {fixed})"
        is_async = False
    else:
        body = (
            "step = _logic(self, {args})\n"
            "if type(step) is not _Generator:\n"
            "    return await _perform(self, step, {fixed})\n"
            "return await _run(step, self, {fixed})"
        )
        is_async = True
    scope = {
        "_logic": declaration.logic,
        "_Generator": GeneratorType,
        "_perform": perform,
        "_run": run,
        "_iterate": iterate,
    }
    return [(declaration.name, make_function(declaration, declaration.name, body, scope, is_async=is_async))]
