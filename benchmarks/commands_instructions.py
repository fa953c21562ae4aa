"""What ``commands_cpu.py`` measures, counted in CPU instructions under valgrind.

Timed medians on a shared machine swing by half from one minute to the next; the count
of instructions a call runs does not (with ``PYTHONHASHSEED`` fixed it is the same from
run to run). This runs every case of ``commands_cpu.py`` (raw valkey-py with pickle
inline, and ours, sync and asyncio, on the same stub) inside one ``valgrind
--tool=callgrind`` process. Callgrind writes its counters out each time the program
calls ``getppid()``, so each phase of ``--ops`` calls is one dump; the table shows the
instructions ours adds per call (per key for the batches)::

    uv run python benchmarks/commands_instructions.py             # table (about 3 min)
    uv run python benchmarks/commands_instructions.py --markdown  # for docs/benchmarks.md

Needs ``valgrind`` on the PATH (Debian: ``apt-get install valgrind``). The machine of
docs/benchmarks.md runs 12,000 to 13,000 of these instructions per µs when quiet.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from _bench import markdown_table, text_table

#: The variants of each case, in the order they run.
VARIANTS = ("raw", "ours", "araw", "aours")
#: Calls per variant before counting starts (so that the interpreter has specialised).
WARM = 200


def calls_of(case: str, ops: int) -> int:
    """Calls in a phase of ``case``: ``ops``, a tenth of it for a batch (as in commands_cpu)."""
    return max(1, ops // 10) if case in ("get_many", "set_many") else ops


def phases(ops: int) -> list[tuple[str, str]]:
    """Run every case, each variant ``ops`` times after a warm-up, calling ``getppid()``
    before each phase: ``[(case, variant), ...]`` in the order run."""
    import commands_cpu as cc

    from valkey_cache.core import AsyncCache, Cache

    url = "valkey://127.0.0.1:1"  # never connected to: the stub stands in
    cache = Cache(url, key_prefix="b", options={"BASE_CLIENT_CLASS": cc.Stub})
    acache = AsyncCache(url, key_prefix="b", options={"BASE_CLIENT_CLASS": cc.AsyncStub})
    loop = asyncio.new_event_loop()
    loop.run_until_complete(acache.get("k"))
    cache.get("k")

    async def this_loops_stub() -> Any:
        return await acache.client.get_client()

    stub, astub = cache.client._clients[0], loop.run_until_complete(this_loops_stub())
    runs: dict[str, tuple[Callable[[int], Any], ...]] = {
        c: (*cc.sync_runs(cache, stub, c), *cc.async_runs(cache, acache, astub, c)) for c in cc.CASES
    }
    runs.update(cc.batch_runs(cache, acache, stub, astub))

    def run(variant: str, call: Callable[[int], Any], n: int) -> None:
        if variant.startswith("a"):
            loop.run_until_complete(call(n))
        else:
            call(n)

    for calls in runs.values():
        for variant, call in zip(VARIANTS, calls):
            run(variant, call, WARM)
    done = []
    for case, calls in runs.items():
        for variant, call in zip(VARIANTS, calls):
            os.getppid()
            run(variant, call, calls_of(case, ops))
            done.append((case, variant))
    os.getppid()
    loop.close()
    return done


def counted(ops: int, out: Path) -> dict[tuple[str, str], int]:
    """Run :func:`phases` under callgrind: instructions per ``(case, variant)`` phase."""
    command = [
        "valgrind",
        "--tool=callgrind",
        "--dump-before=getppid",
        f"--callgrind-out-file={out / 'cg.out'}",
        sys.executable,
        __file__,
        "--inside",
        "--ops",
        str(ops),
    ]
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
    order = [tuple(line.split()) for line in done.stdout.splitlines() if line.count(" ") == 1]
    dumps = sorted(out.glob("cg.out.*"), key=lambda p: int(p.name.rsplit(".", 1)[1]))
    totals = [int(re.search(r"^summary: (\d+)", d.read_text(), re.M).group(1)) for d in dumps]  # type: ignore[union-attr]
    # Dump 1 holds everything before the first phase; dump i+1 ends phase i.
    return {phase: totals[i + 1] for i, phase in enumerate(order)}  # type: ignore[misc]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--ops", type=int, default=1000, help="calls per phase (batches: a tenth)")
    parser.add_argument("--markdown", action="store_true")
    parser.add_argument("--inside", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.inside:
        for case, variant in phases(args.ops):
            print(case, variant)
        return 0
    if shutil.which("valgrind") is None:
        print("valgrind is not installed (Debian: apt-get install valgrind)", file=sys.stderr)
        return 2
    import commands_cpu as cc

    with tempfile.TemporaryDirectory() as tmp:
        counts = counted(args.ops, Path(tmp))
    rows = []
    for case in [*cc.CASES, "get_many", "set_many"]:
        batch = case in ("get_many", "set_many")
        per = calls_of(case, args.ops) * (cc.BATCH if batch else 1)
        pairs = (("raw", "ours"), ("araw", "aours"))
        added = [(counts[case, ours] - counts[case, raw]) / per for raw, ours in pairs]
        name = f"{case} (per key)" if batch else case
        rows.append([name, f"{counts[case, 'raw'] / per:,.0f}", *(f"+{a:,.0f}" for a in added)])
    header = ["command", "raw instr/call", "Cache added", "AsyncCache added"]
    print((markdown_table if args.markdown else text_table)(header, rows))
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).parent))
    raise SystemExit(main())
