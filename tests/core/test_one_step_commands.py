"""One-step commands (one op, finished and recovered by the driver, no generator):
their common and rare branches against a real server."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from cachetest import make_cache

from valkey_cache.core import ConnectionInterrupted
from valkey_cache.core.embedded import EmbeddedServer

pytestmark = pytest.mark.anyio


def test_single_key_commands_are_one_step() -> None:
    """One op, no generator: what lets the drivers skip the generator machinery."""
    from valkey_cache.core import Cache
    from valkey_cache.core.commands import standard
    from valkey_cache.core.commands.ops import Op

    client = Cache("valkey://127.0.0.1:1/0").client
    for step in (
        standard.cmd_get(client, "k"),
        standard.cmd_set(client, "k", 1),
        standard.cmd_add(client, "k", 1),
        standard.cmd_delete(client, "k"),
        standard.cmd_has_key(client, "k"),
        standard.cmd_incr(client, "k"),
        standard.cmd_touch(client, "k", 5),
        standard.cmd_ttl(client, "k"),
        standard.cmd_expire(client, "k", 5),
        standard.cmd_sadd(client, "k", 1),
        standard.cmd_hget(client, "k", "f"),
        standard.cmd_zscore(client, "k", 1),
    ):
        assert isinstance(step, Op)


async def test_single_key_commands_on_one_location(kind: str, valkey_url: str, raw_valkey: Any) -> None:
    cache = make_cache(kind, valkey_url, key_prefix="direct")
    assert await cache.get("k") is None  # connects, through the driver
    raw_valkey.script_flush()
    await cache.set("n", 1)
    assert await cache.incr("n") == 2  # NOSCRIPT: the generator loads the script
    assert await cache.set("k", 1, timeout=30) is True
    assert await cache.get("k") == 1
    assert await cache.add("k", 2) is False
    assert await cache.incr("k", 5) == 6
    assert await cache.decr("k") == 5
    assert await cache.delete("k") is True
    assert await cache.delete("k") is False
    assert await cache.get("k", "dflt") == "dflt"
    assert await cache.incr("k", 3, ignore_key_check=True) == 3


async def test_rare_branches_recover(kind: str, valkey_url: str, raw_valkey: Any) -> None:
    cache = make_cache(kind, valkey_url, key_prefix="direct")
    await cache.get("connect")
    await cache.set("k", "v")
    assert await cache.set("k", "v", timeout=0) is False  # a timeout of 0 deletes
    assert raw_valkey.exists("direct:1:k") == 0
    assert await cache.add("k", "v", timeout=-1) is True  # absent: add "succeeds", stores nothing
    assert raw_valkey.exists("direct:1:k") == 0
    await cache.set("big", 2**63 - 1)
    assert await cache.incr("big") == 2**63  # INCRBY refuses; the generator adds in Python
    assert await cache.get("big") == 2**63
    with pytest.raises(ValueError, match="'missing' not found"):
        await cache.incr("missing")


async def test_corrupt_value_is_a_miss_and_a_log_line(
    kind: str, valkey_url: str, raw_valkey: Any, caplog: pytest.LogCaptureFixture
) -> None:
    cache = make_cache(kind, valkey_url, key_prefix="direct")
    await cache.get("connect")
    raw_valkey.set("direct:1:bad", b"\x80\x05not a pickle")
    with caplog.at_level(logging.WARNING, logger="valkey_cache"):
        assert await cache.get("bad", "dflt") == "dflt"
    assert any("direct:1:bad" in record.getMessage() for record in caplog.records)


async def test_explicit_client_is_used(kind: str, valkey_url: str) -> None:
    cache = make_cache(kind, valkey_url, key_prefix="direct")
    inner = cache.inner.client
    connection = inner.get_client(write=True)
    if kind == "async":
        connection = await connection
    assert await cache.set("k", 1, client=connection) is True
    assert await cache.get("k", client=connection) == 1


async def test_several_locations(kind: str, valkey_url: str) -> None:
    cache = make_cache(kind, [valkey_url, valkey_url], key_prefix="direct")
    for _ in range(2):
        await cache.set("k", 1)
        assert await cache.get("k") == 1


async def test_outage_on_one_step_commands(kind: str, fresh_server: EmbeddedServer) -> None:
    # Without the circuit breaker (test_circuit_breaker.py) the restarted server serves at once.
    cache = make_cache(kind, fresh_server.url, retries=0, socket_connect_timeout=0.5, circuit_breaker=False)
    assert await cache.set("k", 1) is True
    assert await cache.get("k") == 1
    fresh_server.stop()
    try:
        for call in (cache.get("k"), cache.set("k", 2), cache.delete("k"), cache.incr("k")):
            with pytest.raises(ConnectionInterrupted) as info:
                await call
            assert "127.0.0.1" in str(info.value)
    finally:
        fresh_server.start()
    assert await cache.set("k", 3) is True
    assert await cache.get("k") == 3
