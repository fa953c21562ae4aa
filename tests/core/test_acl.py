"""An ACL user restricted to the cache's key prefixes, without @dangerous, can run every
command of the cache; ``clear()`` then needs ``CLEAR_SCOPE='prefix'``.

The whole command suite (``tests/command_suite.py``) runs here as that user, whose
line is ``cacheuser on >... ~test:* ... &* +@all -@dangerous``: KEYS, FLUSHDB,
FLUSHALL, INFO, DEBUG, RESTORE... are refused to it.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import valkey
from cachetest import EitherCache, make_cache
from command_suite import *  # noqa: F403
from command_suite import CacheFactory

from valkey_cache.core import Cache
from valkey_cache.core.embedded import EmbeddedCluster, EmbeddedServer
from valkey_cache.core.exceptions import ConfigurationError, PermissionDenied

pytestmark = pytest.mark.anyio

USER = "cacheuser"
PASSWORD = "cacheuser-secret"
# The prefixes the command suite's caches use ("a*" and "ab", "tenant-a", "p", "").
KEY_PATTERNS = ["~test:*", "~myapp:*", "~a*:*", "~tenant-*:*", "~p:*", "~:*"]
ACL_RULES = ["on", f">{PASSWORD}", *KEY_PATTERNS, "&*", "+@all", "-@dangerous"]
ACL_LINE = f"{USER} " + " ".join(ACL_RULES)
SHARD = "valkey_cache.core.client.AsyncShardClient", "valkey_cache.core.client.ShardClient"
CLUSTER = "valkey_cache.core.client.AsyncClusterClient", "valkey_cache.core.client.ClusterClient"


@pytest.fixture(scope="module")
def acl_servers() -> Iterator[list[EmbeddedServer]]:
    """Two servers where ``cacheuser`` may touch only its prefixes; ``default`` is the admin."""
    servers = [EmbeddedServer({"user": [ACL_LINE]}, name=f"acl{i}").start() for i in range(2)]
    try:
        yield servers
    finally:
        for server in servers:
            server.stop()


@pytest.fixture
def acl_server(acl_servers: list[EmbeddedServer]) -> EmbeddedServer:
    for server in acl_servers:
        server.flushall()
    return acl_servers[0]


def user_url(server: EmbeddedServer) -> str:
    return f"valkey://{USER}:{PASSWORD}@{server.host}:{server.port}/0"


@pytest.fixture
def cache(kind: str, acl_server: EmbeddedServer) -> EitherCache:
    return make_cache(kind, user_url(acl_server), key_prefix="test", clear_scope="prefix")


@pytest.fixture
def cache_factory(kind: str, acl_server: EmbeddedServer) -> CacheFactory:
    return lambda **options: make_cache(kind, user_url(acl_server), **{"clear_scope": "prefix", **options})


@pytest.fixture
def raw_valkey(acl_server: EmbeddedServer) -> Iterator[valkey.Valkey]:
    client = acl_server.client()
    try:
        yield client
    finally:
        client.close()


def test_the_user_is_really_restricted(acl_server: EmbeddedServer) -> None:
    with valkey.Valkey(host=acl_server.host, port=acl_server.port, username=USER, password=PASSWORD) as raw:
        for command in (("KEYS", "test:*"), ("FLUSHDB",), ("INFO",), ("GET", "elsewhere:1:k")):
            with pytest.raises(valkey.exceptions.NoPermissionError):
                raw.execute_command(*command)


async def test_locks_extras_and_versions_as_the_user(kind: str, acl_server: EmbeddedServer) -> None:
    cache = make_cache(kind, user_url(acl_server), key_prefix="myapp")
    lock = await cache.lock("job", timeout=5)
    if cache.is_async:
        assert await lock.acquire(blocking=False) is True
        await lock.release()
    else:
        assert lock.acquire(blocking=False) is True
        lock.release()
    await cache.set("v", 1)
    assert await cache.incr_version("v") == 2
    assert await cache.get("v", version=2) == 1
    assert await cache.get_or_set("gos", 5) == 5
    assert await cache.keys("*") == ["gos"]
    assert await cache.keys("*", version=2) == ["v"]


async def test_clear_by_default_names_clear_scope(kind: str, acl_server: EmbeddedServer) -> None:
    cache = make_cache(kind, user_url(acl_server), key_prefix="myapp", ignore_exceptions=True)
    where = f"{acl_server.host}:{acl_server.port}"
    with pytest.raises(PermissionDenied) as info:
        await cache.clear()
    assert str(info.value) == (
        f"FLUSHDB was denied to user 'cacheuser' on Valkey server {where}: "
        "User cacheuser has no permissions to run the 'flushdb' command; "
        "set OPTIONS['CLEAR_SCOPE'] = 'prefix' to clear only this cache's keys"
    )
    assert PASSWORD not in repr(info.value)


async def seed_other_prefix(server: EmbeddedServer) -> None:
    with server.client() as raw:
        raw.set("other:1:keep", b"x")
        raw.set("myappx:1:keep", b"x")  # shares the first letters only


async def test_clear_scope_prefix_deletes_only_this_caches_keys(
    kind: str, acl_server: EmbeddedServer
) -> None:
    cache = make_cache(kind, user_url(acl_server), key_prefix="myapp", clear_scope="prefix", scan_itersize=7)
    await seed_other_prefix(acl_server)
    await cache.set_many({f"k{i}": i for i in range(40)})
    await cache.set("old", 1, version=3)
    assert await cache.clear() is True
    assert await cache.keys("*") == []
    assert await cache.get("old", version=3) is None
    with acl_server.client() as raw:
        assert sorted(raw.keys("*")) == [b"myappx:1:keep", b"other:1:keep"]


async def test_shard_client_as_the_user(kind: str, acl_servers: list[EmbeddedServer]) -> None:
    for server in acl_servers:
        server.flushall()
        await seed_other_prefix(server)
    urls = [user_url(server) for server in acl_servers]
    cache = make_cache(
        kind, urls, client_class=SHARD[kind == "sync"], key_prefix="myapp", clear_scope="prefix"
    )
    await cache.set_many({f"k{i}": i for i in range(30)})
    assert sorted(await cache.keys("*")) == sorted(f"k{i}" for i in range(30))
    for server in acl_servers:  # both shards hold some keys
        with server.client() as raw:
            assert len(raw.keys("myapp:*")) > 0
    assert await cache.delete_pattern("k1*") == 11
    assert await cache.clear() is True
    for server in acl_servers:
        with server.client() as raw:
            assert sorted(raw.keys("*")) == [b"myappx:1:keep", b"other:1:keep"]
    flushing = make_cache(kind, urls, client_class=SHARD[kind == "sync"], key_prefix="myapp")
    with pytest.raises(PermissionDenied, match="CLEAR_SCOPE"):
        await flushing.clear()


@pytest.fixture
def acl_cluster(valkey_cluster: EmbeddedCluster) -> EmbeddedCluster:
    for node in valkey_cluster.nodes:
        node.execute("ACL", "SETUSER", USER, "reset", *ACL_RULES)
    valkey_cluster.flushall()
    return valkey_cluster


async def test_cluster_client_as_the_user(kind: str, acl_cluster: EmbeddedCluster) -> None:
    url = user_url(acl_cluster.masters[0])
    client_class = CLUSTER[kind == "sync"]
    cache = make_cache(kind, url, client_class=client_class, key_prefix="myapp", clear_scope="prefix")
    for prefix in ("other", "myappx"):  # written by the admin, on every primary
        Cache(acl_cluster.url, client_class=CLUSTER[1], key_prefix=prefix).set_many({i: i for i in range(20)})
    await cache.set_many({f"k{i}": i for i in range(30)})
    assert sorted(await cache.keys("*")) == sorted(f"k{i}" for i in range(30))
    assert await cache.clear() is True
    assert await cache.keys("*") == []
    remaining: list[bytes] = []
    for master in acl_cluster.masters:
        with master.client() as raw:
            found = raw.keys("*")
            assert found  # every primary held some of the other prefixes' keys
            remaining += found
    assert sorted(remaining) == sorted(f"{p}:1:{i}".encode() for p in ("other", "myappx") for i in range(20))
    flushing = make_cache(kind, url, client_class=client_class, key_prefix="myapp")
    with pytest.raises(PermissionDenied, match="CLEAR_SCOPE"):
        await flushing.clear()


@pytest.mark.parametrize("value", ["everything", "", 1, "PREFIX"])
def test_bad_clear_scope_is_a_configuration_error(valkey_url: str, value: object) -> None:
    with pytest.raises(ConfigurationError) as info:
        Cache(valkey_url, clear_scope=value)
    assert str(info.value) == f"CLEAR_SCOPE={value!r} is not valid: expected one of 'database', 'prefix'"
