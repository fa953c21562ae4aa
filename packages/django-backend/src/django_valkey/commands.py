"""Which client methods a cache exposes, and how."""

from __future__ import annotations

from typing import Any, Final

from valkey_cache.core import ignore

#: Django's cache API served by the client method of the same name. A cache instance
#: gets the client's bound method itself (no wrapper) unless its class overrides it.
DJANGO_COMMANDS: Final = (
    "get",
    "set",
    "add",
    "delete",
    "get_many",
    "set_many",
    "has_key",
    "incr",
    "decr",
    "touch",
    "clear",
    "incr_version",
    "decr_version",
)

#: Valkey commands beyond Django's API, as django-valkey 0.4 offers them.
EXTRA_COMMANDS: Final = (
    "mget",
    "mset",
    "delete_pattern",
    "ttl",
    "pttl",
    "expire",
    "pexpire",
    "expire_at",
    "pexpire_at",
    "persist",
    "keys",
    "iter_keys",
    "get_lock",
    "lock",
    "sadd",
    "scard",
    "sdiff",
    "sdiffstore",
    "sinter",
    "sinterstore",
    "smismember",
    "sismember",
    "smembers",
    "smove",
    "spop",
    "srandmember",
    "srem",
    "sscan",
    "sscan_iter",
    "sunion",
    "sunionstore",
    "hset",
    "hget",
    "hmget",
    "hgetall",
    "hdel",
    "hlen",
    "hkeys",
    "hexists",
    "zadd",
    "zcard",
    "zcount",
    "zincrby",
    "zpopmax",
    "zpopmin",
    "zrange",
    "zrevrange",
    "zrangebyscore",
    "zrevrangebyscore",
    "zrank",
    "zrem",
    "zremrangebyscore",
    "zscore",
)

#: Commands that return an iterator (async: an async iterator) rather than a value.
ITERATOR_COMMANDS: Final = frozenset({"iter_keys", "sscan_iter"})

#: What IGNORE_EXCEPTIONS wraps when a client is built (the core skips incr, decr...);
#: the extras are wrapped on first use (see ``client_method``), keeping construction
#: cheap: Django builds a cache per thread and per request.
IGNORED_EAGERLY: Final = (*DJANGO_COMMANDS, "delete_many", "close")


def client_method(cache: Any, client: Any, name: str) -> Any:
    """``client.<name>``; with IGNORE_EXCEPTIONS, wrapped on first use."""
    method = client.__dict__.get(name)
    if method is not None:
        return method
    config = cache._config
    if config.ignore_exceptions:
        ignore.install(client, [name], config.logger)
        method = client.__dict__.get(name)
        if method is not None:
            return method
    return getattr(client, name)


def overrides_storage(cls: type[Any], base: type[Any], prefix: str = "") -> bool:
    """Whether ``cls`` overrides ``get``, ``add`` or ``set`` (named with ``prefix``) of
    ``base``: its ``get_or_set`` must then go through them, as Django's does."""
    return any(
        getattr(cls, prefix + name, None) is not getattr(base, prefix + name, None)
        for name in ("get", "add", "set")
    )
