"""``ClusterValkeyCache``: the Valkey Cluster backend, sync with native async ``a``-methods.

``LOCATION`` is any node's URL (more entries are extra startup nodes). Multi-key
commands are split by hash slot; ``keys``, ``iter_keys``, ``delete_pattern`` and
``clear`` visit every primary. See docs/topologies.md.
"""

from __future__ import annotations

from valkey.cluster import ValkeyCluster

from ..base import BackendCommands, BaseValkeyCache
from .client import DefaultClusterClient
from .commands import ClusterBackendCommands


class ClusterValkeyCache(  # type: ignore[misc]
    BaseValkeyCache[DefaultClusterClient, ValkeyCluster], BackendCommands, ClusterBackendCommands
):
    DEFAULT_CLIENT_CLASS = "django_valkey.cluster_cache.client.DefaultClusterClient"


__all__ = ["ClusterValkeyCache"]
