"""``AsyncValkeyCache``: django-valkey 0.4's async backend, every method a coroutine.

``cache.client`` is the asyncio client. For a cache used from both sync and async
code, ``django_valkey.cache.ValkeyCache`` has native async ``a``-methods as well.
"""

from __future__ import annotations

from valkey.asyncio import Valkey as AsyncValkey

from ..base import AsyncBackendCommands, BaseValkeyCache
from .client import AsyncDefaultClient


class AsyncValkeyCache(BaseValkeyCache[AsyncDefaultClient, AsyncValkey], AsyncBackendCommands):  # type: ignore[misc]
    DEFAULT_CLIENT_CLASS = "django_valkey.async_cache.client.default.AsyncDefaultClient"


__all__ = ["AsyncValkeyCache"]
