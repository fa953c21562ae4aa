"""``ValkeyCache``: the ``BACKEND`` for sync and async code alike.

Its sync methods block on valkey-py; its ``a``-methods (``aget``, ``aset``...) await
valkey.asyncio natively, with connections per event loop.
"""

from __future__ import annotations

from valkey import Valkey

from .base import BackendCommands, BaseValkeyCache
from .client import DefaultClient


class ValkeyCache(BaseValkeyCache[DefaultClient, Valkey], BackendCommands):  # type: ignore[misc]
    DEFAULT_CLIENT_CLASS = "django_valkey.client.DefaultClient"


__all__ = ["ValkeyCache"]
