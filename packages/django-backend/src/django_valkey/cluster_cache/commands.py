"""django-valkey 0.4's extra cluster methods, written once for the sync and async clients.

``mget_nonatomic`` and ``mset_nonatomic`` are ``get_many`` and ``mset`` (both already
split by hash slot); ``msetnx`` needs its keys in one slot (give them a ``{tag}``);
``readonly``, ``readwrite`` and ``flushall`` are the ``ValkeyCluster`` commands.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from valkey_cache.core.client import fanout
from valkey_cache.core.client.binding import async_command, sync_command
from valkey_cache.core.client.ops import Logic, write

from ..commands import client_method

#: The methods of 0.4's cluster client beyond the other clients', on the cache too.
CLUSTER_COMMANDS = ("msetnx", "mget_nonatomic", "mset_nonatomic", "readonly", "readwrite", "flushall")


def cmd_mget_nonatomic(c: Any, keys: Iterable[Any], version: Any = None, client: Any = None) -> Logic:
    """``get_many``: one MGET per hash slot."""
    return (yield from fanout.cmd_get_many(c, keys, version, client))


def cmd_mset_nonatomic(c: Any, data: Mapping[Any, Any], version: Any = None, client: Any = None) -> Logic:
    """MSET per hash slot, without expiry (as 0.4); True."""
    yield from fanout.cmd_mset(c, data, None, version, client)
    return True


def cmd_msetnx(c: Any, data: Mapping[Any, Any], version: Any = None, client: Any = None) -> Logic:
    """Set every key only if none exists (MSETNX); the keys must share a hash slot."""
    if not data:
        return False
    mapping = {c.make_key(k, version=version): c.encode(v) for k, v in data.items()}
    return bool((yield write("msetnx", next(iter(mapping)), mapping)))


def cmd_readonly(c: Any, target_nodes: Any = None, client: Any = None) -> Logic:
    return (yield write("readonly", None, target_nodes))


def cmd_readwrite(c: Any, target_nodes: Any = None, client: Any = None) -> Logic:
    return (yield write("readwrite", None, target_nodes))


def cmd_flushall(c: Any, asynchronous: bool = False, client: Any = None) -> Logic:
    """FLUSHALL on every primary: every key of the cluster, whatever its prefix."""
    return (yield write("flushall", None, asynchronous=asynchronous))


class ClusterClientCommands:
    """The blocking cluster client's extras; list before the core client in the bases."""

    mget_nonatomic = sync_command(cmd_mget_nonatomic)
    mset_nonatomic = sync_command(cmd_mset_nonatomic)
    msetnx = sync_command(cmd_msetnx)
    readonly = sync_command(cmd_readonly)
    readwrite = sync_command(cmd_readwrite)
    flushall = sync_command(cmd_flushall)


class AsyncClusterClientCommands:
    """The asyncio cluster client's extras; list before the core client in the bases."""

    mget_nonatomic = async_command(cmd_mget_nonatomic)
    mset_nonatomic = async_command(cmd_mset_nonatomic)
    msetnx = async_command(cmd_msetnx)
    readonly = async_command(cmd_readonly)
    readwrite = async_command(cmd_readwrite)
    flushall = async_command(cmd_flushall)


def delegate(name: str, client_attr: str) -> Callable[..., Any]:
    """A cache method calling ``cache.<client_attr>.<name>`` (wrapped for IGNORE_EXCEPTIONS)."""

    def command(self: Any, /, *args: Any, **kwargs: Any) -> Any:
        return client_method(self, getattr(self, client_attr), name)(*args, **kwargs)

    command.__name__ = command.__qualname__ = name
    return command


class ClusterBackendCommands:
    """0.4's cluster methods on ``ClusterValkeyCache``, with ``a``-twins on its async client."""

    client: Any

    def keyslot(self, key: Any, version: Any = None) -> int:
        """The hash slot of the made ``key``."""
        return int(self.client.keyslot(key, version=version))

    mget_nonatomic = delegate("mget_nonatomic", "client")
    mset_nonatomic = delegate("mset_nonatomic", "client")
    msetnx = delegate("msetnx", "client")
    readonly = delegate("readonly", "client")
    readwrite = delegate("readwrite", "client")
    flushall = delegate("flushall", "client")
    amget_nonatomic = delegate("mget_nonatomic", "async_client")
    amset_nonatomic = delegate("mset_nonatomic", "async_client")
    amsetnx = delegate("msetnx", "async_client")
    areadonly = delegate("readonly", "async_client")
    areadwrite = delegate("readwrite", "async_client")
    aflushall = delegate("flushall", "async_client")


class AsyncClusterBackendCommands:
    """0.4's cluster methods on ``AsyncClusterValkeyCache``: coroutines, also by ``a``-name."""

    client: Any

    def keyslot(self, key: Any, version: Any = None) -> int:
        """The hash slot of the made ``key`` (no I/O: not a coroutine)."""
        return int(self.client.keyslot(key, version=version))

    mget_nonatomic = amget_nonatomic = delegate("mget_nonatomic", "client")
    mset_nonatomic = amset_nonatomic = delegate("mset_nonatomic", "client")
    msetnx = amsetnx = delegate("msetnx", "client")
    readonly = areadonly = delegate("readonly", "client")
    readwrite = areadwrite = delegate("readwrite", "client")
    flushall = aflushall = delegate("flushall", "client")


__all__ = [
    "CLUSTER_COMMANDS",
    "AsyncClusterBackendCommands",
    "AsyncClusterClientCommands",
    "ClusterBackendCommands",
    "ClusterClientCommands",
]
