"""The asyncio Sentinel client (django-valkey 0.4's path); see ``django_valkey.client.sentinel``."""

from __future__ import annotations

from valkey.asyncio import Valkey as AsyncValkey

from valkey_cache.core.client.sentinel import AsyncSentinelClient as CoreAsyncSentinelClient

from ...base_client import BaseClient


class AsyncSentinelClient(BaseClient[AsyncValkey], CoreAsyncSentinelClient):
    CONNECTION_FACTORY_PATH = "django_valkey.async_cache.pool.AsyncSentinelConnectionFactory"
    GLOBAL_FACTORY_BASE = "valkey_cache.core.sentinel_pool.AsyncSentinelConnectionFactory"


__all__ = ["AsyncSentinelClient"]
