"""Every topology: close() and reuse, option names, and the client the Django package reaches."""

from __future__ import annotations

from typing import Any

import pytest

from valkey_cache.core import ConfigurationError

pytestmark = pytest.mark.anyio


async def test_close_connection_then_reuse(topology: Any, kind: str) -> None:
    cache = topology.make(kind, close_connection=True)
    assert await cache.set("k", 1) is True
    await cache.close()
    assert await cache.get("k") == 1
    await cache.close()
    assert await cache.set_many({"a": 1, "b": 2}) == []
    assert await cache.get_many(["a", "b"]) == {"a": 1, "b": 2}


async def test_misspelt_option_is_named(topology: Any, kind: str) -> None:
    with pytest.raises(ConfigurationError, match="IGNORE_EXCEPTION"):
        topology.make(kind, ignore_exception=True)


async def test_get_client_for_a_key_holds_that_key(topology: Any, kind: str) -> None:
    cache = topology.make(kind)
    await cache.set("k", "v", timeout=None)
    made = cache.inner.make_key("k")
    conn = cache.inner.client.get_client(write=True, key=made)
    if kind == "async":
        conn = await conn
        assert await conn.exists(made) == 1
    else:
        assert conn.exists(made) == 1
