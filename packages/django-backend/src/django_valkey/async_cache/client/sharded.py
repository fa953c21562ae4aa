"""The asyncio shard client (new: django-valkey 0.4 had none), placing keys exactly as
``django_valkey.client.ShardClient`` does."""

from __future__ import annotations

from valkey.asyncio import Valkey as AsyncValkey

from valkey_cache.core.client.shard import AsyncShardClient as CoreAsyncShardClient

from ...base_client import BaseClient


class AsyncShardClient(BaseClient[AsyncValkey], CoreAsyncShardClient):
    CONNECTION_FACTORY_PATH = "django_valkey.async_cache.pool.AsyncConnectionFactory"


__all__ = ["AsyncShardClient"]
