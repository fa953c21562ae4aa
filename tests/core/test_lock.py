"""Locks live on the made key and are safe to release only by their holder."""

from __future__ import annotations

import time

import pytest
import valkey
from valkey.exceptions import LockError, LockNotOwnedError

from valkey_cache.core import AsyncCache, Cache


def test_lock_is_exclusive_and_on_made_key(valkey_url: str, raw_valkey: valkey.Valkey) -> None:
    cache = Cache(valkey_url, key_prefix="p")
    first = cache.get_lock("job", timeout=5)
    second = cache.lock("job", timeout=5, blocking=False)
    assert first.acquire() is True
    assert raw_valkey.exists("p:1:job") == 1
    assert second.acquire() is False
    first.release()
    assert second.acquire() is True
    second.release()


def test_release_after_expiry_does_not_free_another_holder(valkey_url: str) -> None:
    cache = Cache(valkey_url)
    mine = cache.lock("job", timeout=0.1, thread_local=False)
    assert mine.acquire(blocking=False)
    time.sleep(0.15)
    theirs = cache.lock("job", timeout=5, thread_local=False)
    assert theirs.acquire(blocking=False)
    with pytest.raises((LockNotOwnedError, LockError)):
        mine.release()
    assert theirs.owned()
    theirs.release()


@pytest.mark.anyio
async def test_async_lock(valkey_url: str) -> None:
    cache = AsyncCache(valkey_url)
    lock = await cache.get_lock("job", timeout=5)  # awaited: it picks this loop's connection
    assert await lock.acquire(blocking=False) is True
    other = await cache.lock("job", timeout=5)
    assert await other.acquire(blocking=False) is False
    await lock.release()
    assert await other.acquire(blocking=False) is True
    await other.release()
