"""The herd client in Django: values shared with django-valkey 0.4 (its bytes read here,
ours readable by it), and ``get_or_set`` refreshing a stale value."""

from __future__ import annotations

import asyncio
import pickle
import time
from typing import Any

import pytest
import valkey
from django_topologies import close_loop_connections

from django_valkey.async_cache.cache import AsyncValkeyCache
from django_valkey.base_client import Marker
from django_valkey.cache import ValkeyCache

#: What django-valkey 0.4.1 stores for ``cache.set("legacy", {"answer": 42}, timeout)``
#: with its HerdClient, for an expiry of 2000000000: its ``PickleSerializer`` (protocol
#: ``pickle.DEFAULT_PROTOCOL``, 4) of ``(django_valkey.base_client.Marker(), value, expiry)``.
#: Produced by 0.4.1 itself, kept here byte for byte.
STORED_BY_04 = (
    b"\x80\x04\x95@\x00\x00\x00\x00\x00\x00\x00\x8c\x19django_valkey.base_client\x94\x8c\x06Marker"
    b"\x94\x93\x94)\x81\x94}\x94\x8c\x06answer\x94K*sJ\x00\x945w\x87\x94."
)

CLIENTS = {
    "sync": (ValkeyCache, "django_valkey.client.HerdClient"),
    "native": (ValkeyCache, "django_valkey.client.HerdClient"),
    "async": (AsyncValkeyCache, "django_valkey.async_cache.client.AsyncHerdClient"),
}


def call(mode: str, url: str, name: str, *args: Any) -> Any:
    """``cache.<name>(*args)`` on a herd cache: ``a<name>`` but for the sync mode."""
    backend, client = CLIENTS[mode]
    cache = backend(url, {"OPTIONS": {"CLIENT_CLASS": client}})
    if mode == "sync":
        return getattr(cache, name)(*args)

    async def run() -> Any:
        try:
            return await getattr(cache, f"a{name}")(*args)
        finally:
            await close_loop_connections()

    return asyncio.run(run())


@pytest.mark.parametrize("mode", list(CLIENTS))
def test_value_written_by_04_is_read(mode: str, url: str, raw_valkey: valkey.Valkey) -> None:
    raw_valkey.set(":1:legacy", STORED_BY_04, px=600_000)
    assert call(mode, url, "get", "legacy") == {"answer": 42}


@pytest.mark.parametrize("mode", list(CLIENTS))
def test_value_written_here_has_04s_layout(mode: str, url: str, raw_valkey: valkey.Valkey) -> None:
    before = int(time.time())
    call(mode, url, "set", "ours", {"answer": 42}, 600)
    stored = raw_valkey.get(":1:ours")
    assert stored is not None
    # 0.4's reader: unpickle, then isinstance(marker, django_valkey.base_client.Marker).
    marker, value, expiry = pickle.loads(stored)
    assert isinstance(marker, Marker)
    assert (type(marker).__module__, type(marker).__qualname__) == ("django_valkey.base_client", "Marker")
    assert value == {"answer": 42}
    assert isinstance(expiry, int)
    assert before + 600 <= expiry <= int(time.time()) + 600
    # Byte for byte what 0.4 writes for that value and expiry.
    expected = bytearray(STORED_BY_04)
    expected[-7:-3] = expiry.to_bytes(4, "little")  # the BININT of the expiry
    assert stored == bytes(expected)
    assert 600_000 < raw_valkey.pttl(":1:ours") <= 660_000  # kept HERD_TIMEOUT (60 s) longer


@pytest.mark.parametrize("mode", list(CLIENTS))
def test_get_or_set_refreshes_a_stale_value(mode: str, url: str, raw_valkey: valkey.Valkey) -> None:
    stale = pickle.dumps((Marker(), "old", int(time.time()) - 5), pickle.DEFAULT_PROTOCOL)
    raw_valkey.set(":1:report", stale, px=60_000)
    # The first reader is picked to refresh: it computes and stores the new value...
    assert call(mode, url, "get_or_set", "report", "new", 100) == "new"
    assert call(mode, url, "get", "report") == "new"
    assert 99_000 < raw_valkey.pttl(":1:report") <= 160_000
    # ...while the other readers are served the stale value meanwhile.
    raw_valkey.set(":1:report", stale, px=60_000)
    assert call(mode, url, "get", "report") is None  # picked: computing
    assert call(mode, url, "get_or_set", "report", "other", 100) == "old"
