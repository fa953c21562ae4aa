"""Valkey Cluster clients: valkey-py's cluster client routes each key to its slot's node.

It follows MOVED/ASK, refreshes the topology after a failover and, with
``READ_FROM_REPLICAS``, reads from replicas. What is left here: multi-key commands split
by slot (``key_groups``) and the commands that visit every primary (SCAN, KEYS,
FLUSHDB), sent to one node at a time. The cluster has no MULTI across slots, so
``mset`` with a timeout sets each key with its expiry in one step instead.
LOCATION is any node's URL; more entries are extra startup nodes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

from valkey.crc import key_slot

from ..cluster_pool import CLUSTER_OPTIONS
from ..commands.fanout import ClusterCommands
from ..commands.ops import Op
from ..commands.routes import ALL_NODES, Node
from .asynchronous import AsyncClientCommands
from .base import BaseClient
from .distributed import DistributedClient, KeyGroups
from .sync import ClientCommands

if TYPE_CHECKING:
    from valkey.asyncio.cluster import ValkeyCluster as AsyncValkeyCluster
    from valkey.cluster import ValkeyCluster

Backend = TypeVar("Backend")


def slot_of(key: Any) -> int:
    """The hash slot of a made key."""
    return key_slot(key if isinstance(key, bytes) else str(key).encode())


class ClusterPlacement(DistributedClient[Backend]):
    """Keys split by hash slot; one cluster client serves them all."""

    TRANSACTIONS = False
    OPTIONS = BaseClient.OPTIONS | frozenset(CLUSTER_OPTIONS)

    def get_next_client_index(self, write: bool = True, tried: list[int] | None = None) -> int:
        return 0

    def key_groups(self, keys: list[Any]) -> KeyGroups:
        slots: dict[int, list[Any]] = {}
        for key in keys:
            slots.setdefault(slot_of(key), []).append(key)
        return [(keys[0], list(slots.values()))]

    def node_key_groups(self, node: Any, keys: list[Any]) -> KeyGroups:
        return self.key_groups(keys)

    def keyslot(self, key: Any, version: Any = None) -> int:
        """The hash slot of the made ``key``."""
        return slot_of(self.server_key(key, version=version))


class ClusterNodeView:
    """One primary, for the commands sent to every primary in turn."""

    def __init__(self, cluster: ValkeyCluster, node: Any) -> None:
        self._cluster = cluster
        self.node = node
        self.nodes_manager = cluster.nodes_manager  # errors then name the cluster

    def scan(self, cursor: int = 0, match: Any = None, count: int | None = None) -> tuple[int, list[bytes]]:
        reply: Any = self._cluster.scan(cursor, match=match, count=count, target_nodes=self.node)
        cursors, keys = reply
        return next(iter(cursors.values()), 0), keys

    def keys(self, pattern: Any) -> list[bytes]:
        found: Any = self._cluster.keys(pattern, target_nodes=self.node)
        return list(found)

    def flushdb(self) -> bool:
        return bool(self._cluster.flushdb(target_nodes=self.node))


class AsyncClusterNodeView:
    """:class:`ClusterNodeView` for ``valkey.asyncio``."""

    def __init__(self, cluster: AsyncValkeyCluster, node: Any) -> None:
        self._cluster = cluster
        self.node = node
        self.nodes_manager = cluster.nodes_manager

    async def scan(
        self, cursor: int = 0, match: Any = None, count: int | None = None
    ) -> tuple[int, list[bytes]]:
        cursors, keys = await self._cluster.scan(cursor, match=match, count=count, target_nodes=self.node)
        return next(iter(cursors.values()), 0), keys

    async def keys(self, pattern: Any) -> list[bytes]:
        found: Any = await self._cluster.keys(pattern, target_nodes=self.node)
        return list(found)

    async def flushdb(self) -> bool:
        return bool(await self._cluster.flushdb(target_nodes=self.node))


class ClusterClient(ClusterCommands, ClusterPlacement["ValkeyCluster"], ClientCommands["ValkeyCluster"]):
    """Blocking cluster client; ``get_client`` returns the ``ValkeyCluster``."""

    CONNECTION_FACTORY_PATH = "valkey_cache.core.cluster_pool.ClusterConnectionFactory"

    def connect(self, index: int = 0) -> ValkeyCluster:
        first, *others = self._server
        if others:
            return self.connection_factory.connect(first, others)  # type: ignore[no-any-return]
        return self.connection_factory.connect(first)  # type: ignore[no-any-return]

    def get_client(
        self, write: bool = True, tried: list[int] | None = None, key: Any = None
    ) -> ValkeyCluster:
        client = self._clients[0]
        if client is None:
            client = self._clients[0] = self.connect()
        return client

    def _connection_for(self, op: Op[Any]) -> Any:
        cluster = self.get_client()
        if isinstance(op.route, Node):
            return ClusterNodeView(cluster, op.route.handle)
        return cluster


class AsyncClusterClient(
    ClusterCommands,
    ClusterPlacement["AsyncValkeyCluster"],
    AsyncClientCommands["AsyncValkeyCluster"],
):
    """Asyncio cluster client (one ``valkey.asyncio.ValkeyCluster`` per event loop)."""

    CONNECTION_FACTORY_PATH = "valkey_cache.core.cluster_pool.AsyncClusterConnectionFactory"

    async def connect(self, index: int = 0) -> AsyncValkeyCluster:
        first, *others = self._server
        if others:
            return await self.connection_factory.connect(first, others)  # type: ignore[no-any-return]
        return await self.connection_factory.connect(first)  # type: ignore[no-any-return]

    async def get_client(
        self, write: bool = True, tried: list[int] | None = None, key: Any = None
    ) -> AsyncValkeyCluster:
        clients = self._clients_here()
        client = clients[0]
        if client is None:
            client = clients[0] = await self.connect()
        return client  # type: ignore[no-any-return]

    async def _connection_for(self, op: Op[Any]) -> Any:
        cluster = await self.get_client()
        if op.route is ALL_NODES:
            await cluster.initialize()  # a no-op unless a failure asked for a new topology
        elif isinstance(op.route, Node):
            return AsyncClusterNodeView(cluster, op.route.handle)
        return cluster
