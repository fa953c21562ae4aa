"""``BackendCommands``: Django's sync cache API, plus native async ``a``-methods.

The sync methods run on ``client`` (valkey-py, blocking); the ``a``-methods on
``async_client`` (valkey.asyncio, connections per event loop), built on first use
from the same options. One ``CACHES`` entry so serves WSGI views, ASGI views and
async tasks.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from functools import cached_property
from typing import TYPE_CHECKING, Any, ClassVar

from django.core.cache.backends.base import DEFAULT_TIMEOUT, BaseCache

from valkey_cache.core.client.extras import ValkeyExtras

from .closing import close_async_soon
from .commands import DJANGO_COMMANDS, EXTRA_COMMANDS, client_method, overrides_storage

if TYPE_CHECKING:
    from .settings import CacheConfig


class BackendCommands(BaseCache, ValkeyExtras):
    """Django's cache API on a blocking client, and its ``a``-methods on an asyncio one."""

    #: The ``a``-methods run on a second client, on valkey.asyncio.
    NATIVE_ASYNC: ClassVar[bool] = True
    is_async: ClassVar[bool] = False
    DELEGATES: ClassVar[tuple[tuple[str, str], ...]] = tuple((n, n) for n in DJANGO_COMMANDS)

    client: Any
    _config: CacheConfig
    _build_client: Callable[[type[Any], dict[str, Any]], Any]

    # -- Django's API (each replaced on the instance by the client's own method) ------

    def get(self, key: Any, default: Any = None, version: Any = None, client: Any = None) -> Any:
        return self.client.get(key, default, version, client=client)

    def set(  # type: ignore[override]
        self,
        key: Any,
        value: Any,
        timeout: Any = DEFAULT_TIMEOUT,
        version: Any = None,
        client: Any = None,
        nx: bool = False,
        xx: bool = False,
    ) -> bool | None:
        return self.client.set(key, value, timeout, version, client=client, nx=nx, xx=xx)  # type: ignore[no-any-return]

    def add(
        self,
        key: Any,
        value: Any,
        timeout: Any = DEFAULT_TIMEOUT,
        version: Any = None,
        client: Any = None,
    ) -> bool:
        return bool(self.client.add(key, value, timeout, version, client=client))

    def delete(self, key: Any, version: Any = None, client: Any = None) -> bool:
        return bool(self.client.delete(key, version, client=client))

    def get_many(self, keys: Iterable[Any], version: Any = None, client: Any = None) -> dict[Any, Any]:
        return self.client.get_many(keys, version, client=client)  # type: ignore[no-any-return]

    def set_many(
        self,
        data: Mapping[Any, Any],
        timeout: Any = DEFAULT_TIMEOUT,
        version: Any = None,
        client: Any = None,
    ) -> list[Any]:
        return self.client.set_many(data, timeout, version, client=client)  # type: ignore[no-any-return]

    def has_key(self, key: Any, version: Any = None, client: Any = None) -> bool:
        return bool(self.client.has_key(key, version, client=client))

    def incr(self, key: Any, delta: int = 1, version: Any = None, client: Any = None) -> Any:
        return self.client.incr(key, delta, version, client=client)

    def decr(self, key: Any, delta: int = 1, version: Any = None, client: Any = None) -> Any:
        return self.client.decr(key, delta, version, client=client)

    def touch(
        self, key: Any, timeout: Any = DEFAULT_TIMEOUT, version: Any = None, client: Any = None
    ) -> bool:
        return bool(self.client.touch(key, timeout, version, client=client))

    def clear(self, client: Any = None) -> bool:  # type: ignore[override]
        return bool(self.client.clear(client=client))

    def incr_version(self, key: Any, delta: int = 1, version: Any = None, client: Any = None) -> int:
        return self.client.incr_version(key, delta, version, client=client)  # type: ignore[no-any-return]

    def decr_version(self, key: Any, delta: int = 1, version: Any = None, client: Any = None) -> int:
        return self.client.decr_version(key, delta, version, client=client)  # type: ignore[no-any-return]

    # -- Django's API, with Django's semantics on top of the client -------------------

    def get_or_set(self, key: Any, default: Any, timeout: Any = DEFAULT_TIMEOUT, version: Any = None) -> Any:
        """The cached value; else ``default`` (called if callable) is added and returned.

        The client's ``get_or_set`` (a value another caller added first wins; a ``None``
        default is stored too); Django's, on this class's own methods, in a subclass that
        overrides ``get``, ``add`` or ``set``.
        """
        if overrides_storage(type(self), BackendCommands):
            return BaseCache.get_or_set(self, key, default, timeout=timeout, version=version)
        return client_method(self, self.client, "get_or_set")(key, default, timeout, version)

    def delete_many(self, keys: Iterable[Any], version: Any = None, client: Any = None) -> Any:
        """Delete in one call; the number deleted (``None`` for no keys, as in Django)."""
        keys = list(keys)
        if not keys:
            return None
        return self.client.delete_many(keys, version=version, client=client)

    def close(self, **kwargs: Any) -> None:
        """With ``CLOSE_CONNECTION``, release this cache's idle connections (sync and async)."""
        self.client.close()
        async_client = self.__dict__.get("async_client")
        if async_client is not None and async_client._close_requested():
            close_async_soon(async_client)

    # -- native async -----------------------------------------------------------------

    @cached_property
    def async_client(self) -> Any:
        """The asyncio client behind the ``a``-methods (``OPTIONS["ASYNC_CLIENT_CLASS"]``)."""
        config = self._config
        assert config.async_client_class is not None
        assert config.async_params is not None
        return self._build_client(config.async_client_class, config.async_params)

    async def aget(self, key: Any, default: Any = None, version: Any = None) -> Any:
        return await self.async_client.get(key, default, version)

    async def aset(  # type: ignore[override]
        self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: Any = None
    ) -> bool:
        return bool(await self.async_client.set(key, value, timeout, version))

    async def aadd(self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: Any = None) -> bool:
        return bool(await self.async_client.add(key, value, timeout, version))

    async def adelete(self, key: Any, version: Any = None) -> bool:
        return bool(await self.async_client.delete(key, version))

    async def aget_many(self, keys: Iterable[Any], version: Any = None) -> dict[Any, Any]:
        return await self.async_client.get_many(keys, version)  # type: ignore[no-any-return]

    async def aset_many(
        self, data: Mapping[Any, Any], timeout: Any = DEFAULT_TIMEOUT, version: Any = None
    ) -> list[Any]:
        return await self.async_client.set_many(data, timeout, version)  # type: ignore[no-any-return]

    async def adelete_many(self, keys: Iterable[Any], version: Any = None) -> Any:
        keys = list(keys)
        if not keys:
            return None
        return await self.async_client.delete_many(keys, version=version)

    async def ahas_key(self, key: Any, version: Any = None) -> bool:
        return bool(await self.async_client.has_key(key, version))

    async def aincr(self, key: Any, delta: int = 1, version: Any = None) -> Any:
        return await self.async_client.incr(key, delta, version)

    async def adecr(self, key: Any, delta: int = 1, version: Any = None) -> Any:
        return await self.async_client.decr(key, delta, version)

    async def atouch(self, key: Any, timeout: Any = DEFAULT_TIMEOUT, version: Any = None) -> bool:
        return bool(await self.async_client.touch(key, timeout, version))

    async def aclear(self) -> bool:  # type: ignore[override]
        return bool(await self.async_client.clear())

    async def aget_or_set(
        self, key: Any, default: Any, timeout: Any = DEFAULT_TIMEOUT, version: Any = None
    ) -> Any:
        """See :meth:`get_or_set` (``aget``, ``aadd``, ``aset`` for a subclass's own)."""
        if overrides_storage(type(self), BackendCommands, "a"):
            return await BaseCache.aget_or_set(self, key, default, timeout=timeout, version=version)
        return await client_method(self, self.async_client, "get_or_set")(key, default, timeout, version)

    async def aincr_version(self, key: Any, delta: int = 1, version: Any = None) -> int:
        return await self.async_client.incr_version(key, delta, version)  # type: ignore[no-any-return]

    async def adecr_version(self, key: Any, delta: int = 1, version: Any = None) -> int:
        return await self.async_client.decr_version(key, delta, version)  # type: ignore[no-any-return]

    async def aclose(self, **kwargs: Any) -> None:
        """Like :meth:`close`, for the running event loop's async connections."""
        self.client.close()
        async_client = self.__dict__.get("async_client")
        if async_client is not None:
            await async_client.close()

    if not TYPE_CHECKING:

        def __getattr__(self, name: str) -> Any:
            # ``a<command>`` for the Valkey extras (``attl``, ``adelete_pattern``...),
            # on the async client, as django-valkey 0.4 offers them.
            if name[:1] == "a" and name[1:] in EXTRA_COMMANDS and "_config" in self.__dict__:
                return client_method(self, self.async_client, name[1:])
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")


def _delegate(name: str) -> Callable[..., Any]:
    def command(self: Any, /, *args: Any, **kwargs: Any) -> Any:
        return client_method(self, self.client, name)(*args, **kwargs)

    command.__name__ = command.__qualname__ = name
    return command


if not TYPE_CHECKING:
    for _name in EXTRA_COMMANDS:
        setattr(BackendCommands, _name, _delegate(_name))
