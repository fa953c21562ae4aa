"""The asyncio connection factory: pools per event loop, shared within a loop."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from valkey.asyncio import Valkey as AsyncValkey
from valkey.asyncio.connection import ConnectionPool as AsyncConnectionPool

from .loop_local import LoopLocal
from .pool import BaseConnectionFactory, parser_class


async def _close_pools(pools: dict[tuple[Any, ...], Any]) -> None:
    for pool in list(pools.values()):  # pools, or cluster clients (cluster_pool)
        await pool.aclose()


#: This loop's pools by identity; closed when the loop ends.
LOOP_POOLS: LoopLocal[dict[tuple[Any, ...], Any]] = LoopLocal(dict, _close_pools)


class AsyncConnectionFactory(BaseConnectionFactory[AsyncValkey, AsyncConnectionPool]):
    """valkey.asyncio's client; each event loop gets its own pools."""

    path_pool_cls = "valkey.asyncio.connection.ConnectionPool"
    path_base_cls = "valkey.asyncio.client.Valkey"
    retry_cls_path = "valkey.asyncio.retry.Retry"

    def __init__(self, options: Mapping[str, Any]) -> None:
        super().__init__(options)
        parser_class(options, asynchronous=True)

    def get_or_create_connection_pool(self, params: dict[str, Any]) -> AsyncConnectionPool:
        pools = LOOP_POOLS.get()
        key = self.pool_key(params)
        pool = pools.get(key)
        if pool is None:
            pool = pools[key] = self.get_connection_pool(params)
        return pool

    async def connect(self, url: str) -> AsyncValkey:
        return await self.get_connection(self.make_connection_params(url))

    async def get_connection(self, params: dict[str, Any]) -> AsyncValkey:
        pool = self.get_or_create_connection_pool(params)
        return self.base_client_cls(connection_pool=pool, **self.base_client_cls_kwargs)

    async def disconnect(self, connection: AsyncValkey) -> None:
        await connection.connection_pool.disconnect()

    def get_parser_cls(self) -> type[Any]:
        found = parser_class(self.options, asynchronous=True)
        if found is not None:
            return found
        from valkey.asyncio.connection import DefaultParser

        return DefaultParser
