"""Helpers shared by the benchmark scripts: the payload, timing, statistics, tables.

Standard library only: ``_worker.py`` imports this module inside the contenders'
virtualenvs, which hold nothing but the contender's own packages.
"""

from __future__ import annotations

import gc
import os
import platform
import statistics
import sys
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Any

#: Keys used by the batch workloads (``get_many`` / ``set_many``).
BATCH = 100
#: Timeout (seconds) passed explicitly to every write, so each one carries ``PX``.
TIMEOUT = 300
TIMEOUT_MS = TIMEOUT * 1000


def make_value() -> dict[str, Any]:
    """A small, typical cached object (about 150 bytes pickled)."""
    return {
        "id": 12345,
        "name": "benchmark user",
        "email": "user@example.com",
        "active": True,
        "score": 98.5,
        "tags": ["a", "b", "c"],
        "profile": {"lang": "en", "tz": "UTC"},
    }


def batch_keys(prefix: str = "many") -> list[str]:
    return [f"{prefix}-{i}" for i in range(BATCH)]


def batch_ops(ops: int) -> int:
    """Operations per sample for the 100-key workloads (each does ~20x the work)."""
    return max(ops // 20, 10)


# -- timing -----------------------------------------------------------------------------


def time_sync(run: Callable[[int], object], ops: int) -> tuple[float, float]:
    """(wall seconds, process CPU seconds) taken by ``run(ops)``, with the garbage
    collector paused as timeit does.

    Wall time is what the targets are about; CPU time of this process leaves out the
    server, the network and the moments another program had the CPU, so it shows the
    client-side cost alone and is far less disturbed by a busy machine.
    """
    gc.collect()
    gc.disable()
    try:
        cpu = time.process_time()
        start = time.perf_counter()
        run(ops)
        wall = time.perf_counter() - start
        return wall, time.process_time() - cpu
    finally:
        gc.enable()


async def time_async(run: Callable[[int], Awaitable[object]], ops: int) -> tuple[float, float]:
    """:func:`time_sync` for a coroutine function, awaited in the running loop."""
    gc.collect()
    gc.disable()
    try:
        cpu = time.process_time()
        start = time.perf_counter()
        await run(ops)
        wall = time.perf_counter() - start
        return wall, time.process_time() - cpu
    finally:
        gc.enable()


def rotated(items: Sequence[Any], round_index: int) -> list[Any]:
    """``items`` rotated by ``round_index``: each contender goes first in turn."""
    if not items:
        return []
    shift = round_index % len(items)
    return list(items[shift:]) + list(items[:shift])


# -- statistics -------------------------------------------------------------------------


def median(values: Iterable[float]) -> float:
    return statistics.median(list(values))


def spread(values: Sequence[float]) -> float:
    """(max - min) / median: how noisy the rounds were (0.05 = 5 %)."""
    if not values:
        return 0.0
    mid = median(values)
    return (max(values) - min(values)) / mid if mid else 0.0


def us(seconds: float) -> str:
    return f"{seconds * 1e6:,.1f}"


def ops_per_s(seconds_per_op: float) -> str:
    return f"{1 / seconds_per_op:,.0f}" if seconds_per_op > 0 else "-"


def ratio(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}x"


def markdown_table(header: Sequence[str], rows: Iterable[Sequence[str]], numeric: bool = True) -> str:
    """A GitHub table; with ``numeric`` every column but the first is right-aligned."""
    lines = [
        "| " + " | ".join(header) + " |",
        "|" + "|".join("---" if i == 0 or not numeric else "--:" for i in range(len(header))) + "|",
    ]
    lines.extend("| " + " | ".join(row) + " |" for row in rows)
    return "\n".join(lines)


def text_table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """A plain aligned table for the terminal (first column left, others right)."""
    all_rows = [list(header), *[list(r) for r in rows]]
    widths = [max(len(r[i]) for r in all_rows) for i in range(len(header))]
    out = []
    for n, row in enumerate(all_rows):
        cells = [cell.ljust(widths[i]) if i == 0 else cell.rjust(widths[i]) for i, cell in enumerate(row)]
        out.append("  ".join(cells))
        if n == 0:
            out.append("  ".join("-" * w for w in widths))
    return "\n".join(out)


PLACEMENTS = {
    "same": "the server and the client on CPU 0",
    "split": "the server on CPU 0, the client on CPU 1 (as with a server on another host)",
    "os": "wherever the OS puts them",
}


def add_placement_option(parser: Any) -> None:
    """``--placement`` on an ``argparse`` parser."""
    parser.add_argument(
        "--placement",
        default="split",
        choices=list(PLACEMENTS),
        help="where the embedded server and the client run: "
        + "; ".join(f"{k}: {v}" for k, v in PLACEMENTS.items())
        + " (default: split)",
    )


def placement_cpus(placement: str) -> tuple[set[int] | None, set[int] | None]:
    """(server CPUs, client CPUs) for ``--placement``; None means no pinning.

    Where the processes run changes a round trip more than any client library does: on
    one CPU it is a plain context switch; across CPUs of a virtual machine each wake-up
    is an inter-processor interrupt, several times dearer, and left to itself the
    scheduler picks per process (it kept the small raw valkey-py process on the
    server's CPU far more often than the Django ones). Pinning gives every contender
    the same placement.
    """
    if placement not in PLACEMENTS:
        raise ValueError(f"--placement {placement!r}: choose one of {', '.join(PLACEMENTS)}")
    if placement == "os" or not hasattr(os, "sched_setaffinity"):
        return None, None
    available = sorted(os.sched_getaffinity(0))
    if placement == "same" or len(available) < 2:  # one CPU: "split" cannot be had
        return {available[0]}, {available[0]}
    return {available[0]}, {available[1]}


def pin(cpus: set[int] | None) -> None:
    """Keep this process, and the processes it starts from now on, on ``cpus``."""
    if cpus is not None:
        os.sched_setaffinity(0, cpus)


def machine_info() -> dict[str, Any]:
    return {
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "pinned_to": sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "executable": sys.executable,
    }
