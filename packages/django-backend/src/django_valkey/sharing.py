"""Connection factories and valkey-py clients shared by every cache instance.

Django builds a cache (and so a client) per thread and per request context. A factory
is immutable once built, so one instance serves every client built from the same
:class:`~django_valkey.settings.ParsedOptions` (one per ``CACHES`` entry); and the
valkey-py client object on a pool is shared too, so a new cache instance costs no new
``Valkey()``. Closing (``CLOSE_CONNECTION``) disconnects a pool's idle connections only,
never one that another thread or task is using.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cached_property
from typing import Any

from valkey_cache.core.pool import BaseConnectionFactory

from .settings import ParsedOptions

_SHARED_ATTR = "_django_valkey_clients"

# Factories by (class, id of the ParsedOptions they were built from).
_FACTORIES: dict[tuple[type, int], Any] = {}
_MAX_FACTORIES = 512


class SharedFactory(BaseConnectionFactory[Any, Any]):
    """List first in the bases of a factory: built once per options object."""

    options: Mapping[str, Any]

    def __new__(cls, options: Mapping[str, Any]) -> Any:
        found = _FACTORIES.get((cls, id(options)))
        if found is not None and found.options is options:
            return found
        return super().__new__(cls)

    def __init__(self, options: Mapping[str, Any]) -> None:
        if self.built_for(options):
            return
        super().__init__(options)
        self.share(options)

    def built_for(self, options: Mapping[str, Any]) -> bool:
        """True when this (shared) instance is already built from ``options``."""
        return self.__dict__.get("options") is options

    def share(self, options: Mapping[str, Any]) -> None:
        if isinstance(options, ParsedOptions):
            if len(_FACTORIES) >= _MAX_FACTORIES:
                _FACTORIES.clear()
            _FACTORIES[(type(self), id(options))] = self


class SharedClients(SharedFactory):
    """A shared factory whose blocking valkey-py client is shared per pool."""

    @cached_property
    def _client_identity(self) -> tuple[Any, ...] | None:
        return client_identity(self)

    def get_connection(self, params: dict[str, Any]) -> Any:
        pool = self.get_or_create_connection_pool(params)
        return shared_client(self, pool, self._client_identity)

    def disconnect(self, connection: Any) -> None:
        disconnect_idle(connection.connection_pool)


class AsyncSharedClients(SharedFactory):
    """:class:`SharedClients` for valkey.asyncio (pools per event loop)."""

    @cached_property
    def _client_identity(self) -> tuple[Any, ...] | None:
        return client_identity(self)

    async def get_connection(self, params: dict[str, Any]) -> Any:
        pool = self.get_or_create_connection_pool(params)
        return shared_client(self, pool, self._client_identity)

    async def disconnect(self, connection: Any) -> None:
        await disconnect_idle(connection.connection_pool)


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


__all__ = ["AsyncSharedClients", "SharedClients", "SharedFactory"]
