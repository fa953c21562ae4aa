"""``Cache`` and ``AsyncCache``: the cache for programs that do not use Django.

Same method names and arguments as Django's cache API plus the Valkey extras. Each
method is the client's own bound method, copied onto the instance, so the facade adds
no call of its own to the hot path.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from . import ignore
from .client.asynchronous import AsyncClientCommands
from .client.extras import AsyncValkeyExtras, ValkeyExtras
from .client.sync import ClientCommands
from .exceptions import ConfigurationError
from .imports import resolve_class
from .keys import KeyFunc, default_key_func
from .option_names import known_options, unknown_options
from .options import bool_option, number_option
from .redaction import redact_url
from .timeouts import DEFAULT_TIMEOUT

# Keyword arguments that name an option in lower case.
_KEYWORD_OPTIONS = {
    "serializer": "SERIALIZER",
    "compressor": "COMPRESSOR",
    "client_class": "CLIENT_CLASS",
    "ignore_exceptions": "IGNORE_EXCEPTIONS",
    "log_ignored_exceptions": "LOG_IGNORED_EXCEPTIONS",
}
_GENERAL_OPTIONS = frozenset({"CLIENT_CLASS", "IGNORE_EXCEPTIONS", "LOG_IGNORED_EXCEPTIONS", "LOGGER"})

COMMANDS = (
    "get", "set", "add", "delete", "get_many", "set_many", "delete_many", "has_key",
    "incr", "decr", "touch", "clear", "get_or_set", "incr_version", "decr_version",
    "mget", "mset", "delete_pattern", "ttl", "pttl", "expire", "pexpire", "expire_at",
    "pexpire_at", "persist", "keys", "iter_keys", "get_lock", "lock",
    "sadd", "scard", "sdiff", "sdiffstore", "sinter", "sinterstore", "smismember",
    "sismember", "smembers", "smove", "spop", "srandmember", "srem", "sscan",
    "sscan_iter", "sunion", "sunionstore",
    "hset", "hget", "hmget", "hgetall", "hdel", "hlen", "hkeys", "hexists",
    "zadd", "zcard", "zcount", "zincrby", "zpopmax", "zpopmin", "zrange", "zrevrange",
    "zrangebyscore", "zrevrangebyscore", "zrank", "zrem", "zremrangebyscore", "zscore",
    "close", "make_key", "make_pattern",
)  # fmt: skip


class _CacheBase:
    DEFAULT_CLIENT_CLASS: ClassVar[str]

    def __init__(
        self,
        location: str | list[str],
        *,
        timeout: float | None = 300,
        key_prefix: str = "",
        version: Any = 1,
        key_func: KeyFunc | str | None = None,
        options: Mapping[str, Any] | None = None,
        **keyword_options: Any,
    ) -> None:
        merged = dict(options or {})
        for name, value in keyword_options.items():
            merged[_KEYWORD_OPTIONS.get(name, name.upper())] = value
        self.default_timeout = number_option({"timeout": timeout}, "timeout", None)
        self.key_prefix = key_prefix
        self.version = version
        self.key_func: KeyFunc = _key_func(key_func)
        self.location = location
        self.options = merged
        client_cls = resolve_class("CLIENT_CLASS", merged.get("CLIENT_CLASS") or self.DEFAULT_CLIENT_CLASS)
        self.client: Any = client_cls(location, {"OPTIONS": merged}, self)
        self._check_option_names(merged)
        for name in COMMANDS:
            method = getattr(self.client, name, None)
            if method is not None:
                self.__dict__[name] = method
        if bool_option(merged, "IGNORE_EXCEPTIONS", False):
            logger = None
            if bool_option(merged, "LOG_IGNORED_EXCEPTIONS", False):
                logger = logging.getLogger(merged.get("LOGGER") or "valkey_cache")
            ignore.install(self, list(COMMANDS), logger)

    def _check_option_names(self, options: Mapping[str, Any]) -> None:
        client = self.client
        known = _GENERAL_OPTIONS | known_options(
            client, client.connection_factory, client._serializer, client._compressor
        )
        bad = unknown_options(options, known)
        if bad:
            name, close = bad[0]
            hint = f"did you mean {close!r}?" if close else "see the option table in the docs"
            raise ConfigurationError(name, options[name], f"a known option name ({hint})", show_value=False)

    def __repr__(self) -> str:
        locations = [redact_url(url) for url in self.client._server]
        return f"<{type(self).__name__} {locations!r} prefix={self.key_prefix!r}>"


def _key_func(value: KeyFunc | str | None) -> KeyFunc:
    if value is None:
        return default_key_func
    if callable(value):
        return value
    from .client.base import resolve_callable

    func: KeyFunc = resolve_callable("key_func", value, default_key_func)
    return func


class Cache(_CacheBase, ValkeyExtras):
    """A blocking Valkey cache: ``Cache("valkey://127.0.0.1:6379/0", key_prefix="app")``.

    ``timeout`` is the default in seconds (None: forever); other keyword arguments are
    options (``serializer=``, ``compressor=``, ``client_class=``, ``socket_timeout=``,
    ``ignore_exceptions=`` ...), in lower or upper case.
    """

    DEFAULT_CLIENT_CLASS = "valkey_cache.core.client.DefaultClient"

    if TYPE_CHECKING:
        get = ClientCommands.get
        set = ClientCommands.set
        add = ClientCommands.add
        delete = ClientCommands.delete
        get_many = ClientCommands.get_many
        set_many = ClientCommands.set_many
        delete_many = ClientCommands.delete_many
        has_key = ClientCommands.has_key
        incr = ClientCommands.incr
        decr = ClientCommands.decr
        touch = ClientCommands.touch
        clear = ClientCommands.clear
        get_or_set = ClientCommands.get_or_set
        incr_version = ClientCommands.incr_version
        decr_version = ClientCommands.decr_version

        def close(self) -> None: ...
        def make_key(self, key: Any, version: Any = None, prefix: str | None = None) -> Any: ...
        def make_pattern(self, pattern: Any, version: Any = None, prefix: str | None = None) -> Any: ...

    def __contains__(self, key: Any) -> bool:
        return bool(self.__dict__["has_key"](key))


class AsyncCache(_CacheBase, AsyncValkeyExtras):
    """The asyncio twin of :class:`Cache`: every command is awaited."""

    DEFAULT_CLIENT_CLASS = "valkey_cache.core.client.AsyncDefaultClient"

    if TYPE_CHECKING:
        get = AsyncClientCommands.get
        set = AsyncClientCommands.set
        add = AsyncClientCommands.add
        delete = AsyncClientCommands.delete
        get_many = AsyncClientCommands.get_many
        set_many = AsyncClientCommands.set_many
        delete_many = AsyncClientCommands.delete_many
        has_key = AsyncClientCommands.has_key
        incr = AsyncClientCommands.incr
        decr = AsyncClientCommands.decr
        touch = AsyncClientCommands.touch
        clear = AsyncClientCommands.clear
        get_or_set = AsyncClientCommands.get_or_set
        incr_version = AsyncClientCommands.incr_version
        decr_version = AsyncClientCommands.decr_version

        async def close(self) -> None: ...
        def make_key(self, key: Any, version: Any = None, prefix: str | None = None) -> Any: ...
        def make_pattern(self, pattern: Any, version: Any = None, prefix: str | None = None) -> Any: ...


__all__ = ["DEFAULT_TIMEOUT", "AsyncCache", "Cache"]
