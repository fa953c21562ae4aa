"""The whole client under network faults, through the TCP fault proxy (tests/proxy.py).

A bounded load of sets and gets runs while latency, resets, a brief blackhole and cut
replies are switched on and off, with IGNORE_EXCEPTIONS and the circuit breaker on:

* no exception escapes and no read returns a wrong value: a read is a miss, the value
  last acknowledged for that key by that worker, or one it wrote after that (a write
  whose reply was lost may still have been applied);
* once the proxy passes again, every acknowledged write (or a later one) is readable.

Latency stays well below the socket timeout, so no request can reach the server after
its caller gave up on it and a later write was acknowledged.

The last tests check that a caller cancelled or timed out while its reply is on the
way never hands that reply to the next caller of the same cache.
"""

from __future__ import annotations

import asyncio
import random
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from proxy import TcpProxy

from valkey_cache.core import AsyncCache, Cache, ConnectionInterrupted
from valkey_cache.core.embedded import EmbeddedServer

pytestmark = pytest.mark.anyio

KEYS = 8
PACE = 0.003  # between a worker's calls: the load spans the whole fault schedule
BREAKER = {"FAILURES": 3, "RESET_TIMEOUT": 0.1}
OPTIONS: dict[str, Any] = {
    "socket_timeout": 0.3,
    "socket_connect_timeout": 0.3,
    "retries": 1,
    "ignore_exceptions": True,
    "circuit_breaker": BREAKER,
    "key_prefix": "fault",
}


@pytest.fixture
def proxy(valkey_server: EmbeddedServer, valkey_url: str) -> Iterator[TcpProxy]:
    with TcpProxy(valkey_server.address) as running:
        yield running


@dataclass
class Worker:
    """What one worker wrote and read, and what it found wrong."""

    name: str
    seq: int = 0
    acked: dict[str, int] = field(default_factory=dict)
    wrong: list[str] = field(default_factory=list)
    refused: int = 0

    def key(self, rng: random.Random) -> str:
        return f"{self.name}:{rng.randrange(KEYS)}"

    def next_value(self, key: str) -> tuple[str, str, int]:
        self.seq += 1
        return (self.name, key, self.seq)

    def wrote(self, value: tuple[str, str, int], stored: Any) -> None:
        if stored is True:
            self.acked[value[1]] = value[2]
        elif stored is False:
            self.refused += 1
        else:
            self.wrong.append(f"set returned {stored!r}")

    def read(self, key: str, got: Any, *, must_hit: bool = False) -> None:
        acked = self.acked.get(key, 0)
        if got is None:
            if must_hit and acked:
                self.wrong.append(f"{key}: acknowledged write {acked} not readable")
            return
        if not (isinstance(got, tuple) and got[:2] == (self.name, key) and got[2] >= acked):
            self.wrong.append(f"{key}: read {got!r}, last acknowledged {acked}")


def faults(proxy: TcpProxy, done: threading.Event, rng: random.Random) -> None:
    """Switch faults on and off until ``done``; the proxy passes when it returns."""
    schedule = ["reset", "latency", "cut", "blackhole", "latency", "refuse", "pass"]
    step = 0
    while not done.is_set():
        fault = schedule[step % len(schedule)]
        step += 1
        if fault == "latency":
            proxy.latency = rng.choice([0.001, 0.005, 0.02])
        elif fault == "reset":
            proxy.reset_all()
        elif fault == "blackhole":
            proxy.mode = "blackhole"
            proxy.reset_all()
        elif fault == "cut":
            proxy.cut_next_reply()
        elif fault == "refuse":
            proxy.mode = "reset"
            proxy.reset_all()
        done.wait(rng.uniform(0.03, 0.08))
        proxy.mode = "pass"
        proxy.latency = 0.0
        done.wait(rng.uniform(0.02, 0.05))


def settle() -> None:
    """Let an open circuit reach its probe."""
    time.sleep(BREAKER["RESET_TIMEOUT"] * 2)


