"""``AsyncClusterValkeyCache``: the Valkey Cluster backend with every method a coroutine."""

from __future__ import annotations

from valkey.asyncio.cluster import ValkeyCluster as AsyncValkeyCluster

from ...base import AsyncBackendCommands, BaseValkeyCache
from ...cluster_cache.commands import AsyncClusterBackendCommands
from .client import AsyncDefaultClusterClient


class AsyncClusterValkeyCache(
    BaseValkeyCache[AsyncDefaultClusterClient, AsyncValkeyCluster],
    AsyncClusterBackendCommands,
    AsyncBackendCommands,
):
    DEFAULT_CLIENT_CLASS = "django_valkey.async_cache.cluster_cache.client.AsyncDefaultClusterClient"


__all__ = ["AsyncClusterValkeyCache"]
