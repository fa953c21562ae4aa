"""The servers holding a configured cache's keys, for management commands.

One server for the default, herd and Sentinel clients (the master); every shard for
the shard client; every primary for a cluster. Commands are blocking; for an async
cache the valkey.asyncio clients run on a private event loop, closed with its
connections at the end.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable
from typing import Any

from valkey.asyncio.cluster import ValkeyCluster as AsyncValkeyCluster

from valkey_cache.core.client.cluster import ClusterPlacement
from valkey_cache.core.client.shard import ShardPlacement
from valkey_cache.core.exceptions import describe_server


class Node:
    """One server: valkey-py calls on it, run to completion."""

    def __init__(self, connection: Any, run: Callable[[Any], Any], target: Any = None) -> None:
        self.connection = connection
        self._run = run
        #: A cluster primary (``ClusterNode``): calls go through the cluster client to it.
        self.target = target

    def call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        if self.target is not None:
            kwargs["target_nodes"] = self.target
        return self._run(getattr(self.connection, method)(*args, **kwargs))

    def scan(self, cursor: int, match: Any, count: int) -> tuple[int, list[bytes]]:
        cursor_of, keys = self.call("scan", cursor, match=match, count=count)
        if isinstance(cursor_of, dict):  # the cluster client's cursor per node
            cursor_of = next(iter(cursor_of.values()), 0)
        return int(cursor_of), list(keys)

    def delete(self, command: str, keys: list[bytes]) -> int:
        """Delete ``keys`` (found on this node); a cluster client splits them by slot."""
        return int(self._run(getattr(self.connection, command)(*keys)))

    @property
    def address(self) -> str:
        if self.target is not None:
            return str(self.target.name)
        pool = getattr(self.connection, "connection_pool", None)
        service = getattr(pool, "service_name", None)
        if service is not None:  # a Sentinel pool: the master the sentinels name now
            host, port = self._run(pool.get_master_address())  # type: ignore[union-attr]
            return f"{host}:{port} ({service})"
        return describe_server(self.connection)

    @property
    def db(self) -> int:
        kwargs = getattr(getattr(self.connection, "connection_pool", None), "connection_kwargs", {})
        return int(kwargs.get("db", 0) or 0)

    @property
    def where(self) -> str:
        return f"{self.address} db {self.db}"


class CacheServer:
    """The nodes of a cache (``nodes``), and where they are, for messages."""

    def __init__(self, cache: Any) -> None:
        self.cache = cache
        self.client = cache.client
        self._loop: asyncio.AbstractEventLoop | None = None
        if getattr(cache, "is_async", False):
            self._loop = asyncio.new_event_loop()
        self.nodes = self._find_nodes()

    def _run(self, result: Any) -> Any:
        if self._loop is not None and inspect.isawaitable(result):
            return self._loop.run_until_complete(result)
        return result

    def _find_nodes(self) -> list[Node]:
        client, run = self.client, self._run
        # (Checked on the class: narrowing the client would hide its command mixin.)
        if issubclass(type(client), ClusterPlacement):
            cluster = run(client.get_client(write=True))
            return [Node(cluster, run, target=node) for node in cluster.get_primaries()]
        if issubclass(type(client), ShardPlacement):
            return [Node(run(client.connect(index)), run) for index in client.get_primaries()]
        return [Node(run(client.get_client(write=True)), run)]

    @property
    def where(self) -> str:
        return ", ".join(node.where for node in self.nodes)

    def dbsize(self) -> int:
        return sum(int(node.call("dbsize")) for node in self.nodes)

    def close(self) -> None:
        loop, self._loop = self._loop, None
        if loop is None:
            return
        try:
            loop.run_until_complete(self._close_async())
        finally:
            loop.close()

    async def _close_async(self) -> None:
        closed: set[int] = set()
        for node in self.nodes:
            connection = node.connection
            if id(connection) in closed:
                continue
            closed.add(id(connection))
            if isinstance(connection, AsyncValkeyCluster):
                await connection.aclose()
                continue
            pool = connection.connection_pool
            await pool.disconnect()
            for sentinel in getattr(getattr(pool, "sentinel_manager", None), "sentinels", ()):
                await sentinel.aclose()
