"""Topology fixtures: ``cache`` is a herd, shard, sentinel or cluster cache, sync or async.

Each topology is a session one (started the first time a test asks for it) and is
flushed before every test. ``raw_valkey`` sends valkey-py calls to the server that
holds the key given first, found by the sync client's ``get_client(key=...)``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from cachetest import EitherCache, make_cache
from servers import start_tcp_server

from valkey_cache.core import Cache
from valkey_cache.core.embedded import EmbeddedCluster, EmbeddedSentinel, EmbeddedServer

CLIENTS = {
    "herd": ("valkey_cache.core.client.HerdClient", "valkey_cache.core.client.AsyncHerdClient"),
    "shard": ("valkey_cache.core.client.ShardClient", "valkey_cache.core.client.AsyncShardClient"),
    "sentinel": ("valkey_cache.core.client.SentinelClient", "valkey_cache.core.client.AsyncSentinelClient"),
    "cluster": ("valkey_cache.core.client.ClusterClient", "valkey_cache.core.client.AsyncClusterClient"),
}

# (topology, test name): why the command suite's test does not apply there.
PACKED = "the herd client packs values stored with a timeout, numbers included, as django-valkey 0.4 does"
SKIPS = {
    ("herd", "test_numbers_are_stored_as_plain_text"): PACKED,
    ("herd", "test_version_zero_and_empty_prefix_are_respected"): PACKED,
}


@dataclass
class Topology:
    """How to reach one topology: LOCATION, options, and how to empty it."""

    name: str
    location: str | list[str]
    flush: Callable[[], None]
    options: dict[str, Any] = field(default_factory=dict)

    def client_class(self, kind: str) -> str:
        sync, asynchronous = CLIENTS[self.name]
        return asynchronous if kind == "async" else sync

    def make(self, kind: str, **options: Any) -> EitherCache:
        return make_cache(
            kind, self.location, client_class=self.client_class(kind), **{**self.options, **options}
        )

    def sync_cache(self, **options: Any) -> Cache:
        return Cache(self.location, client_class=self.client_class("sync"), **{**self.options, **options})


class RawByKey:
    """``raw.get(key)``, ``raw.hget(name, field)``...: the call on the server holding the key."""

    def __init__(self, cache: Cache) -> None:
        self._client = cache.client

    def __getattr__(self, name: str) -> Callable[..., Any]:
        def call(key: Any, *args: Any, **kwargs: Any) -> Any:
            return getattr(self._client.get_client(write=True, key=key), name)(key, *args, **kwargs)

        return call


@pytest.fixture(scope="session")
def shard_servers() -> Iterator[list[EmbeddedServer]]:
    """Three standalone servers for the sharded client."""
    servers = [start_tcp_server() for _ in range(3)]
    try:
        yield servers
    finally:
        for server in servers:
            server.stop()


def _flush_all(servers: list[EmbeddedServer]) -> Callable[[], None]:
    def flush() -> None:
        for server in servers:
            if not server.is_running():
                server.start()
            server.flushall()

    return flush


def build_topology(name: str, request: pytest.FixtureRequest) -> Topology:
    if name == "herd":
        server: EmbeddedServer = request.getfixturevalue("valkey_server")
        return Topology(name, server.url, _flush_all([server]))
    if name == "shard":
        servers: list[EmbeddedServer] = request.getfixturevalue("shard_servers")
        return Topology(name, [s.url for s in servers], _flush_all(servers))
    if name == "sentinel":
        sentinel: EmbeddedSentinel = request.getfixturevalue("valkey_sentinel")
        return Topology(
            name,
            f"valkey://{sentinel.service_name}/0",
            lambda: sentinel.current_master_server().flushall(),
            {"sentinels": sentinel.sentinels},
        )
    cluster: EmbeddedCluster = request.getfixturevalue("valkey_cluster")
    return Topology(name, cluster.url, cluster.flushall)


@pytest.fixture(params=list(CLIENTS))
def topology(request: pytest.FixtureRequest) -> Topology:
    built = build_topology(str(request.param), request)
    built.flush()
    return built


@pytest.fixture(params=["sync", "async"])
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def cache(topology: Topology, kind: str) -> EitherCache:
    return topology.make(kind, key_prefix="test")


@pytest.fixture
def cache_factory(topology: Topology, kind: str) -> Callable[..., EitherCache]:
    return lambda **options: topology.make(kind, **options)


@pytest.fixture
def raw_valkey(topology: Topology) -> RawByKey:
    return RawByKey(topology.sync_cache())


@pytest.fixture(autouse=True)
def _skip_where_meaningless(request: pytest.FixtureRequest) -> None:
    callspec = getattr(request.node, "callspec", None)
    if callspec is None or "topology" not in callspec.params:
        return
    reason = SKIPS.get((callspec.params["topology"], request.node.originalname))
    if reason:
        pytest.skip(reason)
