"""Configuration: clear errors naming the option, URLs, auth, pools."""

from __future__ import annotations

import asyncio
import os
import pickle
import subprocess
import sys

import pytest
import valkey
from servers import ACL_PASSWORD, ACL_USERNAME, AUTH_PASSWORD

from valkey_cache.core import AsyncCache, Cache, ConfigurationError
from valkey_cache.core.embedded import EmbeddedServer
from valkey_cache.core.exceptions import AuthenticationFailed
from valkey_cache.core.pool import ConnectionFactory


@pytest.mark.parametrize(
    ("options", "option", "accepted"),
    [
        ({"PICKLE_VERSION": pickle.HIGHEST_PROTOCOL + 1}, "PICKLE_VERSION", "integer from -1 to"),
        ({"PICKLE_VERSION": "x"}, "PICKLE_VERSION", "integer"),
        ({"SOCKET_TIMEOUT": "fast"}, "SOCKET_TIMEOUT", "number"),
        ({"SOCKET_CONNECT_TIMEOUT": -1}, "SOCKET_CONNECT_TIMEOUT", "number >= 0"),
        ({"RETRIES": -1}, "RETRIES", "integer >= 0"),
        ({"SERIALIZER": "no.such.Serializer"}, "SERIALIZER", "importable dotted path"),
        ({"COMPRESSOR": 42}, "COMPRESSOR", "compress() and decompress()"),
        ({"SERIALIZER": object()}, "SERIALIZER", "dumps() and loads()"),
        ({"CONNECTION_POOL_KWARGS": [1]}, "CONNECTION_POOL_KWARGS", "dict"),
        ({"IGNORE_EXCEPTIONS": "maybe"}, "IGNORE_EXCEPTIONS", "True or False"),
        ({"CLIENT_CLASS": "valkey_cache.core.nothing.Here"}, "CLIENT_CLASS", "importable"),
        ({"SCAN_ITERSIZE": 0}, "SCAN_ITERSIZE", ">= 1"),
    ],
)
def test_bad_option_names_option_and_accepted(
    valkey_url: str, options: dict[str, object], option: str, accepted: str
) -> None:
    with pytest.raises(ConfigurationError) as info:
        Cache(valkey_url, options=options)
    assert info.value.option == option
    assert option in str(info.value)
    assert accepted in str(info.value)


def test_unknown_option_suggests_closest(valkey_url: str) -> None:
    with pytest.raises(ConfigurationError, match="did you mean 'SOCKET_TIMEOUT'"):
        Cache(valkey_url, options={"SOCKET_TIMOUT": 1})


def test_django_redis_option_names_point_at_ours(valkey_url: str) -> None:
    with pytest.raises(ConfigurationError, match="did you mean 'BASE_CLIENT_CLASS'"):
        Cache(valkey_url, options={"REDIS_CLIENT_CLASS": "valkey.Valkey"})


def test_keyword_options_in_lower_case(valkey_url: str) -> None:
    cache = Cache(valkey_url, socket_timeout=2, serializer="valkey_cache.core.serializer.PickleSerializer")
    assert cache.set("k", 1)
    assert cache.client.connection_factory.options["SOCKET_TIMEOUT"] == 2


@pytest.mark.parametrize("location", ["", [], None, " , "])
def test_missing_location(location: object) -> None:
    with pytest.raises(ConfigurationError, match="LOCATION"):
        Cache(location)  # type: ignore[arg-type]


def test_url_schemes_and_db(valkey_server: EmbeddedServer, valkey_url: str) -> None:
    host, port = valkey_server.host, valkey_server.port
    raw = valkey.Valkey(host=host, port=port, db=3)
    for url in (
        f"valkey://{host}:{port}/3",
        f"redis://{host}:{port}/3",
        f"valkey://{host}:{port}?db=3",
    ):
        raw.flushdb()
        cache = Cache(url)
        cache.set("k", url)
        assert raw.get(":1:k") == pickle.dumps(url, pickle.DEFAULT_PROTOCOL)
    raw.flushdb()


def test_unix_socket(valkey_unix_url: str) -> None:
    assert valkey_unix_url.startswith("unix://")
    cache = Cache(valkey_unix_url)
    cache.set("k", {"via": "socket"})
    assert cache.get("k") == {"via": "socket"}


@pytest.mark.anyio
async def test_unix_socket_async(valkey_unix_url: str) -> None:
    cache = AsyncCache(valkey_unix_url)
    await cache.set("k", 5)
    assert await cache.incr("k") == 6


