"""The asyncio client's attributes stay fast to read after its first command.

Its commands read a dozen of its attributes a call. On CPython 3.11 those reads are
specialised (``LOAD_ATTR_INSTANCE_VALUE``) only while the instance's ``__dict__`` was
never touched; the per-loop clients used to be a ``functools.cached_property``, which
touches it. The test looks at what the interpreter specialised (``dis``), not at time.
"""

from __future__ import annotations

import sys

import pytest
from cachetest import specialised_reads

from valkey_cache.core import AsyncCache


@pytest.mark.skipif(sys.version_info[:2] != (3, 11), reason="the CPython 3.11 specialisation this guards")
@pytest.mark.anyio
async def test_the_async_clients_attributes_stay_specialised(valkey_url: str) -> None:
    cache = AsyncCache(valkey_url, key_prefix="reads")
    assert await cache.set("k", 1) is True
    assert await cache.get("k") == 1
    reads = specialised_reads(cache.client, "_backend", "_key_head", "_inline", "_clients_by_loop", "decoder")
    assert reads == {"LOAD_ATTR_INSTANCE_VALUE"}
    await cache.delete("k")
