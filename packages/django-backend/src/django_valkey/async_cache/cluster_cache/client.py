"""The asyncio cluster client: the core's ``AsyncClusterClient`` with 0.4's extra methods.

Also the client behind ``ClusterValkeyCache``'s ``a``-methods.
"""

from __future__ import annotations

from valkey.asyncio.cluster import ValkeyCluster as AsyncValkeyCluster

from valkey_cache.core.client.cluster import AsyncClusterClient as CoreAsyncClusterClient

from ...base_client import BaseClient
from ...cluster_cache.commands import AsyncClusterClientCommands


class AsyncDefaultClusterClient(
    AsyncClusterClientCommands, BaseClient[AsyncValkeyCluster], CoreAsyncClusterClient
):
    CONNECTION_FACTORY_PATH = "django_valkey.async_cache.cluster_cache.pool.AsyncClusterConnectionFactory"
    GLOBAL_FACTORY_BASE = "valkey_cache.core.cluster_pool.AsyncClusterConnectionFactory"


__all__ = ["AsyncDefaultClusterClient"]
