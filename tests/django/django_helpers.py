"""Helpers for tests/django: one test body for the sync and the async cache APIs."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from valkey.connection import ConnectionPool

from django_valkey.client import ShardClient
from django_valkey.pool import ConnectionFactory
from valkey_cache.core import async_pool

#: How a test reaches Django's cache API:
#: sync         ValkeyCache's sync methods
#: native       ValkeyCache's a-methods (valkey.asyncio)
#: async        AsyncValkeyCache's a-methods
#: async-plain  AsyncValkeyCache's un-prefixed coroutines (django-valkey 0.4 style)
MODES = ("sync", "native", "async", "async-plain")


class Api:
    """Calls ``cache.<name>`` (or ``a<name>``) and, for coroutines, runs them to completion."""

    def __init__(self, cache: Any, mode: str, loop: asyncio.AbstractEventLoop) -> None:
        self.cache = cache
        self.mode = mode
        self.loop = loop

    def __getattr__(self, name: str) -> Callable[..., Any]:
        if self.mode == "sync":
            return getattr(self.cache, name)  # type: ignore[no-any-return]
        prefixed = self.mode in ("native", "async")
        method = getattr(self.cache, f"a{name}" if prefixed else name)

        def call(*args: Any, **kwargs: Any) -> Any:
            return self.loop.run_until_complete(method(*args, **kwargs))

        return call


class Pickleable:
    """A user class: stored pickled, so it must live in an importable module."""

    def __init__(self, value: Any) -> None:
        self.value = value

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Pickleable) and other.value == self.value

    def __hash__(self) -> int:
        return hash(repr(self.value))


def custom_key_func(key: Any, key_prefix: str, version: Any) -> str:
    return f"CUSTOM-{key_prefix}-{version}-{key}"


def identity_key_func(key: Any, key_prefix: str, version: Any) -> str:
    return str(key)


class SyncOnlyPool(ConnectionPool):
    """A custom pool class with no asyncio counterpart."""


async def disconnect_loop_pools() -> None:
    """Close the running loop's pooled connections, so none outlives its loop."""
    pools = async_pool.LOOP_POOLS.find(asyncio.get_running_loop()) or {}
    for pool in list(pools.values()):
        await pool.disconnect()


class MyShardClient(ShardClient):
    """A site's own shard client: its async methods use AsyncShardClient."""


class CountingFactory(ConnectionFactory):
    """A site's own connection factory, named by DJANGO_VALKEY_CONNECTION_FACTORY."""
