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

    Made by :class:`read`, :class:`write` (the primary must take it), :func:`pipeline`,
    :func:`batch` or :class:`local` (no I/O: not awaited on asyncio).
    ``finish(reply, *finish_args)`` turns the reply into the command's result;
    ``recover(error, *recover_args)`` (a command of its own) runs instead when the
    server answers with an error.
    """

    write: bool = True
    io: bool = True
    # Defaults on the class: an op made and sent at once stores only what it sends.
    finish: Callable[..., Any] | None = None
    finish_args: tuple[Any, ...] = ()
    recover: Callable[..., Any] | None = None
    recover_args: tuple[Any, ...] = ()

    def __init__(self, method: str, route: Any, /, *args: Any, **kwargs: Any) -> None:
        self.method = method
        self.route = route
        self.args = args
        self.kwargs = kwargs

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
        op: Op[R] = type(self)(self.method, route, *self.args, **self.kwargs)
        op.finish, op.finish_args = self.finish, self.finish_args
        op.recover, op.recover_args = self.recover, self.recover_args
        return op

    def __repr__(self) -> str:
        return f"<Op {self.method} {'write' if self.write else 'read'} route={self.route!r}>"


class read(Op[Any]):
    """A call that a replica may answer: ``read(method, route, *args, **kwargs)``."""

    write = False


class write(Op[Any]):
    """A call that the primary must take: ``write(method, route, *args, **kwargs)``."""


class local(Op[Any]):
    """A call that does no I/O (e.g. creating a lock object), not awaited on asyncio."""

    io = False


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
    kind = _write if write else read
    return kind(PIPELINE, route, ops, transaction)


def batch(method: str, route: Any, argsets: list[tuple[Any, ...]], /, **kwargs: Any) -> Op[Any]:
    """One round trip of the same write command for each argument tuple (e.g. SET PX)."""
    return _write(BATCH, route, method, argsets, **kwargs)


_write = write


def run(step: Step[R]) -> Logic[R]:
    """Inside a generator command: ``result = yield from run(step)`` for either kind of step."""
    if type(step) is GeneratorType:
        return (yield from step)  # type: ignore[no-any-return]
    return (yield step)  # type: ignore[no-any-return]


def truthy(reply: Any) -> bool:
    return bool(reply)
