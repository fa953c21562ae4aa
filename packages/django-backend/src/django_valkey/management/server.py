"""The primary server of a configured cache, for management commands.

Commands are blocking; for an ``AsyncValkeyCache`` the valkey.asyncio client runs on
a private event loop, closed with its connections at the end.
"""

from __future__ import annotations

import asyncio
from typing import Any

from valkey_cache.core.exceptions import describe_server


class CacheServer:
    def __init__(self, cache: Any) -> None:
        self.cache = cache
        self.client = cache.client
        self._loop: asyncio.AbstractEventLoop | None = None
        if getattr(cache, "is_async", False):
            self._loop = asyncio.new_event_loop()
            self.connection = self._loop.run_until_complete(self.client.get_client(write=True))
        else:
            self.connection = self.client.get_client(write=True)

    def call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        result = getattr(self.connection, method)(*args, **kwargs)
        if self._loop is not None:
            return self._loop.run_until_complete(result)
        return result

    @property
    def address(self) -> str:
        return describe_server(self.connection)

    @property
    def db(self) -> int:
        kwargs = getattr(self.connection.connection_pool, "connection_kwargs", {})
        return int(kwargs.get("db", 0) or 0)

    def close(self) -> None:
        loop, self._loop = self._loop, None
        if loop is None:
            return
        try:
            loop.run_until_complete(self.connection.connection_pool.disconnect())
        finally:
            loop.close()
