"""The asyncio backend, its clients and connection factory, and raw async connections."""

from __future__ import annotations

from typing import Any

from .._connection import async_valkey_connection


async def get_valkey_connection(alias: str = "default", write: bool = True, key: Any = None) -> Any:
    """The ``valkey.asyncio`` client of cache ``alias`` on the running event loop.

    Works for ``AsyncValkeyCache`` and for ``ValkeyCache`` (its ``a``-methods' client).
    """
    return await async_valkey_connection(alias, write, key)


__all__ = ["get_valkey_connection"]
