"""The asyncio connection factory: pools per event loop, client objects shared per pool."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from valkey.asyncio import Valkey as AsyncValkey

from valkey_cache.core.async_pool import AsyncConnectionFactory as CoreAsyncConnectionFactory

from ..pool import SharedFactory, client_identity, disconnect_idle, shared_client


class AsyncConnectionFactory(SharedFactory, CoreAsyncConnectionFactory):
    path_pool_cls = "valkey.asyncio.connection.ConnectionPool"
    path_base_cls = "valkey.asyncio.client.Valkey"

    def __init__(self, options: Mapping[str, Any]) -> None:
        if self.built_for(options):
            return
        super().__init__(options)
        self._client_identity = client_identity(self)
        self.share(options)

    async def get_connection(self, params: dict[str, Any]) -> AsyncValkey:
        pool = self.get_or_create_connection_pool(params)
        client: AsyncValkey = shared_client(self, pool, self._client_identity)
        return client

    async def disconnect(self, connection: AsyncValkey) -> None:
        await disconnect_idle(connection.connection_pool)


__all__ = ["AsyncConnectionFactory"]
