"""The blocking driver: performs a command's ops on valkey-py's ``Valkey`` (or cluster) client.

``client`` is the cache client running the command: ``client._connection_for(op)`` is
the connection for an op, decided by its topology. ``fixed``, when given, is
django-valkey's ``client`` argument: the connection every call uses.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from textwrap import indent
from types import GeneratorType
from typing import Any, TypeVar

from valkey.exceptions import ReadOnlyError, ResponseError

from ..commands.declare import Command, define_function, make_function
from ..commands.ops import BATCH, PIPELINE, SPECIAL, Emit, Logic, Op, Step
from ..commands.routes import ALL_NODES, Node
from ..exceptions import ConnectionInterrupted, ServerRefused
from . import inline
from .errors import classify, drop_pool, raise_outage

R = TypeVar("R")


def connection(client: Any, op: Op[Any], fixed: Any) -> Any:
    """The connection ``op`` runs on: ``fixed`` when given, unless the op names its server
    (a shard or cluster node, for a command visiting every server)."""
    if fixed is None:
        return client._connection_for(op)
    route = op.route
    if route is ALL_NODES or isinstance(route, Node):
        return client._connection_for(op)
    return fixed


def call(conn: Any, op: Op[Any]) -> Any:
    """The raw reply of ``op`` on ``conn``."""
    method = op.method
    if method not in SPECIAL:
        return getattr(conn, method)(*op.args, **op.kwargs)
    if method == BATCH:
        name, argsets = op.args
        pipe = conn.pipeline(transaction=False)
        command = getattr(pipe, name)
        for args in argsets:
            command(*args, **op.kwargs)
        return pipe.execute()
    assert method == PIPELINE
    ops, transaction = op.args
    pipe = conn.pipeline(transaction=transaction)
    for sub in ops:
        getattr(pipe, sub.method)(*sub.args, **sub.kwargs)
    return pipe.execute()


#: The body that performs one op (``op``) for ``self``, the client: the connection, the
#: call, the finished reply; a raised call goes to :func:`after_error`. It is both
#: :func:`perform` and, inlined, the one-op path of every generated command method (one
#: Python frame less per call: the largest share of the driver's cost). ``{fixed}`` is
#: django-valkey's ``client`` argument, or None.
PERFORM = """\
try:
    conn = self._connection_for(op) if {fixed} is None else _connection(self, op, {fixed})
except Exception as exc:
    _raise_outage(exc, None, op)
try:
    method = op.method
    reply = _call(conn, op) if method in _SPECIAL else getattr(conn, method)(*op.args, **op.kwargs)
except Exception as exc:
    return _after_error(self, op, {fixed}, conn, exc)
finish = op.finish
return reply if finish is None else finish(reply, *op.finish_args)"""


def after_error(client: Any, op: Op[R], fixed: Any, conn: Any, exc: Exception) -> R:
    """The result of ``op`` once its call on ``conn`` raised ``exc``. A write answered
    READONLY reconnects and is tried once more; a server error goes to the op's
    ``recover`` if it has one; otherwise errors are raised, outages as
    :class:`ConnectionInterrupted`."""
    if not isinstance(exc, ReadOnlyError):
        return _failed(client, op, fixed, conn, exc)  # type: ignore[no-any-return]
    # A primary demoted under its address: reconnect, wherever it points now.
    if not drop_pool(conn):
        return _failed(client, op, fixed, conn, exc)  # type: ignore[no-any-return]
    try:
        reply = call(conn, op)
    except Exception as again:
        return _failed(client, op, fixed, conn, again)  # type: ignore[no-any-return]
    finish = op.finish
    return reply if finish is None else finish(reply, *op.finish_args)  # type: ignore[no-any-return]


def _failed(client: Any, op: Op[Any], fixed: Any, conn: Any, exc: Exception) -> Any:
    error = classify(conn, exc, op)
    if op.recover is not None and not isinstance(error, ConnectionInterrupted):
        return run(op.recover(error, *op.recover_args), client, fixed)
    raise error from exc


#: What :data:`PERFORM` names.
_SCOPE: dict[str, Any] = {
    "_connection": connection,
    "_raise_outage": raise_outage,
    "_call": call,
    "_SPECIAL": SPECIAL,
    "_after_error": after_error,
}


def _perform() -> Callable[..., Any]:
    source = "def perform(self, op, fixed=None):\n" + indent(PERFORM.format(fixed="fixed"), "    ")
    return define_function("perform", source, dict(_SCOPE))


perform: Callable[[Any, Op[R], Any], R] = _perform()
perform.__doc__ = """The result of ``op`` for ``client`` (``fixed``: the connection every call
uses, when given): its reply, finished; errors as :func:`after_error` says."""


def run(step: Step[R], client: Any, fixed: Any = None, how: Callable[..., Any] = perform) -> R:
    """Run a command (one op, or a generator of them) to its result; ``how(client, op,
    fixed)`` performs each op (the near cache answers some from its copies)."""
    if isinstance(step, Op):
        return how(client, step, fixed)  # type: ignore[no-any-return]
    gen: Logic[R] = step
    try:
        op = next(gen)
        while True:
            try:
                result = how(client, op, fixed)
            except ServerRefused:
                raise
            except (ConnectionInterrupted, ResponseError) as error:
                op = gen.throw(error)
                continue
            op = gen.send(result)
    except StopIteration as stop:
        return stop.value  # type: ignore[no-any-return]


def iterate(gen: Logic[None], client: Any, fixed: Any = None) -> Iterator[Any]:
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
            send = perform(client, item, fixed)
        except ServerRefused:
            raise
        except (ConnectionInterrupted, ResponseError) as exc:
            error = exc


def methods(declaration: Command[Any, Any]) -> list[tuple[str, Callable[..., Any]]]:
    """The blocking client's method for ``declaration``: runs the command here."""
    if declaration.iterator:
        body = "return _iterate(_logic(self, {args}), self, {fixed})"
    else:
        body = (
            "op = _logic(self, {args})\n"
            "if type(op) is _Generator:\n"
            "    return _run(op, self, {fixed})\n" + PERFORM
        )
    scope = {
        **_SCOPE,
        "_logic": declaration.logic,
        "_Generator": GeneratorType,
        "_run": run,
        "_iterate": iterate,
    }
    method = inline.inlined(declaration, False, scope)
    if method is None:
        method = make_function(declaration, declaration.name, body, scope)
    return [(declaration.name, method)]
