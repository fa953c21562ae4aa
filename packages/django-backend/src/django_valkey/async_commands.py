"""``AsyncBackendCommands``: every method a coroutine, on valkey.asyncio.

As in django-valkey 0.4, ``get``, ``set``... are coroutines and ``aget``, ``aset``...
are the same commands under Django's async names. ``close()`` is the exception: Django
calls it synchronously at ``request_finished``, so it schedules the async close itself
and returns an awaitable that may be awaited or dropped. The methods come from the
core's declarations (see ``commands``); the ones written here add Django's rules.
"""

from __future__ import annotations

from collections.abc import Awaitable, Iterable
from typing import TYPE_CHECKING, Any, ClassVar

from django.core.cache.backends.base import DEFAULT_TIMEOUT, BaseCache

from valkey_cache.core.commands.declare import AsyncSide
from valkey_cache.core.commands.table import Commands

from .closing import DONE, close_async_soon
from .commands import async_backend_methods, overrides_storage

if TYPE_CHECKING:
    from .settings import CacheConfig


class AsyncBackendCommands(AsyncSide, Commands, BaseCache):  # type: ignore[misc]
    """Django's cache API (and the Valkey extras) as coroutines."""

    MATERIALIZE = async_backend_methods
    is_async: ClassVar[bool] = True
    NATIVE_ASYNC: ClassVar[bool] = False

    client: Any
    _config: CacheConfig

    if TYPE_CHECKING:

        @property
        def _default_scan_itersize(self) -> int: ...

    async def get_or_set(  # type: ignore[override]
        self, key: Any, default: Any, timeout: Any = DEFAULT_TIMEOUT, version: Any = None
    ) -> Any:
        """The cached value; else ``default`` (called if callable) is added and returned.

        The client's ``get_or_set``; Django's, on this class's own methods, in a subclass
        that overrides ``get``, ``add`` or ``set``.
        """
        if overrides_storage(type(self), AsyncBackendCommands):
            return await BaseCache.aget_or_set(self, key, default, timeout=timeout, version=version)
        return await self.client.get_or_set(key, default, timeout, version)

    async def delete_many(  # type: ignore[override]
        self, keys: Iterable[Any], version: Any = None, client: Any = None
    ) -> Any:
        """The number deleted (``None`` for no keys, as in Django)."""
        keys = list(keys)
        if not keys:
            return None
        return await self.client.delete_many(keys, version=version, client=client)

    async def aget_or_set(
        self, key: Any, default: Any, timeout: Any = DEFAULT_TIMEOUT, version: Any = None
    ) -> Any:
        """:meth:`get_or_set` under Django's async name."""
        return await self.get_or_set(key, default, timeout, version)

    async def adelete_many(self, keys: Iterable[Any], version: Any = None) -> Any:
        """:meth:`delete_many` under Django's async name."""
        return await self.delete_many(keys, version)

    async def delete_pattern(self, *args: Any, **kwargs: Any) -> int:
        """Delete the keys matching a pattern (``itersize`` defaults to ``SCAN_ITERSIZE``);
        on the client's ``adelete_pattern``, as django-valkey 0.4 calls it."""
        kwargs.setdefault("itersize", self._default_scan_itersize)
        return await self.client.adelete_pattern(*args, **kwargs)  # type: ignore[no-any-return]

    async def adelete_pattern(self, *args: Any, **kwargs: Any) -> int:
        """:meth:`delete_pattern` under Django's async name."""
        return await self.delete_pattern(*args, **kwargs)

    def close(self, **kwargs: Any) -> Awaitable[None]:  # type: ignore[override]
        """With ``CLOSE_CONNECTION``, release idle connections; safe from sync code."""
        if not self.client._close_requested():
            return DONE
        return close_async_soon(self.client)

    async def aclose(self, **kwargs: Any) -> None:
        """Close this event loop's connections (``CLOSE_CONNECTION``)."""
        await self.client.close()

    @property
    def async_client(self) -> Any:
        """The asyncio client (the same as ``client``)."""
        return self.client
