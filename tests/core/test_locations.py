"""Several locations: the first takes writes, reads go to the others."""

from __future__ import annotations

import pytest
from cachetest import make_cache

from valkey_cache.core.embedded import EmbeddedServer

pytestmark = pytest.mark.anyio


async def test_writes_first_reads_others(kind: str, valkey_url: str, fresh_server: EmbeddedServer) -> None:
    fresh_server.flushall()
    cache = make_cache(kind, [valkey_url, fresh_server.url], key_prefix="r")
    await cache.set("k", 1)
    # The read replica here is an independent server: the write is not on it.
    assert await cache.get("k") is None
    fresh_server.client().set("r:1:k", b"7")
    assert await cache.get("k") == 7


async def test_comma_separated_locations(kind: str, valkey_url: str, fresh_server: EmbeddedServer) -> None:
    cache = make_cache(kind, f"{valkey_url},{fresh_server.url}")
    assert cache.inner.client._server == [valkey_url, fresh_server.url]
