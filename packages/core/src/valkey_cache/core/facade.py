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
from .client.sync import ClientCommands
from .exceptions import ConfigurationError, redact_url
from .imports import resolve_class
from .keys import KeyFunc, default_key_func
from .option_names import known_options, unknown_options
from .options import bool_option, number_option
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
            raise ConfigurationError(name, options[name], f"a known option name ({hint})")

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


class Cache(_CacheBase):
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
        mget = ClientCommands.mget
        mset = ClientCommands.mset
        delete_pattern = ClientCommands.delete_pattern
        ttl = ClientCommands.ttl
        pttl = ClientCommands.pttl
        expire = ClientCommands.expire
        pexpire = ClientCommands.pexpire
        expire_at = ClientCommands.expire_at
        pexpire_at = ClientCommands.pexpire_at
        persist = ClientCommands.persist
        keys = ClientCommands.keys
        iter_keys = ClientCommands.iter_keys
        get_lock = ClientCommands.get_lock
        lock = ClientCommands.lock
        sadd = ClientCommands.sadd
        scard = ClientCommands.scard
        sdiff = ClientCommands.sdiff
        sdiffstore = ClientCommands.sdiffstore
        sinter = ClientCommands.sinter
        sinterstore = ClientCommands.sinterstore
        smismember = ClientCommands.smismember
        sismember = ClientCommands.sismember
        smembers = ClientCommands.smembers
        smove = ClientCommands.smove
        spop = ClientCommands.spop
        srandmember = ClientCommands.srandmember
        srem = ClientCommands.srem
        sscan = ClientCommands.sscan
        sscan_iter = ClientCommands.sscan_iter
        sunion = ClientCommands.sunion
        sunionstore = ClientCommands.sunionstore
        hset = ClientCommands.hset
        hget = ClientCommands.hget
        hmget = ClientCommands.hmget
        hgetall = ClientCommands.hgetall
        hdel = ClientCommands.hdel
        hlen = ClientCommands.hlen
        hkeys = ClientCommands.hkeys
        hexists = ClientCommands.hexists
        zadd = ClientCommands.zadd
        zcard = ClientCommands.zcard
        zcount = ClientCommands.zcount
        zincrby = ClientCommands.zincrby
        zpopmax = ClientCommands.zpopmax
        zpopmin = ClientCommands.zpopmin
        zrange = ClientCommands.zrange
        zrevrange = ClientCommands.zrevrange
        zrangebyscore = ClientCommands.zrangebyscore
        zrevrangebyscore = ClientCommands.zrevrangebyscore
        zrank = ClientCommands.zrank
        zrem = ClientCommands.zrem
        zremrangebyscore = ClientCommands.zremrangebyscore
        zscore = ClientCommands.zscore

        def close(self) -> None: ...
        def make_key(self, key: Any, version: Any = None, prefix: str | None = None) -> Any: ...
        def make_pattern(self, pattern: Any, version: Any = None, prefix: str | None = None) -> Any: ...

    def __contains__(self, key: Any) -> bool:
        return bool(self.__dict__["has_key"](key))


class AsyncCache(_CacheBase):
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
        mget = AsyncClientCommands.mget
        mset = AsyncClientCommands.mset
        delete_pattern = AsyncClientCommands.delete_pattern
        ttl = AsyncClientCommands.ttl
        pttl = AsyncClientCommands.pttl
        expire = AsyncClientCommands.expire
        pexpire = AsyncClientCommands.pexpire
        expire_at = AsyncClientCommands.expire_at
        pexpire_at = AsyncClientCommands.pexpire_at
        persist = AsyncClientCommands.persist
        keys = AsyncClientCommands.keys
        iter_keys = AsyncClientCommands.iter_keys
        get_lock = AsyncClientCommands.get_lock
        lock = AsyncClientCommands.lock
        sadd = AsyncClientCommands.sadd
        scard = AsyncClientCommands.scard
        sdiff = AsyncClientCommands.sdiff
        sdiffstore = AsyncClientCommands.sdiffstore
        sinter = AsyncClientCommands.sinter
        sinterstore = AsyncClientCommands.sinterstore
        smismember = AsyncClientCommands.smismember
        sismember = AsyncClientCommands.sismember
        smembers = AsyncClientCommands.smembers
        smove = AsyncClientCommands.smove
        spop = AsyncClientCommands.spop
        srandmember = AsyncClientCommands.srandmember
        srem = AsyncClientCommands.srem
        sscan = AsyncClientCommands.sscan
        sscan_iter = AsyncClientCommands.sscan_iter
        sunion = AsyncClientCommands.sunion
        sunionstore = AsyncClientCommands.sunionstore
        hset = AsyncClientCommands.hset
        hget = AsyncClientCommands.hget
        hmget = AsyncClientCommands.hmget
        hgetall = AsyncClientCommands.hgetall
        hdel = AsyncClientCommands.hdel
        hlen = AsyncClientCommands.hlen
        hkeys = AsyncClientCommands.hkeys
        hexists = AsyncClientCommands.hexists
        zadd = AsyncClientCommands.zadd
        zcard = AsyncClientCommands.zcard
        zcount = AsyncClientCommands.zcount
        zincrby = AsyncClientCommands.zincrby
        zpopmax = AsyncClientCommands.zpopmax
        zpopmin = AsyncClientCommands.zpopmin
        zrange = AsyncClientCommands.zrange
        zrevrange = AsyncClientCommands.zrevrange
        zrangebyscore = AsyncClientCommands.zrangebyscore
        zrevrangebyscore = AsyncClientCommands.zrevrangebyscore
        zrank = AsyncClientCommands.zrank
        zrem = AsyncClientCommands.zrem
        zremrangebyscore = AsyncClientCommands.zremrangebyscore
        zscore = AsyncClientCommands.zscore

        async def close(self) -> None: ...
        def make_key(self, key: Any, version: Any = None, prefix: str | None = None) -> Any: ...
        def make_pattern(self, pattern: Any, version: Any = None, prefix: str | None = None) -> Any: ...


__all__ = ["DEFAULT_TIMEOUT", "AsyncCache", "Cache"]
