"""What a command asks a driver to do: :class:`Op`, one valkey-py call.

A command is a function of the client and its arguments. A one-step command returns
one :class:`Op`, with what to make of the reply (:meth:`Op.then`) and, for the rare
branch, what to do after a server error (:meth:`Op.on_error`); the driver performs it
without a generator. A command of several steps is a generator that yields ops and
receives their results (:data:`Logic`). ``yield from run(step)`` uses either kind inside
a generator.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Sequence
from types import GeneratorType
from typing import Any, Generic, NamedTuple, TypeVar

R = TypeVar("R")
R2 = TypeVar("R2")

PIPELINE = "__pipeline__"
BATCH = "__batch__"
SPECIAL = frozenset({PIPELINE, BATCH})


class Op(Generic[R]):
    """One valkey-py call: ``conn.<method>(*args, **kwargs)`` on the connection of ``route``.

    Made by :func:`read`, :func:`write` (the primary must take it), :func:`pipeline`,
    :func:`batch` or :func:`local` (``io`` False: no I/O, not awaited on asyncio).
    ``finish(reply, *finish_args)`` turns the reply into the command's result;
    ``recover(error, *recover_args)`` (a command of its own) runs instead when the
    server answers with an error.

    One class with every attribute in a slot: the drivers' attribute reads then stay
    specialized by the interpreter (subclasses or class-level defaults would not).
    """

    __slots__ = (
        "args",
        "finish",
        "finish_args",
        "io",
        "kwargs",
        "method",
        "recover",
        "recover_args",
        "route",
        "write",
    )

    def __init__(
        self,
        method: str,
        route: Any,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        write: bool,
        io: bool = True,
    ) -> None:
        self.method = method
        self.route = route
        self.args = args
        self.kwargs = kwargs
        self.write = write
        self.io = io
        self.finish: Callable[..., Any] | None = None
        self.finish_args: tuple[Any, ...] = ()
        self.recover: Callable[..., Any] | None = None
        self.recover_args: tuple[Any, ...] = ()

    def then(self, finish: Callable[..., R2], *args: Any) -> Op[R2]:
        """Make the result ``finish(reply, *args)``; after an earlier ``then``, ``finish``
        takes that one's result."""
        if self.finish is not None:
            finish, args = _Chained(self.finish, self.finish_args, finish, args), ()
        self.finish = finish
        self.finish_args = args
        return self  # type: ignore[return-value]

    def on_error(self, recover: Callable[..., Step[R]], *args: Any) -> Op[R]:
        """On a server error (not an outage), the result is that of ``recover(error, *args)``."""
        self.recover = recover
        self.recover_args = args
        return self

    def routed(self, route: Any) -> Op[R]:
        """The same call on the connection of ``route``."""
        op: Op[R] = Op(self.method, route, self.args, self.kwargs, self.write, self.io)
        op.finish, op.finish_args = self.finish, self.finish_args
        op.recover, op.recover_args = self.recover, self.recover_args
        return op

    def __repr__(self) -> str:
        return f"<Op {self.method} {'write' if self.write else 'read'} route={self.route!r}>"


_new = object.__new__


def _op(
    method: str, route: Any, args: tuple[Any, ...], kwargs: dict[str, Any], write: bool, io: bool
) -> Op[Any]:
    op: Op[Any] = _new(Op)
    op.method, op.route, op.args, op.kwargs, op.write, op.io = method, route, args, kwargs, write, io
    op.finish, op.finish_args, op.recover, op.recover_args = None, (), None, ()
    return op


def read(method: str, route: Any, /, *args: Any, **kwargs: Any) -> Op[Any]:
    """A call that a replica may answer: ``read(method, route, *args, **kwargs)``."""
    op: Op[Any] = _new(Op)
    op.method, op.route, op.args, op.kwargs, op.write, op.io = method, route, args, kwargs, False, True
    op.finish, op.finish_args, op.recover, op.recover_args = None, (), None, ()
    return op


def write(method: str, route: Any, /, *args: Any, **kwargs: Any) -> Op[Any]:
    """A call that the primary must take: ``write(method, route, *args, **kwargs)``."""
    op: Op[Any] = _new(Op)
    op.method, op.route, op.args, op.kwargs, op.write, op.io = method, route, args, kwargs, True, True
    op.finish, op.finish_args, op.recover, op.recover_args = None, (), None, ()
    return op


def local(method: str, route: Any, /, *args: Any, **kwargs: Any) -> Op[Any]:
    """A call that does no I/O (e.g. creating a lock object), not awaited on asyncio."""
    return _op(method, route, args, kwargs, True, False)


class _Chained:
    """``second(first(reply, *first_args), *second_args)``."""

    __slots__ = ("first", "first_args", "second", "second_args")

    def __init__(
        self,
        first: Callable[..., Any],
        first_args: tuple[Any, ...],
        second: Callable[..., Any],
        second_args: tuple[Any, ...],
    ) -> None:
        self.first, self.first_args, self.second, self.second_args = first, first_args, second, second_args

    def __call__(self, reply: Any) -> Any:
        return self.second(self.first(reply, *self.first_args), *self.second_args)


class Emit(NamedTuple):
    """Yielded by iterator commands: a value for the caller, not a call to make."""

    value: Any


#: A command of several steps: yields ops, receives their results, returns ``R``.
Logic = Generator[Any, Any, R]
#: What a command function returns: one op, or a generator of them.
Step = Op[R] | Generator[Any, Any, R]


def pipeline(
    ops: Sequence[Op[Any]], *, write: bool = True, route: Any = None, transaction: bool = False
) -> Op[Any]:
    """One round trip for several calls (``args``: the ops, and whether in MULTI/EXEC);
    the result is the list of their raw replies."""
    return _op(PIPELINE, route, (ops, transaction), {}, write, True)


def batch(method: str, route: Any, argsets: list[tuple[Any, ...]], /, **kwargs: Any) -> Op[Any]:
    """One round trip of the same write command for each argument tuple (e.g. SET PX)."""
    return _op(BATCH, route, (method, argsets), kwargs, True, True)


def run(step: Step[R]) -> Logic[R]:
    """Inside a generator command: ``result = yield from run(step)`` for either kind of step."""
    if type(step) is GeneratorType:
        return (yield from step)  # type: ignore[no-any-return]
    return (yield step)  # type: ignore[no-any-return]


#: The finish of a command answering a bool: the builtin itself (C, no Python frame).
truthy = bool
