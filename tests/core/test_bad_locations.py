"""Configuration a new user gets wrong first, refused when the cache is built.

A bad LOCATION, a NaN or infinite number, an unknown pool keyword and a parser of the
wrong kind each raise ConfigurationError naming the option, before any connection;
good values still connect to a real server. Also: caches with the same URL but
different connection factories never share a pool.
"""

from __future__ import annotations

import math
from typing import Any

import pytest
import valkey

from valkey_cache.core import AsyncCache, Cache
from valkey_cache.core.exceptions import ConfigurationError
from valkey_cache.core.pool import ConnectionFactory

SECRET = "Sup3r-s3cret"

BAD_LOCATIONS = {
    "no scheme": "nonsense",
    "http": "http://127.0.0.1:6379/0",
    "port not a number": "valkey://127.0.0.1:notaport/0",
    "port out of range": "valkey://127.0.0.1:70000/0",
    "db query not a number": "valkey://127.0.0.1:6379?db=abc",
    "db path not a number": "valkey://127.0.0.1:6379/abc",
    "socket_timeout query not a number": "valkey://127.0.0.1:6379/0?socket_timeout=soon",
    "socket_timeout query infinite": "valkey://127.0.0.1:6379/0?socket_timeout=inf",
    "second of a list": "valkey://127.0.0.1:6379/0,http://127.0.0.1:6380/0",
}

GOOD_LOCATIONS = [
    "valkey://127.0.0.1:6379/0",
    "VALKEY://127.0.0.1:6379/0",
    "valkeys://127.0.0.1:6380/1",
    "redis://127.0.0.1:6379",
    "rediss://user:pw@127.0.0.1:6379/2",
    "unix:///tmp/valkey.sock?db=3",
    "unix:/tmp/valkey.sock",
    "valkey://127.0.0.1:6379?db=4&socket_timeout=1.5",
    "valkey://mymaster/0",  # a Sentinel service name
    "valkey://[::1]:6379/0",
]


