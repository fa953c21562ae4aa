"""Async connections end with their event loop: one ``asyncio.run`` per job leaks nothing."""

from __future__ import annotations

import asyncio
import gc
import threading
import weakref
from collections.abc import Callable
from typing import Any

import pytest
import valkey
from servers import wait_until

from valkey_cache.core import AsyncCache
from valkey_cache.core.embedded import EmbeddedCluster, EmbeddedSentinel


def connected_clients(client: valkey.Valkey) -> int:
    return int(client.info("clients")["connected_clients"])


def sentinel_links(client: valkey.Valkey) -> int:
    """The connections sentinels hold to the server of ``client`` (named ``sentinel-...``)."""
    return sum(1 for c in client.client_list() if str(c.get("name", "")).startswith("sentinel-"))


def settles(count: Callable[[], Any], expected: Any) -> bool:
    """Whether ``count()`` comes back to ``expected``: a server counts a closed connection
    only once its event loop has seen the close, a moment after the client closed it. A
    connection left open never comes back, and fails the test after the wait."""
    return wait_until(lambda: count() == expected)


def test_asyncio_run_per_job_closes_connections_and_frees_loops(
    valkey_url: str, raw_valkey: valkey.Valkey
) -> None:
    cache = AsyncCache(valkey_url, key_prefix="jobs")
    before = connected_clients(raw_valkey)
    loops: list[weakref.ref[asyncio.AbstractEventLoop]] = []

    async def job(n: int) -> Any:
        loops.append(weakref.ref(asyncio.get_running_loop()))
        await cache.set(f"k{n}", n)
        return await cache.get(f"k{n}")

    gc.disable()  # closed by the cache, not by the garbage collector
    try:
        for n in range(5):
            assert asyncio.run(job(n)) == n
            assert settles(lambda: connected_clients(raw_valkey), before)
    finally:
        gc.enable()
    gc.collect()
    assert [ref() for ref in loops] == [None] * 5


# Its sockets cannot be closed on a closed loop: once forgotten, the garbage collector
# closes them, with the ResourceWarning Python gives for any unclosed transport.
@pytest.mark.filterwarnings("ignore::ResourceWarning", "ignore::pytest.PytestUnraisableExceptionWarning")
def test_loop_closed_without_shutdown_is_forgotten_by_the_next_loop(valkey_url: str) -> None:
    cache = AsyncCache(valkey_url, key_prefix="jobs")
    loop = asyncio.new_event_loop()
    loop.run_until_complete(cache.set("k", 1))
    loop.close()  # no shutdown_asyncgens: nothing could close the connections in time
    dead = weakref.ref(loop)
    del loop

    async def job() -> Any:
        return await cache.get("k")

    assert asyncio.run(job()) == 1
    gc.collect()
    assert dead() is None


def test_cluster_clients_close_with_their_loop(valkey_cluster: EmbeddedCluster) -> None:
    cache = AsyncCache(valkey_cluster.url, client_class="valkey_cache.core.client.AsyncClusterClient")
    node = valkey.Valkey.from_url(valkey_cluster.url)
    try:
        before = connected_clients(node)

        async def job(n: int) -> Any:
            await cache.set(f"k{n}", n)
            return await cache.get(f"k{n}")

        gc.disable()  # closed by the cache, not by the garbage collector
        try:
            for n in range(3):
                assert asyncio.run(job(n)) == n
                assert settles(lambda: connected_clients(node), before)
        finally:
            gc.enable()
    finally:
        node.close()


def test_sentinel_connections_close_with_their_loop(fresh_sentinel: EmbeddedSentinel) -> None:
    # A private topology: the shared one sees connections of other tests come and go.
    valkey_sentinel = fresh_sentinel
    cache = AsyncCache(
        f"valkey://{valkey_sentinel.service_name}/0",
        client_class="valkey_cache.core.client.AsyncSentinelClient",
        sentinels=valkey_sentinel.sentinels,
    )
    master = valkey_sentinel.current_master_server().client()
    sentinel = valkey.Valkey(*valkey_sentinel.sentinels[0])
    try:
        # A fresh topology is still linking: each other sentinel opens a link to this one,
        # and each sentinel a command and a pub/sub link to the master, some after the
        # topology is ready. Count from once they are all there.
        others = len(valkey_sentinel.sentinels)
        assert wait_until(lambda: sentinel_links(sentinel) == others - 1, timeout=15)
        assert wait_until(lambda: sentinel_links(master) == 2 * others, timeout=15)
        before = (connected_clients(master), connected_clients(sentinel))

        async def job(n: int) -> Any:
            await cache.set(f"k{n}", n)
            return await cache.get(f"k{n}")

        gc.disable()  # closed by the cache, not by the garbage collector
        try:
            for n in range(3):
                assert asyncio.run(job(n)) == n
                assert settles(lambda: (connected_clients(master), connected_clients(sentinel)), before)
        finally:
            gc.enable()
    finally:
        master.close()
        sentinel.close()


def test_loops_running_at_once_in_two_threads_each_get_their_own_connections(valkey_url: str) -> None:
    # The per-loop lookup trusts the loop asked for last when it runs in the calling
    # thread: two threads, each running its own loop, alternate on one cache.
    cache = AsyncCache(valkey_url, key_prefix="threads")
    pools: dict[int, set[int]] = {}
    errors: list[BaseException] = []
    barrier = threading.Barrier(2)

    async def job(n: int) -> None:
        seen = pools.setdefault(n, set())
        for i in range(200):
            await cache.set(f"k{n}", i)
            assert await cache.get(f"k{n}") == i
            seen.add(id(cache.client._clients_by_loop.get()))
            if i % 50 == 0:
                await asyncio.to_thread(barrier.wait, 5)

    def thread(n: int) -> None:
        try:
            asyncio.run(job(n))
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=thread, args=(n,)) for n in range(2)]
    for started in threads:
        started.start()
    for joined in threads:
        joined.join(60)
    assert errors == []
    assert all(len(seen) == 1 for seen in pools.values())
    assert pools[0] != pools[1]
