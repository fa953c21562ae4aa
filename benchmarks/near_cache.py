"""The near cache (issue 12): hot reads from process memory, against the network.

One process, one embedded ``valkey-server``. Workloads, each round interleaved:

* ``hot get``: one key read again and again, ``Cache(near_cache=True).get`` against
  valkey-py's GET with ``pickle.loads`` inline (sync), and the same in asyncio;
* ``zipf``: reads over ``--keys`` keys drawn from a Zipf distribution (s = 1.1), with 1%
  writes from another client (its own connection), near cache on against off; the hit
  ratio is reported. The near cache is first warmed by ``--warmup`` draws of the same
  workload (default: twice the key count), as a long-running process's would be;
* ``local miss``: a ``get`` whose local copy was just dropped, against a ``get`` with the
  near cache off (what the fill adds: the marker, PTTL in the same round trip, the store).
  Besides the two loops, the cost is also measured in pairs: each sample times one miss
  and, right after, one ``get`` with the near cache off, and the median of the paired
  differences is printed (sync and asyncio), which the drift of the round trip between
  loops does not move.

Run from the repository root (the medians of ``--rounds`` rounds are printed)::

    uv run python benchmarks/near_cache.py
    uv run python benchmarks/near_cache.py --rounds 3 --ops 200 --keys 1000   # a quick check
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import itertools
import pickle
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import valkey
import valkey.asyncio

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _bench import make_value

from valkey_cache.core import AsyncCache, Cache
from valkey_cache.core.embedded import EmbeddedServer

PREFIX = "bench"
ZIPF_S = 1.1
WRITE_EVERY = 100


def zipf_sampler(keys: int, seed: int = 7) -> Callable[[], int]:
    """A function drawing key indexes 0..keys-1 with P(i) proportional to 1/(i+1)^s."""
    cumulative = list(itertools.accumulate(1 / (i + 1) ** ZIPF_S for i in range(keys)))
    total = cumulative[-1]
    rng = random.Random(seed)

    def draw() -> int:
        return bisect.bisect_left(cumulative, rng.random() * total)

    return draw


def per_op(run: Callable[[], object], ops: int) -> float:
    start = time.perf_counter()
    for _ in range(ops):
        run()
    return (time.perf_counter() - start) / ops


def paired(
    first: Callable[[], object], second: Callable[[], object], ops: int, before: Callable[[], object]
) -> list[float]:
    """``ops`` differences, each the time of one ``first()`` minus that of the ``second()``
    just after; ``before()`` runs untimed ahead of each pair."""
    clock = time.perf_counter
    differences = []
    for _ in range(ops):
        before()
        start = clock()
        first()
        middle = clock()
        second()
        differences.append((middle - start) - (clock() - middle))
    return differences


async def aper_op(run: Callable[[], Any], ops: int) -> float:
    start = time.perf_counter()
    for _ in range(ops):
        await run()
    return (time.perf_counter() - start) / ops


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--ops", type=int, default=2000, help="operations per sample")
    parser.add_argument("--keys", type=int, default=100_000, help="keys of the zipf workload")
    parser.add_argument(
        "--warmup", type=int, default=None, help="zipf draws through the near cache before the rounds"
    )
    args = parser.parse_args()
    warmup = 2 * args.keys if args.warmup is None else args.warmup
    value = make_value()
    with EmbeddedServer() as server:
        results = run_all(server.url, value, args.rounds, args.ops, args.keys, warmup)
    ratios = {
        "hot get sync: raw / near": ("raw GET+pickle (sync)", "near get (sync)"),
        "hot get async: raw / near": ("raw GET+pickle (async)", "near get (async)"),
        "zipf: off / on (throughput x)": ("zipf, near off", "zipf, near on"),
    }
    report(results, ratios, 34)
    paired = statistics.median(results["paired: miss - off"])
    print(f"{'  the same, in pairs':<34} {paired * 1e6:>+12.2f} µs")
    paired = statistics.median(results["paired async: miss - off"])
    print(f"{'  the same, async, in pairs':<34} {paired * 1e6:>+12.2f} µs")


def report(results: dict[str, list[float]], ratios: dict[str, tuple[str, str]], width: int) -> None:
    """Print the median of each workload, the ``{label: (slower, faster)}`` ratios, and
    what a local miss costs over the near cache off."""
    print(f"{'workload':<{width}} {'median µs/op':>13}")
    for name, samples in results.items():
        if name.startswith("hit ratio"):
            print(f"{name:<{width}} {statistics.median(samples):>12.1%}")
        else:
            print(f"{name:<{width}} {statistics.median(samples) * 1e6:>13.2f}")
    for label, (slow, fast) in ratios.items():
        print(
            f"{label:<{width}} {statistics.median(results[slow]) / statistics.median(results[fast]):>12.1f}x"
        )
    extra = statistics.median(results["local miss, near on"]) - statistics.median(results["get, near off"])
    print(f"{'local miss cost over near off':<{width}} {extra * 1e6:>+12.2f} µs")


def run_all(url: str, value: Any, rounds: int, ops: int, keys: int, warmup: int) -> dict[str, list[float]]:
    near = Cache(url, key_prefix=PREFIX, near_cache={"MAX_ENTRIES": max(keys, 10_000)})
    off = Cache(url, key_prefix=PREFIX)
    writer = valkey.Valkey.from_url(url)
    raw = valkey.Valkey.from_url(url)
    near.near_cache.wait_ready()
    hot = near.make_key("hot")
    near.set("hot", value, timeout=None)
    names = [f"k{i}" for i in range(keys)]
    made = [near.make_key(name) for name in names]
    encoded = pickle.dumps(value)
    pipe = writer.pipeline(transaction=False)
    for nkey in made:
        pipe.set(nkey, encoded)
    pipe.execute()
    draw = zipf_sampler(keys)
    results: dict[str, list[float]] = {}

    def zipf(cache: Cache) -> Callable[[], object]:
        counter = itertools.count()

        def step() -> object:
            index = draw()
            if next(counter) % WRITE_EVERY == 0:
                return writer.set(made[index], encoded)
            return cache.get(names[index])

        return step

    store = near.near_cache.store

    def local_miss() -> object:
        store.drop(hot)
        return near.get("hot")

    try:
        if warmup:
            per_op(zipf(near), warmup)
        for _ in range(rounds):
            samples = {
                "raw GET+pickle (sync)": lambda: pickle.loads(raw.get(hot)),  # type: ignore[arg-type]
                "near get (sync)": lambda: near.get("hot"),
                "get, near off": lambda: off.get("hot"),
                "local miss, near on": local_miss,
                "zipf, near off": zipf(off),
            }
            for name, run in samples.items():
                results.setdefault(name, []).append(per_op(run, ops))
            before = near.near_cache_stats() or {}
            results.setdefault("zipf, near on", []).append(per_op(zipf(near), ops))
            after = near.near_cache_stats() or {}
            hits, misses = after["hits"] - before["hits"], after["misses"] - before["misses"]
            results.setdefault("hit ratio, zipf near on", []).append(hits / max(hits + misses, 1))
            results.setdefault("paired: miss - off", []).extend(
                paired(lambda: near.get("hot"), lambda: off.get("hot"), ops, lambda: store.drop(hot))
            )
            raw_async, near_async, async_misses = asyncio.run(async_round(url, hot, ops))
            results.setdefault("raw GET+pickle (async)", []).append(raw_async)
            results.setdefault("near get (async)", []).append(near_async)
            results.setdefault("paired async: miss - off", []).extend(async_misses)
    finally:
        near.near_cache.close()
        writer.close()
        raw.close()
    return results


async def async_round(url: str, hot: str, ops: int) -> tuple[float, float, list[float]]:
    """The hot ``get`` of raw valkey-py and of the near cache, in asyncio, and the paired
    cost of a local miss over the near cache off."""
    raw = valkey.asyncio.Valkey.from_url(url)
    near = AsyncCache(url, key_prefix=PREFIX, near_cache=True)
    off = AsyncCache(url, key_prefix=PREFIX)
    store = near.near_cache.store
    try:
        near.near_cache.wait_ready()
        await near.get("hot")

        async def raw_get() -> Any:
            return pickle.loads(await raw.get(hot))  # type: ignore[arg-type]

        raw_time, near_time = await aper_op(raw_get, ops), await aper_op(lambda: near.get("hot"), ops)
        clock = time.perf_counter
        differences = []
        for _ in range(ops):
            store.drop(hot)
            start = clock()
            await near.get("hot")
            middle = clock()
            await off.get("hot")
            differences.append((middle - start) - (clock() - middle))
        return raw_time, near_time, differences
    finally:
        near.near_cache.close()
        await raw.aclose()


if __name__ == "__main__":
    main()
