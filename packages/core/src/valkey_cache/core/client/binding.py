"""Turn a command generator from ``logic`` into a sync or an async client method.

A command whose signature has ``client`` (django-valkey 0.4's argument: a connection to
use instead of the pool) runs every call on that connection, whether ``client`` is
passed by keyword or by position; its place in the signature is found once, here.
"""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Callable, Coroutine, Generator, Iterator
from typing import Any, Concatenate, ParamSpec, TypeVar

from .ops import drive_async, drive_sync, iterate_async, iterate_sync

P = ParamSpec("P")
R = TypeVar("R")
LogicFn = Callable[Concatenate[Any, P], Generator[Any, Any, Any]]
_NOWHERE = 1 << 30


def client_position(logic: Callable[..., Any]) -> int:
    """Index in the positional arguments (after the client itself) where ``client`` may be
    passed; a number no call reaches when it can only be a keyword, or is not there."""
    params = list(inspect.signature(logic).parameters.values())[1:]
    for index, param in enumerate(params):
        if param.kind is not inspect.Parameter.POSITIONAL_OR_KEYWORD:
            return _NOWHERE
        if param.name == "client":
            return index
    return _NOWHERE


def sync_command(logic: LogicFn[P]) -> Callable[Concatenate[Any, P], Any]:
    at = client_position(logic)

    def command(self: Any, /, *args: P.args, **kwargs: P.kwargs) -> Any:
        conn = kwargs.get("client") if len(args) <= at else args[at]
        return drive_sync(logic(self, *args, **kwargs), self._connection_for, conn)

    _named(command, logic)
    return command


def async_command(logic: LogicFn[P]) -> Callable[Concatenate[Any, P], Coroutine[Any, Any, Any]]:
    at = client_position(logic)

    async def command(self: Any, /, *args: P.args, **kwargs: P.kwargs) -> Any:
        conn = kwargs.get("client") if len(args) <= at else args[at]
        return await drive_async(logic(self, *args, **kwargs), self._connection_for, conn)

    _named(command, logic)
    return command


def sync_iterator(logic: LogicFn[P]) -> Callable[Concatenate[Any, P], Iterator[Any]]:
    at = client_position(logic)

    def command(self: Any, /, *args: P.args, **kwargs: P.kwargs) -> Iterator[Any]:
        conn = kwargs.get("client") if len(args) <= at else args[at]
        return iterate_sync(logic(self, *args, **kwargs), self._connection_for, conn)

    _named(command, logic)
    return command


def async_iterator(logic: LogicFn[P]) -> Callable[Concatenate[Any, P], AsyncIterator[Any]]:
    at = client_position(logic)

    def command(self: Any, /, *args: P.args, **kwargs: P.kwargs) -> AsyncIterator[Any]:
        conn = kwargs.get("client") if len(args) <= at else args[at]
        return iterate_async(logic(self, *args, **kwargs), self._connection_for, conn)

    _named(command, logic)
    return command


def _named(command: Any, logic: Any) -> None:
    """Give the method the command's name, docstring and signature for help() and IDEs."""
    command.__name__ = command.__qualname__ = logic.__name__.removeprefix("cmd_")
    command.__doc__ = logic.__doc__
    command.__wrapped__ = logic
