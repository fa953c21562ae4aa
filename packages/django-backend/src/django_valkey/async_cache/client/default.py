"""The asyncio client: the same commands as ``DefaultClient``, awaited."""

from __future__ import annotations

from valkey.asyncio import Valkey as AsyncValkey

from ...base_client import AsyncClientCommands, BaseClient


class AsyncDefaultClient(BaseClient[AsyncValkey], AsyncClientCommands[AsyncValkey]):
    CONNECTION_FACTORY_PATH = "django_valkey.async_cache.pool.AsyncConnectionFactory"


#: django-valkey 0.4's async client with the hash commands; every client has them here.
AsyncHashClient = AsyncDefaultClient

__all__ = ["AsyncDefaultClient", "AsyncHashClient"]
