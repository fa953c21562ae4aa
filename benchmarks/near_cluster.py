"""The near cache on Valkey Cluster: hot reads from process memory, against the cluster.

One process, one embedded cluster of 3 primaries. Each round interleaves, sync:

* ``get``: one hot key, ``Cache(near_cache=True)`` against the near cache off and against
  valkey-py's ``ValkeyCluster.get`` with ``pickle.loads`` inline;
* ``get_many(12)``: twelve hot keys spread over every primary, near on against off
  (valkey-py's ``mget_nonatomic`` with pickle for raw);
* ``local miss``: a ``get`` whose local copy was just dropped, against the near cache off,
  also in pairs on the same key (as ``near_cache.py`` does).

Run from the repository root (medians of ``--rounds`` rounds)::

    uv run python benchmarks/near_cluster.py
    uv run python benchmarks/near_cluster.py --rounds 3 --ops 200   # a quick check
"""

from __future__ import annotations

import argparse
import pickle
import statistics
import sys
from pathlib import Path
from typing import Any

import valkey

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _bench import make_value
from near_cache import paired, per_op, report

from valkey_cache.core import Cache
from valkey_cache.core.embedded import EmbeddedCluster

PREFIX = "bench"
CLUSTER = "valkey_cache.core.client.ClusterClient"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--ops", type=int, default=2000, help="operations per sample")
    args = parser.parse_args()
    with EmbeddedCluster(masters=3, replicas_per_master=0) as cluster:
        results = run_all(cluster.url, make_value(), args.rounds, args.ops)
    ratios = {
        "get: raw / near": ("get, raw+pickle", "get, near on"),
        "get: off / near": ("get, near off", "get, near on"),
        "get_many(12): raw / near": ("get_many(12), raw+pickle", "get_many(12), near on"),
        "get_many(12): off / near": ("get_many(12), near off", "get_many(12), near on"),
    }
    in_pairs = statistics.median(results.pop("paired: miss - off"))
    report(results, ratios, 30)
    print(f"{'  the same key, in pairs':<30} {in_pairs * 1e6:>+12.2f} µs")


def run_all(url: str, value: Any, rounds: int, ops: int) -> dict[str, list[float]]:
    near = Cache(url, key_prefix=PREFIX, client_class=CLUSTER, near_cache=True)
    off = Cache(url, key_prefix=PREFIX, client_class=CLUSTER)
    raw = valkey.ValkeyCluster.from_url(url)
    try:
        names = [f"k{i}" for i in range(12)]
        off.set_many(dict.fromkeys(names, value), timeout=None)
        assert near.near_cache.wait_ready(10)
        made = [near.make_key(name) for name in names]
        for _ in range(3):
            near.get_many(names)
        held = near.near_cache.store._entries
        assert all(key in held for key in made), "the hot keys are not cached"
        cold = names[0]

        def drop_cold() -> None:
            near.near_cache.drop(made[0])

        def miss() -> object:
            drop_cold()
            return near.get(cold)

        def raw_many() -> object:
            return [pickle.loads(raw_value) for raw_value in raw.mget_nonatomic(made)]

        workloads = {
            "get, raw+pickle": lambda: pickle.loads(raw.get(made[1])),  # type: ignore[arg-type]
            "get, near off": lambda: off.get(names[1]),
            "get, near on": lambda: near.get(names[1]),
            "get_many(12), raw+pickle": raw_many,
            "get_many(12), near off": lambda: off.get_many(names),
            "get_many(12), near on": lambda: near.get_many(names),
            "local miss, near on": miss,
        }
        results: dict[str, list[float]] = {name: [] for name in workloads}
        for _ in range(rounds):
            for name, run in workloads.items():
                results[name].append(per_op(run, ops))
            results.setdefault("paired: miss - off", []).extend(
                paired(lambda: near.get(cold), lambda: off.get(cold), ops, drop_cold)
            )
        return results
    finally:
        near.near_cache.close()
        raw.close()


if __name__ == "__main__":
    main()
