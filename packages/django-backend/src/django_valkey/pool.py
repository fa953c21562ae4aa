"""The blocking connection factories: one server, and Sentinel-managed servers.

Built once per ``CACHES`` entry and shared with the valkey-py client on each pool (see
``django_valkey.sharing``), so a new cache instance opens nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from valkey_cache.core.pool import ConnectionFactory as CoreConnectionFactory
from valkey_cache.core.pool import get_connection_factory as core_get_connection_factory
from valkey_cache.core.sentinel_pool import SentinelConnectionFactory as CoreSentinelConnectionFactory

from .exceptions import as_improperly_configured
from .settings import CONNECTION_FACTORY_SETTING
from .sharing import SharedClients, SharedFactory


class ConnectionFactory(SharedClients, CoreConnectionFactory):
    path_pool_cls = "valkey.connection.ConnectionPool"
    path_base_cls = "valkey.client.Valkey"


class SentinelConnectionFactory(SharedClients, CoreSentinelConnectionFactory):
    """django-valkey 0.4's path for the Sentinel factory (``SENTINELS``, ``SENTINEL_KWARGS``):
    the default of ``SentinelClient``, and a value for ``DJANGO_VALKEY_CONNECTION_FACTORY``.
    A bad option (no ``SENTINELS``) is ``ImproperlyConfigured``, as in 0.4."""

    def __init__(self, options: Mapping[str, Any]) -> None:
        with as_improperly_configured():
            super().__init__(options)


DEFAULT_CONNECTION_FACTORY = "django_valkey.pool.ConnectionFactory"


def get_connection_factory(path: Any = None, options: Mapping[str, Any] | None = None) -> Any:
    """A factory as 0.4 builds one: ``options["CONNECTION_FACTORY"]``, else ``path``, else the
    ``DJANGO_VALKEY_CONNECTION_FACTORY`` setting, else ``ConnectionFactory``."""
    if path is None:
        from django.conf import settings

        path = getattr(settings, CONNECTION_FACTORY_SETTING, None) or DEFAULT_CONNECTION_FACTORY
    with as_improperly_configured():
        return core_get_connection_factory(path, {} if options is None else options)


__all__ = ["ConnectionFactory", "SentinelConnectionFactory", "SharedFactory", "get_connection_factory"]
