"""The blocking cluster connection factory (django-valkey 0.4's path).

The core's ``ClusterConnectionFactory``: one ``ValkeyCluster`` per ``LOCATION`` and
options, shared by the process. Built once per ``CACHES`` entry.
"""

from __future__ import annotations

from valkey_cache.core.cluster_pool import ClusterConnectionFactory as CoreClusterConnectionFactory

from ..sharing import SharedFactory


class ClusterConnectionFactory(SharedFactory, CoreClusterConnectionFactory):
    pass


__all__ = ["ClusterConnectionFactory"]
