"""Sentinel clients: writes go to the master the sentinels name now, reads may go to replicas.

LOCATION names the service: ``valkey://mymaster/0`` (password, if any, in the URL or
``PASSWORD``). Add locations with ``?is_master=0`` to read from replicas, as
django-valkey documents; without one, reads go to the master too. Whatever the order
given, the master location comes first, so writes never reach a replica.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from valkey import Valkey
from valkey.asyncio import Valkey as AsyncValkey
from valkey.asyncio.sentinel import SentinelConnectionPool as AsyncSentinelConnectionPool
from valkey.sentinel import SentinelConnectionPool

from ..exceptions import ConfigurationError
from ..sentinel_pool import SENTINEL_OPTIONS, url_role
from .asynchronous import AsyncClientCommands
from .base import BaseClient, split_locations
from .sync import ClientCommands

Backend = TypeVar("Backend")


def sentinel_locations(server: Any) -> list[str]:
    """Master location first (made from the first replica location if none is given)."""
    locations = split_locations(server)
    masters = [url for url in locations if url_role(url)[1]]
    replicas = [url for url in locations if not url_role(url)[1]]
    if not masters:
        masters = [url_role(replicas[0])[0]]
    return masters + replicas


class SentinelLocations(BaseClient[Backend]):
    OPTIONS = BaseClient.OPTIONS | frozenset(SENTINEL_OPTIONS)

    def __init__(self, server: Any, params: Mapping[str, Any], backend: Any) -> None:
        super().__init__(sentinel_locations(server), params, backend)

    def _check_pool(self, client: Any, pool_cls: type[Any]) -> None:
        if not isinstance(client.connection_pool, pool_cls):
            raise ConfigurationError(
                "CONNECTION_FACTORY",
                type(self.connection_factory).__name__,
                f"a factory making {pool_cls.__module__}.{pool_cls.__name__} pools",
            )


class SentinelClient(SentinelLocations[Valkey], ClientCommands[Valkey]):
    """Blocking Sentinel client."""

    CONNECTION_FACTORY_PATH = "valkey_cache.core.sentinel_pool.SentinelConnectionFactory"

    def connect(self, index: int = 0) -> Valkey:
        client = super().connect(index)
        self._check_pool(client, SentinelConnectionPool)
        return client


class AsyncSentinelClient(SentinelLocations[AsyncValkey], AsyncClientCommands[AsyncValkey]):
    """Asyncio Sentinel client."""

    CONNECTION_FACTORY_PATH = "valkey_cache.core.sentinel_pool.AsyncSentinelConnectionFactory"

    async def connect(self, index: int = 0) -> AsyncValkey:
        client = await super().connect(index)
        self._check_pool(client, AsyncSentinelConnectionPool)
        return client
