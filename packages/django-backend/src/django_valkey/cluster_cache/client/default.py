"""The blocking cluster client (django-valkey 0.4's path): the core's ``ClusterClient``
(keys split by hash slot, commands that visit every primary) with 0.4's extra methods."""

from __future__ import annotations

from valkey.cluster import ValkeyCluster

from valkey_cache.core.client.cluster import ClusterClient as CoreClusterClient

from ...base_client import BaseClient
from ..commands import ClusterClientCommands


class DefaultClusterClient(ClusterClientCommands, BaseClient[ValkeyCluster], CoreClusterClient):
    CONNECTION_FACTORY_PATH = "django_valkey.cluster_cache.pool.ClusterConnectionFactory"
    GLOBAL_FACTORY_BASE = "valkey_cache.core.cluster_pool.ClusterConnectionFactory"


__all__ = ["DefaultClusterClient"]
