"""The blocking connection factories: one server, and Sentinel-managed servers.

Built once per ``CACHES`` entry and shared with the valkey-py client on each pool (see
``django_valkey.sharing``), so a new cache instance opens nothing.
"""

from __future__ import annotations

from valkey_cache.core.pool import ConnectionFactory as CoreConnectionFactory
from valkey_cache.core.pool import get_connection_factory
from valkey_cache.core.sentinel_pool import SentinelConnectionFactory as CoreSentinelConnectionFactory

from .sharing import SharedClients, SharedFactory


class ConnectionFactory(SharedClients, CoreConnectionFactory):
    path_pool_cls = "valkey.connection.ConnectionPool"
    path_base_cls = "valkey.client.Valkey"


class SentinelConnectionFactory(SharedClients, CoreSentinelConnectionFactory):
    """django-valkey 0.4's path for the Sentinel factory (``SENTINELS``, ``SENTINEL_KWARGS``):
    the default of ``SentinelClient``, and a value for ``DJANGO_VALKEY_CONNECTION_FACTORY``."""


__all__ = ["ConnectionFactory", "SentinelConnectionFactory", "SharedFactory", "get_connection_factory"]