@pytest.mark.parametrize("cls", [Cache, AsyncCache])
@pytest.mark.parametrize("location", list(BAD_LOCATIONS.values()), ids=list(BAD_LOCATIONS))
def test_bad_location_is_refused_when_built(cls: type[Any], location: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        cls(location)
    assert caught.value.option == "LOCATION"
    assert "valkey, valkeys, redis, rediss, unix" in str(caught.value)


@pytest.mark.parametrize("location", GOOD_LOCATIONS)
def test_every_scheme_valkey_py_takes_is_accepted(location: str) -> None:
    Cache(location)
    AsyncCache(location)


@pytest.mark.parametrize(
    "location",
    [f"valkey://:{SECRET}@127.0.0.1:notaport/0", f"valkey://app:{SECRET}@127.0.0.1:6379/x?db=1"],
)
def test_bad_location_message_hides_the_password(location: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        Cache(location)
    assert SECRET not in str(caught.value)
    assert SECRET not in repr(caught.value.args)


def test_database_in_path_and_query_reach_the_server(valkey_url: str) -> None:
    base = valkey_url.rstrip("/")
    Cache(base + "/3").set("in-path", 1)
    Cache(base + "?db=4").set("in-query", 1)
    with valkey.Valkey.from_url(base, db=3) as db3, valkey.Valkey.from_url(base, db=4) as db4:
        assert db3.exists(":1:in-path")
        assert not db3.exists(":1:in-query")
        assert db4.exists(":1:in-query")
        db3.flushdb()
        db4.flushdb()


@pytest.mark.parametrize("cls", [Cache, AsyncCache])
@pytest.mark.parametrize("option", ["SOCKET_TIMEOUT", "SOCKET_CONNECT_TIMEOUT", "RETRY_BACKOFF"])
@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_nan_or_infinite_seconds_are_refused(cls: type[Any], option: str, value: float) -> None:
    with pytest.raises(ConfigurationError) as caught:
        cls("valkey://127.0.0.1:6379/0", options={option: value})
    assert caught.value.option == option
    assert "finite number" in str(caught.value)


@pytest.mark.parametrize("cls", [Cache, AsyncCache])
def test_unknown_pool_keyword_is_refused_with_close_matches(cls: type[Any]) -> None:
    with pytest.raises(ConfigurationError) as caught:
        cls("valkey://127.0.0.1:6379/0", options={"CONNECTION_POOL_KWARGS": {"max_conections": 5}})
    assert caught.value.option == "CONNECTION_POOL_KWARGS"
    assert "max_conections" in str(caught.value)
    assert "max_connections" in str(caught.value)


def test_unknown_pool_keyword_hides_a_password_beside_it() -> None:
    kwargs = {"password": SECRET, "nope": 1}
    with pytest.raises(ConfigurationError) as caught:
        Cache("valkey://127.0.0.1:6379/0", options={"CONNECTION_POOL_KWARGS": kwargs})
    assert "nope" in str(caught.value)
    assert SECRET not in str(caught.value)


def test_known_pool_keywords_reach_the_connections(valkey_url: str, raw_valkey: valkey.Valkey) -> None:
    kwargs = {"max_connections": 3, "client_name": "first-contact", "health_check_interval": 5}
    cache = Cache(valkey_url, options={"CONNECTION_POOL_KWARGS": kwargs})
    cache.set("k", 1)
    names = [client["name"] for client in raw_valkey.client_list()]
    assert "first-contact" in names
    blocking = {"timeout": 3, "max_connections": 2}
    other = Cache(
        valkey_url,
        options={
            "CONNECTION_POOL_CLASS": "valkey.connection.BlockingConnectionPool",
            "CONNECTION_POOL_KWARGS": blocking,
        },
    )
    assert other.get("k") == 1


def test_sync_parser_for_async_cache_is_refused() -> None:
    with pytest.raises(ConfigurationError) as caught:
        AsyncCache("valkey://127.0.0.1:6379/0", options={"PARSER_CLASS": "valkey._parsers._RESP2Parser"})
    assert caught.value.option == "PARSER_CLASS"
    assert "asyncio parser" in str(caught.value)
    with pytest.raises(ConfigurationError):
        Cache("valkey://127.0.0.1:6379/0", options={"PARSER_CLASS": "valkey._parsers._AsyncRESP2Parser"})


@pytest.mark.anyio
async def test_parser_of_the_right_kind_is_used(valkey_url: str) -> None:
    cache = AsyncCache(valkey_url, options={"PARSER_CLASS": "valkey._parsers._AsyncRESP2Parser"})
    await cache.set("k", "v")
    assert await cache.get("k") == "v"
    sync = Cache(valkey_url, options={"PARSER_CLASS": "valkey._parsers._RESP2Parser"})
    assert sync.get("k") == "v"
    await cache.close()


# -- pools are shared only by identical connections -------------------------------------

POOLS_MADE: list[str] = []


class CountingFactory(ConnectionFactory):
    def get_connection_pool(self, params: dict[str, Any]) -> Any:
        POOLS_MADE.append(type(self).__name__)
        return super().get_connection_pool(params)


class NamingFactory(CountingFactory):
    """Connects differently from its base: every connection is named."""

    def make_connection_params(self, url: str | None) -> dict[str, Any]:
        params = super().make_connection_params(url)
        params["client_name"] = "named-by-factory"
        return params


def test_same_url_different_factories_use_their_own_pools(valkey_url: str, raw_valkey: valkey.Valkey) -> None:
    POOLS_MADE.clear()
    first = Cache(valkey_url, options={"CONNECTION_FACTORY": f"{__name__}.CountingFactory", "RETRIES": 3})
    first.set("k", 1)
    second = Cache(valkey_url, options={"CONNECTION_FACTORY": f"{__name__}.NamingFactory", "RETRIES": 3})
    second.set("k", 2)
    assert POOLS_MADE == ["CountingFactory", "NamingFactory"]
    assert "named-by-factory" in [client["name"] for client in raw_valkey.client_list()]
    # The same factory and options again: the pool is shared.
    again = Cache(valkey_url, options={"CONNECTION_FACTORY": f"{__name__}.CountingFactory", "RETRIES": 3})
    assert again.get("k") == 2
    assert POOLS_MADE == ["CountingFactory", "NamingFactory"]
