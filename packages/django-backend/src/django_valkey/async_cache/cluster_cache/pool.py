"""The asyncio cluster connection factory: one ``valkey.asyncio.ValkeyCluster`` per
``LOCATION``, options and event loop. Built once per ``CACHES`` entry."""

from __future__ import annotations

from valkey_cache.core.cluster_pool import AsyncClusterConnectionFactory as CoreAsyncClusterConnectionFactory

from ...sharing import SharedFactory


class AsyncClusterConnectionFactory(SharedFactory, CoreAsyncClusterConnectionFactory):
    pass


__all__ = ["AsyncClusterConnectionFactory"]
