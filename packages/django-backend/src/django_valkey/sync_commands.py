"""``BackendCommands``: Django's sync cache API, plus native async ``a``-methods.

The sync methods run on ``client`` (valkey-py, blocking); the ``a``-methods on
``async_client`` (valkey.asyncio, connections per event loop), built on first use
from the same options. One ``CACHES`` entry so serves WSGI views, ASGI views and
async tasks. The methods come from the core's declarations (see ``commands``); the
ones written here add Django's rules on top.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, ClassVar

from django.core.cache.backends.base import DEFAULT_TIMEOUT, BaseCache

from valkey_cache.core.commands.table import Commands

from .closing import close_async_soon
from .commands import overrides_storage, sync_backend_methods

if TYPE_CHECKING:
    from .settings import CacheConfig


class BackendCommands(Commands, BaseCache):  # type: ignore[misc]
    """Django's cache API on a blocking client, and its ``a``-methods on an asyncio one."""

    MATERIALIZE = sync_backend_methods
    #: The ``a``-methods run on a second client, on valkey.asyncio.
    NATIVE_ASYNC: ClassVar[bool] = True
    is_async: ClassVar[bool] = False

    client: Any
    _config: CacheConfig
    _build_client: Callable[[type[Any], dict[str, Any]], Any]

    if TYPE_CHECKING:

        @property
        def _default_scan_itersize(self) -> int: ...

    def get_or_set(  # type: ignore[override]
        self, key: Any, default: Any, timeout: Any = DEFAULT_TIMEOUT, version: Any = None
    ) -> Any:
        """The cached value; else ``default`` (called if callable) is added and returned.

        The client's ``get_or_set`` (a value another caller added first wins; a ``None``
        default is stored too); Django's, on this class's own methods, in a subclass that
        overrides ``get``, ``add`` or ``set``.
        """
        if overrides_storage(type(self), BackendCommands):
            return BaseCache.get_or_set(self, key, default, timeout=timeout, version=version)
        return self.client.get_or_set(key, default, timeout, version)

    def delete_many(self, keys: Iterable[Any], version: Any = None, client: Any = None) -> Any:
        """Delete in one call; the number deleted (``None`` for no keys, as in Django)."""
        keys = list(keys)
        if not keys:
            return None
        return self.client.delete_many(keys, version=version, client=client)

    def delete_pattern(self, *args: Any, **kwargs: Any) -> int:
        """Delete the keys matching a pattern (``itersize`` defaults to ``SCAN_ITERSIZE``)."""
        kwargs.setdefault("itersize", self._default_scan_itersize)
        return self.client.delete_pattern(*args, **kwargs)  # type: ignore[no-any-return]

    async def adelete_pattern(self, *args: Any, **kwargs: Any) -> int:
        """:meth:`delete_pattern` on the asyncio client."""
        kwargs.setdefault("itersize", self._default_scan_itersize)
        return await self.async_client.delete_pattern(*args, **kwargs)  # type: ignore[no-any-return]

    def close(self, **kwargs: Any) -> None:
        """With ``CLOSE_CONNECTION``, release this cache's idle connections (sync and async)."""
        self.client.close()
        async_client = self._async_client
        if async_client is not None and async_client._close_requested():
            close_async_soon(async_client)

    # -- native async -----------------------------------------------------------------

    #: The asyncio client once built. Not a ``cached_property``: that writes the
    #: instance's ``__dict__``, and on CPython 3.11 every later attribute read of the
    #: cache then stays unspecialised (the clients read its prefix, version and key
    #: function for every key; ``close()`` runs at the end of every request).
    _async_client: Any = None

    @property
    def async_client(self) -> Any:
        """The asyncio client behind the ``a``-methods (``OPTIONS["ASYNC_CLIENT_CLASS"]``),
        built on first use."""
        client = self._async_client
        if client is None:
            config = self._config
            assert config.async_client_class is not None
            assert config.async_params is not None
            client = self._async_client = self._build_client(config.async_client_class, config.async_params)
        return client

    @async_client.setter
    def async_client(self, client: Any) -> None:
        self._async_client = client

    async def aget_or_set(
        self, key: Any, default: Any, timeout: Any = DEFAULT_TIMEOUT, version: Any = None
    ) -> Any:
        """See :meth:`get_or_set` (``aget``, ``aadd``, ``aset`` for a subclass's own)."""
        if overrides_storage(type(self), BackendCommands, "a"):
            return await BaseCache.aget_or_set(self, key, default, timeout=timeout, version=version)
        return await self.async_client.get_or_set(key, default, timeout, version)

    async def adelete_many(self, keys: Iterable[Any], version: Any = None) -> Any:
        """:meth:`delete_many` on the asyncio client."""
        keys = list(keys)
        if not keys:
            return None
        return await self.async_client.delete_many(keys, version=version)

    async def aclose(self, **kwargs: Any) -> None:
        """Like :meth:`close`, for the running event loop's async connections."""
        self.client.close()
        async_client = self._async_client
        if async_client is not None:
            await async_client.close()
