"""``AsyncBackendCommands``: every method a coroutine, on valkey.asyncio.

As in django-valkey 0.4, ``get``, ``set``... are coroutines and ``aget``, ``aset``...
are the same commands under Django's async names. ``close()`` is the exception: Django
calls it synchronously at ``request_finished``, so it schedules the async close itself
and returns an awaitable that may be awaited or dropped.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from django.core.cache.backends.base import DEFAULT_TIMEOUT, BaseCache

from valkey_cache.core.client.extras import AsyncValkeyExtras

from .closing import DONE, close_async_soon
from .commands import (
    DJANGO_COMMANDS,
    EXTRA_COMMANDS,
    ITERATOR_COMMANDS,
    client_method,
    overrides_storage,
)

if TYPE_CHECKING:
    from .settings import CacheConfig


class AsyncBackendCommands(BaseCache, AsyncValkeyExtras):
    """Django's cache API (and the Valkey extras) as coroutines."""

    is_async: ClassVar[bool] = True
    NATIVE_ASYNC: ClassVar[bool] = False
    DELEGATES: ClassVar[tuple[tuple[str, str], ...]] = (
        *((n, n) for n in DJANGO_COMMANDS),
        *((f"a{n}", n) for n in DJANGO_COMMANDS),
    )
    # ``aget`` is the client's ``get`` only while ``get`` is not overridden either.
    DELEGATE_GUARDS: ClassVar[dict[str, tuple[str, ...]]] = {f"a{n}": (n,) for n in DJANGO_COMMANDS}

    client: Any
    _config: CacheConfig

    async def get(self, key: Any, default: Any = None, version: Any = None, client: Any = None) -> Any:
        return await self.client.get(key, default, version, client=client)

    async def set(  # type: ignore[override]
        self,
        key: Any,
        value: Any,
        timeout: Any = DEFAULT_TIMEOUT,
        version: Any = None,
        client: Any = None,
        nx: bool = False,
        xx: bool = False,
    ) -> bool | None:
        return await self.client.set(key, value, timeout, version, client=client, nx=nx, xx=xx)  # type: ignore[no-any-return]

    async def add(  # type: ignore[override]
        self,
        key: Any,
        value: Any,
        timeout: Any = DEFAULT_TIMEOUT,
        version: Any = None,
        client: Any = None,
    ) -> bool:
        return bool(await self.client.add(key, value, timeout, version, client=client))

    async def delete(  # type: ignore[override]
        self, key: Any, version: Any = None, client: Any = None
    ) -> bool:
        return bool(await self.client.delete(key, version, client=client))

    async def get_many(  # type: ignore[override]
        self, keys: Iterable[Any], version: Any = None, client: Any = None
    ) -> dict[Any, Any]:
        return await self.client.get_many(keys, version, client=client)  # type: ignore[no-any-return]

    async def set_many(  # type: ignore[override]
        self,
        data: Mapping[Any, Any],
        timeout: Any = DEFAULT_TIMEOUT,
        version: Any = None,
        client: Any = None,
    ) -> list[Any]:
        return await self.client.set_many(data, timeout, version, client=client)  # type: ignore[no-any-return]

    async def has_key(  # type: ignore[override]
        self, key: Any, version: Any = None, client: Any = None
    ) -> bool:
        return bool(await self.client.has_key(key, version, client=client))

    async def incr(  # type: ignore[override]
        self, key: Any, delta: int = 1, version: Any = None, client: Any = None
    ) -> Any:
        return await self.client.incr(key, delta, version, client=client)

    async def decr(  # type: ignore[override]
        self, key: Any, delta: int = 1, version: Any = None, client: Any = None
    ) -> Any:
        return await self.client.decr(key, delta, version, client=client)

    async def touch(  # type: ignore[override]
        self, key: Any, timeout: Any = DEFAULT_TIMEOUT, version: Any = None, client: Any = None
    ) -> bool:
        return bool(await self.client.touch(key, timeout, version, client=client))

    async def clear(self, client: Any = None) -> bool:  # type: ignore[override]
        return bool(await self.client.clear(client=client))

    async def incr_version(  # type: ignore[override]
        self, key: Any, delta: int = 1, version: Any = None, client: Any = None
    ) -> int:
        return await self.client.incr_version(key, delta, version, client=client)  # type: ignore[no-any-return]

    async def decr_version(  # type: ignore[override]
        self, key: Any, delta: int = 1, version: Any = None, client: Any = None
    ) -> int:
        return await self.client.decr_version(key, delta, version, client=client)  # type: ignore[no-any-return]

    async def get_or_set(
        self, key: Any, default: Any, timeout: Any = DEFAULT_TIMEOUT, version: Any = None
    ) -> Any:
        """The cached value; else ``default`` (called if callable) is added and returned.

        The client's ``get_or_set``; Django's, on this class's own methods, in a subclass
        that overrides ``get``, ``add`` or ``set``.
        """
        if overrides_storage(type(self), AsyncBackendCommands):
            return await BaseCache.aget_or_set(self, key, default, timeout=timeout, version=version)
        return await client_method(self, self.client, "get_or_set")(key, default, timeout, version)

    async def delete_many(  # type: ignore[override]
        self, keys: Iterable[Any], version: Any = None, client: Any = None
    ) -> Any:
        """The number deleted (``None`` for no keys, as in Django)."""
        keys = list(keys)
        if not keys:
            return None
        return await self.client.delete_many(keys, version=version, client=client)

    def close(self, **kwargs: Any) -> Awaitable[None]:  # type: ignore[override]
        """With ``CLOSE_CONNECTION``, release idle connections; safe from sync code."""
        if not self.client._close_requested():
            return DONE
        return close_async_soon(self.client)

    async def aclose(self, **kwargs: Any) -> None:
        await self.client.close()

    @property
    def async_client(self) -> Any:
        return self.client

    # Django's async names for the same coroutines; each replaced on the instance by
    # the client's method while the un-prefixed one is not overridden.

    async def aget(self, key: Any, default: Any = None, version: Any = None) -> Any:
        return await self.get(key, default, version)

    async def aset(  # type: ignore[override]
        self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: Any = None
    ) -> bool:
        return bool(await self.set(key, value, timeout, version))

    async def aadd(self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: Any = None) -> bool:
        return await self.add(key, value, timeout, version)

    async def adelete(self, key: Any, version: Any = None) -> bool:
        return await self.delete(key, version)

    async def aget_many(self, keys: Iterable[Any], version: Any = None) -> dict[Any, Any]:
        return await self.get_many(keys, version)

    async def aset_many(
        self, data: Mapping[Any, Any], timeout: Any = DEFAULT_TIMEOUT, version: Any = None
    ) -> list[Any]:
        return await self.set_many(data, timeout, version)

    async def adelete_many(self, keys: Iterable[Any], version: Any = None) -> Any:
        return await self.delete_many(keys, version)

    async def ahas_key(self, key: Any, version: Any = None) -> bool:
        return await self.has_key(key, version)

    async def aincr(self, key: Any, delta: int = 1, version: Any = None) -> Any:
        return await self.incr(key, delta, version)

    async def adecr(self, key: Any, delta: int = 1, version: Any = None) -> Any:
        return await self.decr(key, delta, version)

    async def atouch(self, key: Any, timeout: Any = DEFAULT_TIMEOUT, version: Any = None) -> bool:
        return await self.touch(key, timeout, version)

    async def aclear(self) -> bool:  # type: ignore[override]
        return await self.clear()

    async def aget_or_set(
        self, key: Any, default: Any, timeout: Any = DEFAULT_TIMEOUT, version: Any = None
    ) -> Any:
        return await self.get_or_set(key, default, timeout, version)

    async def aincr_version(self, key: Any, delta: int = 1, version: Any = None) -> int:
        return await self.incr_version(key, delta, version)

    async def adecr_version(self, key: Any, delta: int = 1, version: Any = None) -> int:
        return await self.decr_version(key, delta, version)

    if not TYPE_CHECKING:

        def __getattr__(self, name: str) -> Any:
            # ``a<command>``: the same coroutine as ``<command>`` (django-valkey 0.4).
            if name[:1] == "a" and name[1:] in EXTRA_COMMANDS and "_config" in self.__dict__:
                return getattr(self, name[1:])
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")


def _delegate(name: str) -> Callable[..., Any]:
    if name in ITERATOR_COMMANDS:

        def iterator(self: Any, /, *args: Any, **kwargs: Any) -> AsyncIterator[Any]:
            return client_method(self, self.client, name)(*args, **kwargs)  # type: ignore[no-any-return]

        iterator.__name__ = iterator.__qualname__ = name
        return iterator

    async def command(self: Any, /, *args: Any, **kwargs: Any) -> Any:
        return await client_method(self, self.client, name)(*args, **kwargs)

    command.__name__ = command.__qualname__ = name
    return command


if not TYPE_CHECKING:
    for _name in EXTRA_COMMANDS:
        setattr(AsyncBackendCommands, _name, _delegate(_name))
