"""The connection factory base class (the core's).

Subclasses set ``path_pool_cls`` and ``path_base_cls`` and implement ``connect``,
``disconnect``, ``get_connection`` (sync or async) and ``get_parser_cls`` (sync)::

    class ConnectionFactory(BaseConnectionFactory[Valkey, ConnectionPool]):
        path_pool_cls = "valkey.connection.ConnectionPool"
        path_base_cls = "valkey.client.Valkey"
"""

from __future__ import annotations

from valkey_cache.core.pool import Base, BaseConnectionFactory, Pool

__all__ = ["Base", "BaseConnectionFactory", "Pool"]
