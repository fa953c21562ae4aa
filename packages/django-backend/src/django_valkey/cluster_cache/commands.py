"""django-valkey 0.4's extra cluster methods, written once for the sync and async clients.

``mget_nonatomic`` and ``mset_nonatomic`` are ``get_many`` and ``mset`` (both already
split by hash slot); ``msetnx`` needs its keys in one slot (give them a ``{tag}``);
``readonly``, ``readwrite`` and ``flushall`` are the ``ValkeyCluster`` commands.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from valkey_cache.core.commands import fanout
from valkey_cache.core.commands.declare import EVERY_KEY, CommandTable, command, keys, mapping
from valkey_cache.core.commands.fanout import ClusterCommands
from valkey_cache.core.commands.ops import Logic, Op, run, write

#: The methods of 0.4's cluster client beyond the other clients', on the cache too.
CLUSTER_COMMANDS = ("msetnx", "mget_nonatomic", "mset_nonatomic", "readonly", "readwrite", "flushall")


def cmd_mget_nonatomic(
    c: Any, keys: Iterable[Any], version: Any = None, client: Any = None
) -> Logic[dict[Any, Any]]:
    """``get_many``: one MGET per hash slot."""
    return (yield from fanout.cmd_get_many(c, keys, version, client))


def cmd_mset_nonatomic(
    c: Any, data: Mapping[Any, Any], version: Any = None, client: Any = None
) -> Logic[bool]:
    """MSET per hash slot, without expiry (as 0.4); True."""
    yield from run(fanout.cmd_mset(c, data, None, version, client))
    return True


def cmd_msetnx(c: Any, data: Mapping[Any, Any], version: Any = None, client: Any = None) -> Logic[bool]:
    """Set every key only if none exists (MSETNX); the keys must share a hash slot."""
    if not data:
        return False
    mapping = {c.server_key(k, version=version): c.encode(v) for k, v in data.items()}
    return bool((yield write("msetnx", next(iter(mapping)), mapping)))


def cmd_readonly(c: Any, target_nodes: Any = None, client: Any = None) -> Op[Any]:
    """READONLY on the cluster's connections (reads from replicas)."""
    return write("readonly", None, target_nodes)


def cmd_readwrite(c: Any, target_nodes: Any = None, client: Any = None) -> Op[Any]:
    """READWRITE: back to reading from primaries."""
    return write("readwrite", None, target_nodes)


def cmd_flushall(c: Any, asynchronous: bool = False, client: Any = None) -> Op[Any]:
    """FLUSHALL on every primary: every key of the cluster, whatever its prefix."""
    return write("flushall", None, asynchronous=asynchronous)


class ClusterExtras(CommandTable):
    """The declarations of 0.4's cluster commands."""

    mget_nonatomic = command(cmd_mget_nonatomic, outage=dict, reads=keys("keys"))
    mset_nonatomic = command(cmd_mset_nonatomic, outage=False, writes=mapping("data"))
    msetnx = command(cmd_msetnx, outage=False, writes=mapping("data"))
    readonly = command(cmd_readonly)
    readwrite = command(cmd_readwrite)
    flushall = command(cmd_flushall, outage=False, writes=EVERY_KEY)


class ClusterClientCommands(ClusterExtras):
    """The blocking cluster client's extras; list before the core client in the bases."""


class AsyncClusterClientCommands(ClusterExtras):
    """The asyncio cluster client's extras; list before the core client in the bases."""


class ClusterBackendCommands(ClusterExtras, ClusterCommands):
    """0.4's cluster methods (and ``keys`` with ``target_nodes``) on ``ClusterValkeyCache``,
    with ``a``-twins on its async client."""

    client: Any

    def keyslot(self, key: Any, version: Any = None) -> int:
        """The hash slot of the made ``key``."""
        return int(self.client.keyslot(key, version=version))


class AsyncClusterBackendCommands(ClusterExtras, ClusterCommands):
    """0.4's cluster methods on ``AsyncClusterValkeyCache``: coroutines, also by ``a``-name."""

    client: Any

    def keyslot(self, key: Any, version: Any = None) -> int:
        """The hash slot of the made ``key`` (no I/O: not a coroutine)."""
        return int(self.client.keyslot(key, version=version))


__all__ = [
    "CLUSTER_COMMANDS",
    "AsyncClusterBackendCommands",
    "AsyncClusterClientCommands",
    "ClusterBackendCommands",
    "ClusterClientCommands",
    "ClusterExtras",
]