def test_threads_under_faults_never_read_a_wrong_value(proxy: TcpProxy) -> None:
    cache = Cache(proxy.url(), **OPTIONS)
    workers = [Worker(f"t{i}") for i in range(4)]
    escaped: list[BaseException] = []

    def run(worker: Worker, seed: int) -> None:
        rng = random.Random(seed)
        try:
            for _ in range(200):
                key = worker.key(rng)
                if rng.random() < 0.5:
                    value = worker.next_value(key)
                    worker.wrote(value, cache.set(key, value))
                else:
                    worker.read(key, cache.get(key))
                time.sleep(PACE)
        except BaseException as exc:
            escaped.append(exc)

    done = threading.Event()
    driver = threading.Thread(target=faults, args=(proxy, done, random.Random(7)))
    driver.start()
    threads = [threading.Thread(target=run, args=(w, i)) for i, w in enumerate(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    done.set()
    driver.join()
    assert escaped == []
    settle()
    cache.get("probe")  # the half-open probe, if a circuit is still open
    for worker in workers:
        for key in worker.acked:
            worker.read(key, cache.get(key), must_hit=True)
        assert worker.wrong == []
    assert sum(len(w.acked) for w in workers) > 0
    assert sum(w.refused for w in workers) > 0  # the faults did make calls fail
    assert proxy.accepted > 1  # the faults did break connections


async def test_asyncio_tasks_under_faults_never_read_a_wrong_value(proxy: TcpProxy) -> None:
    cache = AsyncCache(proxy.url(), **OPTIONS)
    workers = [Worker(f"a{i}") for i in range(20)]

    async def run(worker: Worker, seed: int) -> None:
        rng = random.Random(seed)
        for _ in range(50):
            key = worker.key(rng)
            if rng.random() < 0.5:
                value = worker.next_value(key)
                worker.wrote(value, await cache.set(key, value))
            else:
                worker.read(key, await cache.get(key))
            await asyncio.sleep(PACE * 2)

    done = threading.Event()
    driver = threading.Thread(target=faults, args=(proxy, done, random.Random(11)))
    driver.start()
    try:
        outcomes = await asyncio.gather(*(run(w, i) for i, w in enumerate(workers)), return_exceptions=True)
    finally:
        done.set()
        driver.join()
    assert [o for o in outcomes if o is not None] == []
    settle()
    await cache.get("probe")
    for worker in workers:
        for key in worker.acked:
            worker.read(key, await cache.get(key), must_hit=True)
        assert worker.wrong == []
    assert sum(len(w.acked) for w in workers) > 0
    assert sum(w.refused for w in workers) > 0  # the faults did make calls fail
    assert proxy.accepted > 1


def get_calls(server: EmbeddedServer) -> int:
    stats = server.info("commandstats").get("cmdstat_get", "calls=0")
    return int(stats.split(",")[0].split("=")[1])


async def test_a_cancelled_call_never_hands_its_reply_to_the_next(
    proxy: TcpProxy, valkey_server: EmbeddedServer
) -> None:
    cache = AsyncCache(proxy.url())
    for name in ("one", "two", "three"):
        await cache.set(name, name)
    before = get_calls(valkey_server)
    proxy.latency = 0.3
    task = asyncio.ensure_future(cache.get("one"))
    while get_calls(valkey_server) == before:  # the server has answered: the reply is on its way
        await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    proxy.latency = 0.0
    for _ in range(3):
        assert await cache.get("two") == "two"
        assert await cache.get("three") == "three"
        assert await cache.get_many(["two", "three"]) == {"two": "two", "three": "three"}


def test_a_timed_out_call_never_hands_its_reply_to_the_next(
    proxy: TcpProxy, valkey_server: EmbeddedServer
) -> None:
    cache = Cache(proxy.url(), socket_timeout=0.25, retries=0)
    for name in ("one", "two", "three"):
        cache.set(name, name)
    before = get_calls(valkey_server)
    proxy.latency = 0.15  # each way: the request arrives, the reply comes too late
    with pytest.raises(ConnectionInterrupted):
        cache.get("one")
    assert get_calls(valkey_server) == before + 1  # the server did answer, after the timeout
    proxy.latency = 0.0
    for _ in range(3):
        assert cache.get("two") == "two"
        assert cache.get("three") == "three"
        assert cache.get_many(["two", "three"]) == {"two": "two", "three": "three"}
