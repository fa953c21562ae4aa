"""Turn a command generator from ``logic`` into a sync or an async client method."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Coroutine, Generator, Iterator
from typing import Any, Concatenate, ParamSpec, TypeVar

from .ops import drive_async, drive_sync, iterate_async, iterate_sync

P = ParamSpec("P")
R = TypeVar("R")
LogicFn = Callable[Concatenate[Any, P], Generator[Any, Any, Any]]


def sync_command(logic: LogicFn[P]) -> Callable[Concatenate[Any, P], Any]:
    def command(self: Any, /, *args: P.args, **kwargs: P.kwargs) -> Any:
        return drive_sync(logic(self, *args, **kwargs), self._connection_for, kwargs.get("client"))

    _named(command, logic)
    return command


def async_command(logic: LogicFn[P]) -> Callable[Concatenate[Any, P], Coroutine[Any, Any, Any]]:
    async def command(self: Any, /, *args: P.args, **kwargs: P.kwargs) -> Any:
        return await drive_async(logic(self, *args, **kwargs), self._connection_for, kwargs.get("client"))

    _named(command, logic)
    return command


def sync_iterator(logic: LogicFn[P]) -> Callable[Concatenate[Any, P], Iterator[Any]]:
    def command(self: Any, /, *args: P.args, **kwargs: P.kwargs) -> Iterator[Any]:
        return iterate_sync(logic(self, *args, **kwargs), self._connection_for, kwargs.get("client"))

    _named(command, logic)
    return command


def async_iterator(logic: LogicFn[P]) -> Callable[Concatenate[Any, P], AsyncIterator[Any]]:
    def command(self: Any, /, *args: P.args, **kwargs: P.kwargs) -> AsyncIterator[Any]:
        return iterate_async(logic(self, *args, **kwargs), self._connection_for, kwargs.get("client"))

    _named(command, logic)
    return command


def _named(command: Any, logic: Any) -> None:
    """Give the method the command's name, docstring and signature for help() and IDEs."""
    command.__name__ = command.__qualname__ = logic.__name__.removeprefix("cmd_")
    command.__doc__ = logic.__doc__
    command.__wrapped__ = logic
