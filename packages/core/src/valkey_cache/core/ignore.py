"""IGNORE_EXCEPTIONS: while the server is down, reads miss and writes do nothing.

A client built with the option is an instance of :func:`tolerant` of its class: a
subclass, made once per class, whose commands turn :class:`ConnectionInterrupted` into
the command's declared outage result (``outage=`` in ``commands.table``; ``get`` returns
its ``default``, ``get_or_set`` its default, called if callable). Clients without the
option carry no wrapper at all.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any, TypeVar

from .commands.declare import AsyncSide, Command, declared
from .exceptions import ConnectionInterrupted

C = TypeVar("C", bound=type)

#: Methods that are not declared commands but are tolerated too.
ALSO_TOLERATED = ("close",)


def _log(client: Any, name: str, exc: ConnectionInterrupted) -> None:
    logger: logging.Logger | None = getattr(client, "ignored_exceptions_logger", None)
    if logger is not None:
        # django-valkey 0.4's (and django-redis's) record, which sites alert on; the
        # command is in ``extra``, the server in the exception.
        logger.error("Exception ignored", exc_info=exc, extra={"valkey_command": name})


_TOLERANT: dict[type, type] = {}


def tolerant(cls: C) -> C:
    """The subclass of the client class ``cls`` whose commands survive an outage (made once)."""
    made = _TOLERANT.get(cls)
    if made is None:
        made = _TOLERANT[cls] = _tolerant(cls)
    return made  # type: ignore[return-value]


def _tolerant(cls: type) -> type:
    is_async = issubclass(cls, AsyncSide)
    namespace: dict[str, Any] = {"__module__": cls.__module__, "__doc__": cls.__doc__}
    namespace["ignored_exceptions_logger"] = None
    for name, declaration in declared(cls).items():
        method = getattr(cls, name, None)
        if method is not None:
            namespace[name] = _wrap(name, method, declaration, is_async)
    for name in ALSO_TOLERATED:
        method = getattr(cls, name, None)
        if method is not None:
            namespace[name] = _wrap(name, method, None, is_async)
    return type(cls.__name__, (cls,), namespace)


def _outage(declaration: Command[Any, Any] | None, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    return None if declaration is None else declaration.outage_result(args, kwargs)


def _wrap(
    name: str, method: Callable[..., Any], declaration: Command[Any, Any] | None, is_async: bool
) -> Callable[..., Any]:
    if declaration is not None and declaration.iterator:
        if is_async:

            @functools.wraps(method)
            async def async_iterator(self: Any, *args: Any, **kwargs: Any) -> AsyncIterator[Any]:
                try:
                    async for item in method(self, *args, **kwargs):
                        yield item
                except ConnectionInterrupted as exc:
                    _log(self, name, exc)

            return async_iterator

        @functools.wraps(method)
        def iterator(self: Any, *args: Any, **kwargs: Any) -> Iterator[Any]:
            try:
                yield from method(self, *args, **kwargs)
            except ConnectionInterrupted as exc:
                _log(self, name, exc)

        return iterator

    if is_async:

        @functools.wraps(method)
        async def async_call(self: Any, *args: Any, **kwargs: Any) -> Any:
            try:
                return await method(self, *args, **kwargs)
            except ConnectionInterrupted as exc:
                _log(self, name, exc)
                return _outage(declaration, args, kwargs)

        return async_call

    @functools.wraps(method)
    def call(self: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return method(self, *args, **kwargs)
        except ConnectionInterrupted as exc:
            _log(self, name, exc)
            return _outage(declaration, args, kwargs)

    return call
