"""``AsyncClusterValkeyCache``: the Valkey Cluster backend with every method a coroutine."""

from __future__ import annotations

from valkey.asyncio.cluster import ValkeyCluster as AsyncValkeyCluster

from ...base import AsyncBackendCommands, BaseValkeyCache
from ...cluster_cache.commands import AsyncClusterBackendCommands
from .client import AsyncDefaultClusterClient


class AsyncClusterValkeyCache(  # type: ignore[misc]
    BaseValkeyCache[AsyncDefaultClusterClient, AsyncValkeyCluster],
    AsyncBackendCommands,
    AsyncClusterBackendCommands,
):
    DEFAULT_CLIENT_CLASS = "django_valkey.async_cache.cluster_cache.client.AsyncDefaultClusterClient"


__all__ = ["AsyncClusterValkeyCache"]
