"""IGNORE_EXCEPTIONS: while the server is down, reads miss and writes do nothing.

Installed per instance, only when asked for, so the normal path carries no wrapper.
"""

from __future__ import annotations

import functools
import inspect
import logging
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from typing import Any

from .exceptions import ConnectionInterrupted

# What each command returns while the server cannot be reached. Anything not listed
# returns None. ``get`` returns its ``default``; ``get_or_set`` its default, called if callable.
OUTAGE_RESULTS: dict[str, Any] = {
    "get_many": dict,
    "mget": dict,
    "hgetall": dict,
    "set_many": list,
    "keys": list,
    "hkeys": list,
    "hmget": list,
    "smembers": set,
    "sdiff": set,
    "sinter": set,
    "sunion": set,
    "sscan": set,
    "smismember": list,
    "zrange": list,
    "zrevrange": list,
    "zrangebyscore": list,
    "zrevrangebyscore": list,
    "set": False,
    "add": False,
    "delete": False,
    "touch": False,
    "has_key": False,
    "expire": False,
    "pexpire": False,
    "expire_at": False,
    "pexpire_at": False,
    "persist": False,
    "hexists": False,
    "sismember": False,
    "smove": False,
    "clear": False,
    "delete_many": 0,
    "delete_pattern": 0,
    "sadd": 0,
    "srem": 0,
    "scard": 0,
    "hset": 0,
    "hdel": 0,
    "hlen": 0,
    "zadd": 0,
    "zcard": 0,
    "zcount": 0,
    "zrem": 0,
    "zremrangebyscore": 0,
    "sinterstore": 0,
    "sunionstore": 0,
    "sdiffstore": 0,
}
ITERATORS = frozenset({"iter_keys", "sscan_iter"})


def _outage_value(name: str, args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> Any:
    if name == "get":
        return kwargs.get("default", args[1] if len(args) > 1 else None)
    if name == "get_or_set":  # the caller still gets its value, computed here
        default = kwargs.get("default", args[1] if len(args) > 1 else None)
        return default() if callable(default) else default
    result = OUTAGE_RESULTS.get(name)
    return result() if callable(result) else result


def install(target: Any, names: list[str], logger: logging.Logger | None) -> None:
    """Replace ``target``'s bound methods named ``names`` by outage-tolerant ones."""
    for name in names:
        method = getattr(target, name, None)
        if method is None:
            continue
        setattr(target, name, _wrap(name, method, logger))


def _log(logger: logging.Logger | None, name: str, exc: ConnectionInterrupted) -> None:
    if logger is not None:
        # django-valkey 0.4's (and django-redis's) record, which sites alert on; the
        # command is in ``extra``, the server in the exception.
        logger.error("Exception ignored", exc_info=exc, extra={"valkey_command": name})


def _wrap(name: str, method: Callable[..., Any], logger: logging.Logger | None) -> Callable[..., Any]:
    if name in ITERATORS:
        if inspect.isasyncgenfunction(method) or _returns_async_iterator(method):

            @functools.wraps(method)
            async def async_iterator(*args: Any, **kwargs: Any) -> AsyncIterator[Any]:
                try:
                    async for item in method(*args, **kwargs):
                        yield item
                except ConnectionInterrupted as exc:
                    _log(logger, name, exc)

            return async_iterator

        @functools.wraps(method)
        def iterator(*args: Any, **kwargs: Any) -> Iterator[Any]:
            try:
                yield from method(*args, **kwargs)
            except ConnectionInterrupted as exc:
                _log(logger, name, exc)

        return iterator

    if inspect.iscoroutinefunction(method):

        @functools.wraps(method)
        async def async_call(*args: Any, **kwargs: Any) -> Any:
            try:
                return await method(*args, **kwargs)
            except ConnectionInterrupted as exc:
                _log(logger, name, exc)
                return _outage_value(name, args, kwargs)

        return async_call

    @functools.wraps(method)
    def call(*args: Any, **kwargs: Any) -> Any:
        try:
            return method(*args, **kwargs)
        except ConnectionInterrupted as exc:
            _log(logger, name, exc)
            return _outage_value(name, args, kwargs)

    return call


def _returns_async_iterator(method: Callable[..., Any]) -> bool:
    hints = getattr(method, "__annotations__", {})
    return "AsyncIterator" in str(hints.get("return", ""))
