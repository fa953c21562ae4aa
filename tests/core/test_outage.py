"""A server that is down or restarting: clear errors, or misses with IGNORE_EXCEPTIONS."""

from __future__ import annotations

import logging

import pytest
import valkey
from cachetest import make_cache

from valkey_cache.core import Cache, ConnectionInterrupted
from valkey_cache.core.embedded import EmbeddedServer, find_free_port

pytestmark = pytest.mark.anyio


def dead_url() -> str:
    return f"valkey://:hunter2@127.0.0.1:{find_free_port()}"


async def test_down_server_raises_connection_interrupted_without_password(kind: str) -> None:
    cache = make_cache(kind, dead_url(), retries=0, socket_connect_timeout=0.5)
    with pytest.raises(ConnectionInterrupted) as info:
        await cache.get("k")
    message = str(info.value)
    assert "127.0.0.1" in message
    assert "hunter2" not in message
    assert "hunter2" not in repr(info.value)
    with pytest.raises(ConnectionInterrupted):
        await cache.set("k", 1)
    # Code written for django-valkey 0.4 catches valkey-py's own error.
    with pytest.raises(valkey.exceptions.ConnectionError):
        await cache.get("k")


async def test_ignore_exceptions_reads_miss_writes_noop(kind: str, caplog: pytest.LogCaptureFixture) -> None:
    cache = make_cache(
        kind,
        dead_url(),
        retries=0,
        ignore_exceptions=True,
        log_ignored_exceptions=True,
        logger="myapp.cache",
    )
    with caplog.at_level(logging.WARNING, logger="myapp.cache"):
        assert await cache.get("k") is None
        assert await cache.get("k", "dflt") == "dflt"
        assert await cache.get("k", default=3) == 3
        assert await cache.get_many(["a", "b"]) == {}
        assert await cache.set("k", 1) is False
        assert await cache.add("k", 1) is False
        assert await cache.set_many({"a": 1}) == []
        assert await cache.delete("k") is False
        assert await cache.delete_many(["a"]) == 0
        assert await cache.has_key("k") is False
        assert await cache.collect("iter_keys", "*") == []
        assert await cache.get_or_set("k", 5) == 5
        assert await cache.get_or_set("k", lambda: 6) == 6
        assert await cache.incr("k") is None  # every command, as django-valkey 0.4
        assert await cache.ttl("k") is None
    records = [r for r in caplog.records if "myapp" in r.name]
    assert records
    assert all(r.levelname == "ERROR" and r.msg == "Exception ignored" for r in records)
    assert all("127.0.0.1" in str(r.exc_info[1]) for r in records if r.exc_info)
    assert {"get", "set", "incr"} <= {r.valkey_command for r in records}
    assert all("hunter2" not in r.getMessage() + str(r.exc_info) for r in caplog.records)


async def test_ignore_exceptions_without_logging_is_silent(
    kind: str, caplog: pytest.LogCaptureFixture
) -> None:
    cache = make_cache(kind, dead_url(), retries=0, ignore_exceptions=True)
    with caplog.at_level(logging.DEBUG):
        assert await cache.get("k") is None
    assert not [r for r in caplog.records if "ignored" in r.getMessage()]


async def test_survives_server_restart(kind: str, fresh_server: EmbeddedServer) -> None:
    cache = make_cache(kind, fresh_server.url)
    await cache.set("k", 1)
    assert await cache.get("k") == 1
    fresh_server.restart()
    # Pooled connections died with the old process; the next call reconnects.
    assert await cache.get("k") is None
    assert await cache.set("k", 2) is True
    assert await cache.get("k") == 2


def test_ignore_exceptions_recovers_when_server_returns(fresh_server: EmbeddedServer) -> None:
    cache = Cache(fresh_server.url, ignore_exceptions=True, retries=0)
    cache.set("k", 1)
    fresh_server.stop()
    assert cache.get("k") is None
    assert cache.set("k", 2) is False
    fresh_server.start()
    assert cache.set("k", 3) is True
    assert cache.get("k") == 3