def test_password_option_and_url_password(valkey_auth_server: EmbeddedServer) -> None:
    host, port = valkey_auth_server.host, valkey_auth_server.port
    assert Cache(f"valkey://{host}:{port}", password=AUTH_PASSWORD).set("a", 1)
    # The URL's password wins over the option.
    url = f"valkey://:{AUTH_PASSWORD}@{host}:{port}"
    assert Cache(url, password="wrong").set("b", 1)
    acl = Cache(f"valkey://{ACL_USERNAME}:{ACL_PASSWORD}@{host}:{port}")
    assert acl.get("a") == 1


def test_wrong_password_error_hides_password(valkey_auth_server: EmbeddedServer) -> None:
    host, port = valkey_auth_server.host, valkey_auth_server.port
    cache = Cache(f"valkey://:sekrit-pw@{host}:{port}", retries=0)
    with pytest.raises(AuthenticationFailed) as info:  # not an outage: never hidden
        cache.get("a")
    assert "sekrit-pw" not in str(info.value)
    assert "sekrit-pw" not in repr(info.value)
    assert "sekrit-pw" not in repr(cache)


def test_protocol_3(valkey_url: str) -> None:
    cache = Cache(valkey_url + "?protocol=3")
    cache.set("k", {"a": 1})
    cache.hset("h", "f", 2)
    assert cache.get("k") == {"a": 1}
    assert cache.hgetall("h") == {"f": 2}
    assert cache.client.get_client().connection_pool.connection_kwargs["protocol"] in (3, "3")


def test_pools_shared_per_process_and_options(valkey_url: str) -> None:
    a, b = Cache(valkey_url), Cache(valkey_url, key_prefix="other")
    assert a.client.get_client().connection_pool is b.client.get_client().connection_pool
    c = Cache(valkey_url, socket_timeout=3)
    assert c.client.get_client().connection_pool is not a.client.get_client().connection_pool
    d = Cache(valkey_url, connection_pool_kwargs={"max_connections": 5})
    pool = d.client.get_client().connection_pool
    assert pool is not a.client.get_client().connection_pool
    assert pool.max_connections == 5


def test_retry_health_check_and_timeouts_reach_connections(valkey_url: str) -> None:
    cache = Cache(
        valkey_url,
        retries=3,
        retry_on_timeout=True,
        health_check_interval=15,
        socket_timeout=1.5,
        socket_connect_timeout=0.5,
    )
    cache.set("k", 1)
    pool = cache.client.get_client().connection_pool
    kwargs = pool.connection_kwargs
    assert kwargs["health_check_interval"] == 15
    assert kwargs["socket_timeout"] == 1.5
    assert kwargs["socket_connect_timeout"] == 0.5
    assert kwargs["retry"]._retries == 3
    assert kwargs["retry_on_timeout"] is True


@pytest.mark.anyio
async def test_async_pools_are_per_event_loop(valkey_url: str) -> None:
    cache = AsyncCache(valkey_url)
    await cache.set("k", 1)
    here = (await cache.client.get_client()).connection_pool

    def other_loop() -> object:
        async def inner() -> object:
            assert await cache.get("k") == 1
            return (await cache.client.get_client()).connection_pool

        return asyncio.run(inner())

    there = await asyncio.to_thread(other_loop)
    assert there is not here
    assert (await cache.client.get_client()).connection_pool is here


FORK_CHECK = """
import os, sys
from valkey_cache.core import Cache

url = sys.argv[1]
cache = Cache(url)
cache.set("k", 1)
parent_pool = cache.client.get_client().connection_pool
read, write = os.pipe()
pid = os.fork()
if pid == 0:  # child: a new Cache must get a new pool, and work
    ok = False
    try:
        child = Cache(url)
        ok = child.client.get_client().connection_pool is not parent_pool and child.get("k") == 1
    finally:
        os.write(write, b"1" if ok else b"0")
        os._exit(0)
os.close(write)
result = os.read(read, 1)
os.waitpid(pid, 0)
assert result == b"1", "the child reused the parent's pool or could not read"
assert cache.get("k") == 1
print("ok")
"""


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_pool_is_not_reused_after_fork(valkey_url: str) -> None:
    # In a fresh single-threaded interpreter: forking pytest's threaded process is unsafe.
    done = subprocess.run(
        [sys.executable, "-c", FORK_CHECK, valkey_url],
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"


def test_custom_connection_factory(valkey_url: str) -> None:
    made = []

    class CountingFactory(ConnectionFactory):
        def connect(self, url: str) -> valkey.Valkey:
            made.append(url)
            return super().connect(url)

    path = f"{__name__}.CountingFactory"
    globals()["CountingFactory"] = CountingFactory
    cache = Cache(valkey_url, connection_factory=path)
    cache.set("k", 1)
    assert made == [valkey_url]
