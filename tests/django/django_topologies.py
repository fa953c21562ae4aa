"""Django ``CACHES`` entries for the herd, shard, sentinel and cluster topologies.

Each topology is built from the session's servers (``conftest.py``): the herd on the
shared server, the shard over that server and a second one, the session's sentinel
and cluster. :meth:`Topology.entry` is the ``CACHES`` entry a site would write.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.utils.module_loading import import_string
from valkey.asyncio.cluster import ValkeyCluster as AsyncValkeyCluster

from valkey_cache.core import async_pool
from valkey_cache.core.embedded import EmbeddedCluster, EmbeddedSentinel, EmbeddedServer

TOPOLOGIES = ("herd", "shard", "sentinel", "cluster")

#: (BACKEND, CLIENT_CLASS or None) per topology, for sync and for async caches.
BACKENDS: dict[str, dict[str, tuple[str, str | None]]] = {
    "herd": {
        "sync": ("django_valkey.cache.ValkeyCache", "django_valkey.client.HerdClient"),
        "async": (
            "django_valkey.async_cache.cache.AsyncValkeyCache",
            "django_valkey.async_cache.client.AsyncHerdClient",
        ),
    },
    "shard": {
        "sync": ("django_valkey.cache.ValkeyCache", "django_valkey.client.ShardClient"),
        "async": (
            "django_valkey.async_cache.cache.AsyncValkeyCache",
            "django_valkey.async_cache.client.AsyncShardClient",
        ),
    },
    "sentinel": {
        "sync": ("django_valkey.cache.ValkeyCache", "django_valkey.client.SentinelClient"),
        "async": (
            "django_valkey.async_cache.cache.AsyncValkeyCache",
            "django_valkey.async_cache.client.AsyncSentinelClient",
        ),
    },
    "cluster": {
        "sync": ("django_valkey.cluster_cache.cache.ClusterValkeyCache", None),
        "async": ("django_valkey.async_cache.cluster_cache.AsyncClusterValkeyCache", None),
    },
}


@dataclass
class Topology:
    name: str
    location: str | list[str]
    flush: Callable[[], None]
    options: dict[str, Any] = field(default_factory=dict)

    def entry(self, kind: str = "sync", **params: Any) -> dict[str, Any]:
        """The ``CACHES`` entry of a ``kind`` ("sync" or "async") cache on this topology."""
        backend, client_class = BACKENDS[self.name][kind]
        options = dict(self.options)
        if client_class:
            options["CLIENT_CLASS"] = client_class
        options.update(params.pop("OPTIONS", {}))
        return {"BACKEND": backend, "LOCATION": self.location, "OPTIONS": options, **params}

    def cache(self, kind: str = "sync", **params: Any) -> Any:
        """A cache instance built from :meth:`entry`, as Django builds it."""
        entry = self.entry(kind, **params)
        backend = import_string(entry.pop("BACKEND"))
        return backend(entry.pop("LOCATION"), entry)


def _flush(*servers: EmbeddedServer) -> Callable[[], None]:
    def flush() -> None:
        for server in servers:
            server.flushall()

    return flush


def build_topology(name: str, request: pytest.FixtureRequest) -> Topology:
    """The topology ``name`` on the session's servers, flushed."""
    if name in ("herd", "shard"):
        first: EmbeddedServer = request.getfixturevalue("valkey_server")
        if name == "herd":
            built = Topology(name, first.url, _flush(first))
        else:
            second: EmbeddedServer = request.getfixturevalue("second_server")
            built = Topology(name, [first.url, second.url], _flush(first, second))
    elif name == "sentinel":
        sentinel: EmbeddedSentinel = request.getfixturevalue("valkey_sentinel")
        built = Topology(
            name,
            f"valkey://{sentinel.service_name}/0",
            lambda: sentinel.current_master_server().flushall(),
            {"SENTINELS": sentinel.sentinels},
        )
    else:
        cluster: EmbeddedCluster = request.getfixturevalue("valkey_cluster")
        built = Topology(name, cluster.url, cluster.flushall)
    built.flush()
    return built


class RawByKey:
    """``raw.get(made_key)``, ``raw.pttl(made_key)``...: valkey-py's call on the server
    holding the key (``get_client(key=...)``, what ``get_valkey_connection`` returns).

    For the herd, ``pttl`` is the time until the value goes stale: the server keeps a
    herd value ``HERD_TIMEOUT`` seconds (default 60) longer than asked.
    """

    def __init__(self, topology: Topology) -> None:
        self._client = topology.cache().client
        self._herd_ms = 60_000 if topology.name == "herd" else 0

    def __getattr__(self, name: str) -> Callable[..., Any]:
        def call(key: Any, *args: Any, **kwargs: Any) -> Any:
            return getattr(self._client.get_client(write=True, key=key), name)(key, *args, **kwargs)

        return call

    def pttl(self, key: Any) -> int:
        left = int(self._client.get_client(write=True, key=key).pttl(key))
        return left - self._herd_ms if left > 0 else left


async def close_loop_connections() -> None:
    """Close what the running loop opened: pools, cluster clients, sentinel connections."""
    pools = async_pool.LOOP_POOLS.find(asyncio.get_running_loop()) or {}
    for pool in list(pools.values()):
        if isinstance(pool, AsyncValkeyCluster):
            await pool.aclose()
            continue
        await pool.disconnect()
        manager = getattr(pool, "sentinel_manager", None)
        for sentinel in getattr(manager, "sentinels", ()):
            await sentinel.aclose()
    pools.clear()
