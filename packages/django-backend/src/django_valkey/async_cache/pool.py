"""The asyncio connection factories: pools per event loop, client objects shared per pool."""

from __future__ import annotations

from valkey_cache.core.async_pool import AsyncConnectionFactory as CoreAsyncConnectionFactory
from valkey_cache.core.sentinel_pool import (
    AsyncSentinelConnectionFactory as CoreAsyncSentinelConnectionFactory,
)

from ..sharing import AsyncSharedClients


class AsyncConnectionFactory(AsyncSharedClients, CoreAsyncConnectionFactory):
    path_pool_cls = "valkey.asyncio.connection.ConnectionPool"
    path_base_cls = "valkey.asyncio.client.Valkey"


class AsyncSentinelConnectionFactory(AsyncSharedClients, CoreAsyncSentinelConnectionFactory):
    """django-valkey 0.4's path for the asyncio Sentinel factory: the default of
    ``AsyncSentinelClient`` (and of ``SentinelClient``'s async methods)."""


__all__ = ["AsyncConnectionFactory", "AsyncSentinelConnectionFactory"]
