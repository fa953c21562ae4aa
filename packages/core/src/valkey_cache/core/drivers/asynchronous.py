"""The asyncio driver: :mod:`.sync`'s rules, awaiting ``valkey.asyncio``.

``client._connection_for(op)`` returns the connection, or a coroutine giving it (awaited
only then, so the usual case, a client already connected on this loop, costs none).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from textwrap import indent
from types import CoroutineType, GeneratorType
from typing import Any, TypeVar

from valkey.exceptions import ReadOnlyError, ResponseError

from ..commands.declare import Command, define_function, make_function
from ..commands.ops import BATCH, PIPELINE, SPECIAL, Emit, Logic, Op, Step
from ..exceptions import ConnectionInterrupted, ServerRefused
from . import inline
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


#: :data:`.sync.PERFORM` on an asyncio client: both :func:`perform` and, inlined, the
#: one-op path of every generated coroutine method (one coroutine less per call).
PERFORM = """\
try:
    conn = self._connection_for(op) if {fixed} is None else _connection(self, op, {fixed})
    if type(conn) is _CoroutineType:
        conn = await conn
except Exception as exc:
    _raise_outage(exc, None, op)
try:
    if op.method in _SPECIAL or not op.io:
        reply = await _call(conn, op)
    else:
        reply = await getattr(conn, op.method)(*op.args, **op.kwargs)
except Exception as exc:
    return await _after_error(self, op, {fixed}, conn, exc)
finish = op.finish
return reply if finish is None else finish(reply, *op.finish_args)"""


async def after_error(client: Any, op: Op[R], fixed: Any, conn: Any, exc: Exception) -> R:
    """:func:`.sync.after_error` on an asyncio client."""
    if not isinstance(exc, ReadOnlyError) or not await adrop_pool(conn):
        return await _failed(client, op, fixed, conn, exc)  # type: ignore[no-any-return]
    try:
        reply = await call(conn, op)
    except Exception as again:
        return await _failed(client, op, fixed, conn, again)  # type: ignore[no-any-return]
    finish = op.finish
    return reply if finish is None else finish(reply, *op.finish_args)  # type: ignore[no-any-return]


async def _failed(client: Any, op: Op[Any], fixed: Any, conn: Any, exc: Exception) -> Any:
    error = classify(conn, exc, op)
    if op.recover is not None and not isinstance(error, ConnectionInterrupted):
        return await run(op.recover(error, *op.recover_args), client, fixed)
    raise error from exc


#: What :data:`PERFORM` names.
_SCOPE: dict[str, Any] = {
    "_connection": connection,
    "_CoroutineType": CoroutineType,
    "_raise_outage": raise_outage,
    "_call": call,
    "_SPECIAL": SPECIAL,
    "_after_error": after_error,
}


def _perform() -> Callable[..., Any]:
    source = "async def perform(self, op, fixed=None):\n" + indent(PERFORM.format(fixed="fixed"), "    ")
    return define_function("perform", source, dict(_SCOPE), kind="async def")


perform: Callable[[Any, Op[R], Any], Awaitable[R]] = _perform()
perform.__doc__ = """:func:`.sync.perform` on an asyncio client."""


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
            "op = _logic(self, {args})\n"
            "if type(op) is _Generator:\n"
            "    return await _run(op, self, {fixed})\n" + PERFORM
        )
        is_async = True
    scope = {
        **_SCOPE,
        "_logic": declaration.logic,
        "_Generator": GeneratorType,
        "_run": run,
        "_iterate": iterate,
    }
    method = inline.inlined(declaration, True, scope)
    if method is None:
        method = make_function(declaration, declaration.name, body, scope, is_async=is_async)
    return [(declaration.name, method)]
