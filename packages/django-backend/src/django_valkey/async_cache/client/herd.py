"""The asyncio herd client (django-valkey 0.4's path); see ``django_valkey.client.herd``."""

from __future__ import annotations

from valkey.asyncio import Valkey as AsyncValkey

from valkey_cache.core.client.herd import AsyncHerdClient as CoreAsyncHerdClient

from ...base_client import BaseClient, HerdPacking, Marker


class AsyncHerdClient(HerdPacking, BaseClient[AsyncValkey], CoreAsyncHerdClient):
    CONNECTION_FACTORY_PATH = "django_valkey.async_cache.pool.AsyncConnectionFactory"
    MARKER_CLASS = Marker


__all__ = ["AsyncHerdClient"]
