"""Which client methods a cache exposes, and how."""

from __future__ import annotations

from typing import Any, Final

from valkey_cache.core import ignore
from valkey_cache.core.client.herd import HerdSettings

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


def refreshes_on_miss(client: Any) -> bool:
    """Whether a miss from ``client`` may hide a stored value this caller must replace.

    The herd client answers a stale value with a miss to the one caller picked to
    refresh it: ``get_or_set`` then stores its default with ``set``, as ``add`` would
    find the key taken.
    """
    return isinstance(client, HerdSettings)
