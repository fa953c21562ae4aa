"""The blocking connection factory used by ``ValkeyCache``.

Django builds a cache (and so a client) per thread and per request context; the
valkey-py client object on a pool is shared by all of them, so a new cache instance
costs no new ``Valkey()``. Closing (``CLOSE_CONNECTION``) disconnects the pool's idle
connections only, never one that another thread or task is using.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from valkey_cache.core.pool import ConnectionFactory as CoreConnectionFactory
from valkey_cache.core.pool import get_connection_factory

from .settings import ParsedOptions

if TYPE_CHECKING:
    from valkey import Valkey

_SHARED_ATTR = "_django_valkey_clients"

# Factories by (class, id of the ParsedOptions they were built from).
_FACTORIES: dict[tuple[type, int], Any] = {}
_MAX_FACTORIES = 512


class SharedFactory:
    """A factory is immutable once built: one instance serves every client built from
    the same :class:`~django_valkey.settings.ParsedOptions` (one per cache instance)."""

    options: Mapping[str, Any]

    def __new__(cls, options: Mapping[str, Any]) -> Any:
        found = _FACTORIES.get((cls, id(options)))
        if found is not None and found.options is options:
            return found
        return super().__new__(cls)

    def built_for(self, options: Mapping[str, Any]) -> bool:
        """True when this (shared) instance is already built from ``options``."""
        return self.__dict__.get("options") is options

    def share(self, options: Mapping[str, Any]) -> None:
        if isinstance(options, ParsedOptions):
            if len(_FACTORIES) >= _MAX_FACTORIES:
                _FACTORIES.clear()
            _FACTORIES[(type(self), id(options))] = self


class ConnectionFactory(SharedFactory, CoreConnectionFactory):
    path_pool_cls = "valkey.connection.ConnectionPool"
    path_base_cls = "valkey.client.Valkey"

    def __init__(self, options: Mapping[str, Any]) -> None:
        if self.built_for(options):
            return
        super().__init__(options)
        self._client_identity = client_identity(self)
        self.share(options)

    def get_connection(self, params: dict[str, Any]) -> Valkey:
        pool = self.get_or_create_connection_pool(params)
        client: Valkey = shared_client(self, pool, self._client_identity)
        return client

    def disconnect(self, connection: Valkey) -> None:
        disconnect_idle(connection.connection_pool)


def client_identity(factory: Any) -> tuple[Any, ...] | None:
    """What makes two valkey-py clients on one pool interchangeable; None: never share."""
    kwargs = factory.base_client_cls_kwargs
    if kwargs.get("single_connection_client"):
        return None
    return (factory.base_client_cls, repr(sorted(kwargs.items())))


def shared_client(factory: Any, pool: Any, identity: tuple[Any, ...] | None) -> Any:
    """The valkey-py client of ``factory``'s kind on ``pool``, created once.

    Kept on the pool itself, so it lives exactly as long as the pool (pools of an
    event loop go away with the loop).
    """
    if identity is None:
        return factory.base_client_cls(connection_pool=pool, **factory.base_client_cls_kwargs)
    store = getattr(pool, "__dict__", None)
    if store is None:
        return factory.base_client_cls(connection_pool=pool, **factory.base_client_cls_kwargs)
    clients: dict[tuple[Any, ...], Any] = store.setdefault(_SHARED_ATTR, {})
    client = clients.get(identity)
    if client is None:
        client = clients.setdefault(
            identity, factory.base_client_cls(connection_pool=pool, **factory.base_client_cls_kwargs)
        )
    return client


def disconnect_idle(pool: Any) -> Any:
    """``pool.disconnect(inuse_connections=False)``; awaitable for asyncio pools."""
    try:
        return pool.disconnect(False)
    except TypeError:
        return pool.disconnect()


__all__ = ["ConnectionFactory", "SharedFactory", "get_connection_factory"]
