"""Client-side sharding: each key on one of the LOCATION servers, by a consistent hash ring.

Placement is django-valkey 0.4's (see ``hash_ring``): the made key, or its ``{tag}``,
hashed onto the ring of LOCATION entries, so keys stay where 0.4 put them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, TypeVar

from valkey import Valkey
from valkey.asyncio import Valkey as AsyncValkey

from ..commands.fanout import DistributedCommands
from ..commands.ops import Op
from ..commands.routes import ALL_NODES, Node
from .asynchronous import AsyncClientCommands
from .distributed import DistributedClient, KeyGroups
from .hash_ring import HashRing, placement_key
from .sync import ClientCommands

Backend = TypeVar("Backend")


class ShardPlacement(DistributedClient[Backend]):
    """Where keys live; the connections come from the sync or async subclass."""

    RING_REPLICAS: ClassVar[int] = 128

    def __init__(self, server: Any, params: Mapping[str, Any], backend: Any) -> None:
        super().__init__(server, params, backend)
        self._ring = HashRing(self._server, self.RING_REPLICAS)
        self._index_of: dict[str, int] = {}
        for index, name in enumerate(self._server):
            self._index_of.setdefault(name, index)

    def get_server_name(self, key: Any) -> str:
        """The LOCATION entry that holds ``key`` (taken as given: pass a made key)."""
        text = key.decode() if isinstance(key, bytes) else str(key)
        return self._ring.get_node(placement_key(text))

    def shard_index(self, key: Any) -> int:
        return self._index_of[self.get_server_name(key)]

    def key_groups(self, keys: list[Any]) -> KeyGroups:
        shards: dict[int, list[Any]] = {}
        for key in keys:
            shards.setdefault(self.shard_index(key), []).append(key)
        return [(Node(index), [batch]) for index, batch in shards.items()]

    def get_primaries(self) -> list[int]:
        """Handles of every shard (answers the ``list_nodes`` op)."""
        return list(range(len(self._server)))

    def _route_index(self, route: Any) -> int:
        return int(route.handle) if isinstance(route, Node) else self.shard_index(route)


class ShardClient(DistributedCommands, ShardPlacement[Valkey], ClientCommands[Valkey]):
    """Blocking sharded client: ``LOCATION`` lists the servers."""

    CONNECTION_FACTORY_PATH = "valkey_cache.core.pool.ConnectionFactory"

    def get_client(self, write: bool = True, tried: list[int] | None = None, key: Any = None) -> Valkey:
        """The server of ``key``, placed as given (``str(key)``, its ``{tag}`` if any)."""
        return self._shard(self.shard_index(key))

    @property
    def _server_dict(self) -> dict[str, Valkey]:
        """django-valkey 0.4's ``{LOCATION entry: connection}`` of every shard, connecting
        those not connected yet."""
        return {name: self._shard(index) for name, index in self._index_of.items()}

    def _shard(self, index: int) -> Valkey:
        client = self._clients[index]
        if client is None:
            client = self._clients[index] = self.connect(index)
        return client

    def _connection_for(self, op: Op[Any]) -> Any:
        if op.route is ALL_NODES:
            return self
        return self._shard(self._route_index(op.route))


class AsyncShardClient(DistributedCommands, ShardPlacement[AsyncValkey], AsyncClientCommands[AsyncValkey]):
    """Asyncio sharded client, placing keys exactly as :class:`ShardClient` does."""

    CONNECTION_FACTORY_PATH = "valkey_cache.core.async_pool.AsyncConnectionFactory"

    async def get_client(
        self, write: bool = True, tried: list[int] | None = None, key: Any = None
    ) -> AsyncValkey:
        return await self._shard(self.shard_index(key))

    async def _shard(self, index: int) -> AsyncValkey:
        clients = self._clients_here()
        client = clients[index]
        if client is None:
            client = clients[index] = await self.connect(index)
        return client  # type: ignore[no-any-return]

    async def _connection_for(self, op: Op[Any]) -> Any:
        if op.route is ALL_NODES:
            return self
        return await self._shard(self._route_index(op.route))
