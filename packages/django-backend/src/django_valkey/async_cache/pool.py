"""The asyncio connection factories: pools per event loop, client objects shared per pool."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from valkey_cache.core.async_pool import AsyncConnectionFactory as CoreAsyncConnectionFactory
from valkey_cache.core.sentinel_pool import (
    AsyncSentinelConnectionFactory as CoreAsyncSentinelConnectionFactory,
)

from ..exceptions import as_improperly_configured
from ..sharing import AsyncSharedClients


class AsyncConnectionFactory(AsyncSharedClients, CoreAsyncConnectionFactory):
    path_pool_cls = "valkey.asyncio.connection.ConnectionPool"
    path_base_cls = "valkey.asyncio.client.Valkey"


class AsyncSentinelConnectionFactory(AsyncSharedClients, CoreAsyncSentinelConnectionFactory):
    """django-valkey 0.4's path for the asyncio Sentinel factory: the default of
    ``AsyncSentinelClient`` (and of ``SentinelClient``'s async methods). A bad option
    (no ``SENTINELS``) is ``ImproperlyConfigured``, as in 0.4."""

    def __init__(self, options: Mapping[str, Any]) -> None:
        with as_improperly_configured():
            super().__init__(options)


__all__ = ["AsyncConnectionFactory", "AsyncSentinelConnectionFactory"]
