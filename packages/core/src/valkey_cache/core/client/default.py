"""The ready-made clients: one or more standalone servers (first takes writes)."""

from __future__ import annotations

from valkey import Valkey
from valkey.asyncio import Valkey as AsyncValkey

from .asynchronous import AsyncClientCommands
from .base import BaseClient
from .sync import ClientCommands


class DefaultClient(BaseClient[Valkey], ClientCommands[Valkey]):
    CONNECTION_FACTORY_PATH = "valkey_cache.core.pool.ConnectionFactory"


class AsyncDefaultClient(BaseClient[AsyncValkey], AsyncClientCommands[AsyncValkey]):
    CONNECTION_FACTORY_PATH = "valkey_cache.core.async_pool.AsyncConnectionFactory"


HashClient = DefaultClient
AsyncHashClient = AsyncDefaultClient
