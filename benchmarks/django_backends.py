"""Our Django backend against raw valkey-py and the other Django cache backends (issue 3).

Every contender runs in its own virtualenv under ``.venvs/bench-<name>/`` (created and
kept up to date here with ``uv venv`` + ``uv pip install``; Django 5.2 everywhere), as
a long-lived ``benchmarks/_worker.py`` subprocess, against one embedded
``valkey-server``:

=============  ===========================================================================
raw            valkey-py itself (``pickle`` inline, the same ``prefix:1:key`` strings)
ours           ``django_valkey.cache.ValkeyCache`` from ``packages/`` (editable install)
django-valkey  the published django-valkey 0.4.x (same import name as ours: own venv)
django-redis   django-redis on redis-py
django         Django's own ``django.core.cache.backends.redis.RedisCache`` (redis-py)
=============  ===========================================================================

C reply parsers are installed everywhere (libvalkey for valkey-py, hiredis for
redis-py). Rounds are interleaved: in each round every workload is run by every
contender in turn, the order rotating from round to round, and only one contender runs
at a time. The medians per contender are reported, with ratios to raw and to ours.

Run from the repository root::

    uv run python benchmarks/django_backends.py                  # 15 rounds x 500 ops
    uv run python benchmarks/django_backends.py --rounds 9 --markdown --json django.json
    uv run python benchmarks/django_backends.py --setup-only     # just build the venvs
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import selectors
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _bench import (  # the directory of this script is on sys.path
    add_placement_option,
    batch_ops,
    machine_info,
    markdown_table,
    median,
    pin,
    placement_cpus,
    ratio,
    rotated,
    spread,
    text_table,
)

from valkey_cache.core.embedded import EmbeddedServer

ROOT = Path(__file__).resolve().parent.parent
VENVS = ROOT / ".venvs"
WORKER = Path(__file__).resolve().parent / "_worker.py"
DJANGO = "django>=5.2,<5.3"

SYNC_WORKLOADS = ("get_hit", "get_miss", "set", "has_key", "delete", "get_many", "set_many", "incr")
ASYNC_WORKLOADS = ("aget_native", "aget_s2a", "aset_native", "aset_s2a")
WORKLOADS = SYNC_WORKLOADS + ASYNC_WORKLOADS
LABELS = {
    "get_hit": "get (hit)",
    "get_miss": "get (miss)",
    "set": "set",
    "has_key": "has_key",
    "delete": "delete",
    "get_many": "get_many(100)",
    "set_many": "set_many(100)",
    "incr": "incr",
    "aget_native": "aget x50 native",
    "aget_s2a": "aget x50 sync_to_async",
    "aset_native": "aset x50 native",
    "aset_s2a": "aset x50 sync_to_async",
}
#: Issue 3: our sync backend within this multiple of raw valkey-py per get and set.
RAW_TARGET = 1.2
RAW_TARGET_WORKLOADS = ("get_hit", "get_miss", "set")
#: Issue 3: our native async at concurrency 50 at least this many times sync_to_async's throughput.
ASYNC_TARGET = 2.0


@dataclass(frozen=True)
class Spec:
    """A contender's virtualenv: what to install into it."""

    name: str
    title: str
    requirements: tuple[str, ...]
    editable: tuple[str, ...] = ()

    @property
    def venv(self) -> Path:
        return VENVS / f"bench-{self.name}"

    @property
    def python(self) -> Path:
        return self.venv / "bin" / "python"

    def fingerprint(self) -> str:
        text = json.dumps([self.requirements, self.editable, sys.version_info[:2]])
        return hashlib.sha256(text.encode()).hexdigest()[:16]


SPECS = {
    spec.name: spec
    for spec in (
        Spec("raw", "raw valkey-py", (DJANGO, "valkey", "libvalkey")),
        Spec(
            "ours",
            "ours",
            (DJANGO, "libvalkey"),
            editable=("packages/core", "packages/django-backend"),
        ),
        Spec("django-valkey", "django-valkey 0.4", (DJANGO, "django-valkey>=0.4,<0.5", "libvalkey")),
        Spec("django-redis", "django-redis", (DJANGO, "django-redis", "redis", "hiredis")),
        Spec("django", "Django RedisCache", (DJANGO, "redis", "hiredis")),
    )
}
OTHERS = ("django-valkey", "django-redis", "django")


# -- virtualenvs ---------------------------------------------------------------------------


def ensure_venv(spec: Spec, recreate: bool, quiet: bool) -> None:
    """Create ``.venvs/bench-<name>`` and install the spec, unless it is already there."""
    marker = spec.venv / ".bench-spec"
    fresh = spec.python.exists() and marker.exists() and marker.read_text().strip() == spec.fingerprint()
    if fresh and not recreate:
        return
    uv = shutil.which("uv")
    if uv is None:
        raise SystemExit("uv is needed to build the benchmark virtualenvs (https://docs.astral.sh/uv/)")
    if not quiet:
        print(f"building {spec.venv.relative_to(ROOT)} ...", file=sys.stderr, flush=True)
    started = time.perf_counter()
    # Same interpreter as this process, so that every contender runs on one Python.
    run([uv, "venv", "--quiet", "--clear", "--python", sys.executable, str(spec.venv)])
    install = [uv, "pip", "install", "--quiet", "--python", str(spec.python), *spec.requirements]
    for path in spec.editable:
        install += ["--editable", str(ROOT / path)]
    run(install)
    marker.write_text(spec.fingerprint() + "\n")
    if not quiet:
        print(f"  done in {time.perf_counter() - started:.0f}s", file=sys.stderr)


def run(command: list[str]) -> None:
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise SystemExit(f"command failed ({result.returncode}): {' '.join(command)}\n{result.stderr}")


# -- workers ----------------------------------------------------------------------------------


class WorkerError(Exception):
    pass


@dataclass
class Worker:
    """A ``_worker.py`` process in a contender's virtualenv, spoken to in JSON lines."""

    spec: Spec
    url: str
    concurrency: int
    timeout: float
    pythonpath: str | None = None
    proc: subprocess.Popen[str] | None = None
    stderr: IO[str] | None = None
    info: dict[str, Any] = field(default_factory=dict)
    skipped: str | None = None
    failed: str | None = None

    def start(self) -> None:
        config = {
            "contender": self.spec.name,
            "url": self.url,
            "prefix": f"bench-{self.spec.name}",
            "concurrency": self.concurrency,
        }
        self.stderr = tempfile.TemporaryFile("w+")  # noqa: SIM115 (closed in stop())
        env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        if self.pythonpath:
            env["PYTHONPATH"] = self.pythonpath
        self.proc = subprocess.Popen(
            [str(self.spec.python), str(WORKER), json.dumps(config)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.stderr,
            text=True,
            bufsize=1,
            cwd=ROOT,
            env=env,
        )
        hello = self.receive(timeout=120)
        event = hello.get("event")
        if event == "ready":
            self.info = hello
        elif event == "skip":
            self.skipped = hello["reason"]
            self.stop()
        else:
            self.failed = hello.get("reason", "no reason given")
            trace = hello.get("trace") or self.stderr_tail()
            self.stop()
            raise WorkerError(f"{self.spec.name} failed to start: {self.failed}\n{trace}")

    @property
    def active(self) -> bool:
        return self.proc is not None and self.failed is None and self.skipped is None

    def supports(self, workload: str) -> bool:
        return workload in self.info.get("workloads", ())

    def measure(self, workload: str, ops: int, warmup: int) -> dict[str, Any]:
        assert self.proc is not None
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps({"workload": workload, "ops": ops, "warmup": warmup}) + "\n")
        self.proc.stdin.flush()
        return self.receive(self.timeout)

    def receive(self, timeout: float) -> dict[str, Any]:
        assert self.proc is not None
        assert self.proc.stdout is not None
        with selectors.DefaultSelector() as selector:
            selector.register(self.proc.stdout, selectors.EVENT_READ)
            if not selector.select(timeout):
                self.kill()
                raise WorkerError(f"{self.spec.name}: no answer within {timeout:.0f}s")
        line = self.proc.stdout.readline()
        if not line:
            code = self.proc.wait()
            raise WorkerError(f"{self.spec.name}: worker exited ({code})\n{self.stderr_tail()}")
        message: dict[str, Any] = json.loads(line)
        return message

    def stderr_tail(self, lines: int = 30) -> str:
        if self.stderr is None:
            return ""
        self.stderr.seek(0)
        return "\n".join(self.stderr.read().splitlines()[-lines:])

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            with contextlib.suppress(OSError, ValueError):
                assert self.proc.stdin is not None
                self.proc.stdin.write("\n")
                self.proc.stdin.close()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()
        if self.stderr is not None:
            self.stderr.close()
            self.stderr = None

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


@contextlib.contextmanager
def workers(
    specs: list[Spec], url: str, concurrency: int, timeout: float, ours_path: str | None
) -> Iterator[list[Worker]]:
    started: list[Worker] = []
    try:
        for spec in specs:
            path = ours_path if spec.name == "ours" else None
            worker = Worker(spec, url, concurrency, timeout, path)
            started.append(worker)
            try:
                worker.start()
            except WorkerError as exc:
                print(f"!! {exc}", file=sys.stderr)
                worker.failed = worker.failed or str(exc)
        yield started
    finally:
        for worker in started:
            worker.stop()


# -- the run ------------------------------------------------------------------------------


def ops_for(workload: str, ops: int, concurrency: int) -> int:
    if workload in ("get_many", "set_many"):
        return batch_ops(ops)
    if workload in ASYNC_WORKLOADS:
        return max(ops // concurrency, 1) * concurrency
    return ops


#: ``{workload: {contender: {"wall" | "cpu": {round: seconds per op}}}}``
Samples = dict[str, dict[str, dict[str, dict[int, float]]]]


def run_rounds(
    active: list[Worker], rounds: int, ops: int, concurrency: int, quiet: bool, errors: list[str]
) -> Samples:
    """Interleaved rounds; a sample that fails is reported in ``errors`` and left out."""
    samples: Samples = {w: {} for w in WORKLOADS}
    for worker in active:  # warm-up: connections, imports, code paths
        for workload in WORKLOADS:
            if worker.supports(workload):
                n = ops_for(workload, min(ops, 200), concurrency)
                worker.measure(workload, n, 0)
    for index in range(rounds):
        started = time.perf_counter()
        for workload in WORKLOADS:
            n = ops_for(workload, ops, concurrency)
            for worker in rotated(active, index):
                if not worker.active or not worker.supports(workload):
                    continue
                try:
                    reply = worker.measure(workload, n, warmup=max(n // 20, 1))
                except WorkerError as exc:
                    worker.failed = str(exc)
                    errors.append(str(exc))
                    print(f"!! {exc}", file=sys.stderr)
                    continue
                if "error" in reply:
                    message = f"{worker.spec.name} {workload}: {reply['error']}"
                    errors.append(message)
                    print(f"!! {message}\n{reply.get('trace', '')}", file=sys.stderr)
                    continue
                clocks = samples[workload].setdefault(worker.spec.name, {"wall": {}, "cpu": {}})
                clocks["wall"][index] = reply["wall"] / reply["ops"]
                clocks["cpu"][index] = reply["cpu"] / reply["ops"]
        if not quiet:
            print(
                f"  round {index + 1}/{rounds} done in {time.perf_counter() - started:.1f}s", file=sys.stderr
            )
    return samples


def paired_ratio(mine: dict[int, float], base: dict[int, float]) -> float | None:
    """Median over the rounds of ``mine / base``, rounds where both ran.

    The two samples of a round ran seconds apart, so they share the machine's state;
    on a busy machine this is much steadier than the ratio of the two medians.
    """
    ratios = [mine[r] / base[r] for r in mine.keys() & base.keys()]
    return median(ratios) if ratios else None


def summarize(samples: Samples) -> dict[str, dict[str, dict[str, Any]]]:
    """Per workload and contender: medians, and ``vs_raw``/``vs_ours`` paired ratios."""
    summary: dict[str, dict[str, dict[str, Any]]] = {}
    for workload, by_name in samples.items():
        entry: dict[str, dict[str, Any]] = {}
        for name, clocks in by_name.items():
            wall = list(clocks["wall"].values())
            entry[name] = {
                "median_us": median(wall) * 1e6,
                "ops_per_s": 1 / median(wall),
                "spread": spread(wall),
                "cpu_median_us": median(clocks["cpu"].values()) * 1e6,
                "rounds": len(wall),
                "samples_us": {r: v * 1e6 for r, v in clocks["wall"].items()},
            }
            for base in ("raw", "ours"):
                if base in by_name:
                    value = paired_ratio(clocks["wall"], by_name[base]["wall"])
                    if value is not None:
                        entry[name][f"vs_{base}"] = value
        summary[workload] = entry
    for op in ("aget", "aset"):  # native throughput over sync_to_async's, paired by round
        for name, stats in summary.get(f"{op}_native", {}).items():
            s2a = samples.get(f"{op}_s2a", {}).get(name)
            if s2a:
                speedup = paired_ratio(s2a["wall"], samples[f"{op}_native"][name]["wall"])
                if speedup is not None:
                    stats["speedup_vs_s2a"] = speedup
    return summary


def best_async(samples: Samples, name: str, op: str) -> tuple[dict[int, float], str] | None:
    """The faster (by median) of a contender's native and sync_to_async paths."""
    paths = [
        (median(samples[f"{op}_{path}"][name]["wall"].values()), path)
        for path in ("native", "s2a")
        if name in samples.get(f"{op}_{path}", {})
    ]
    if not paths:
        return None
    path = min(paths)[1]
    return samples[f"{op}_{path}"][name]["wall"], path


def check_targets(summary: dict[str, Any], samples: Samples) -> list[tuple[str, bool, str]]:
    """(target, met?, detail) for each target of issue 3 that could be measured."""
    results: list[tuple[str, bool, str]] = []
    for workload in RAW_TARGET_WORKLOADS:
        entry = summary.get(workload, {})
        if "ours" in entry and "raw" in entry:
            value = entry["ours"]["vs_raw"]
            results.append(
                (f"{LABELS[workload]}: ours <= {RAW_TARGET}x raw", value <= RAW_TARGET, f"{value:.2f}x")
            )
    for workload in SYNC_WORKLOADS:
        entry = summary.get(workload, {})
        if "ours" not in entry:
            continue
        for other in OTHERS:
            if other in entry:
                value = entry[other]["vs_ours"]
                results.append(
                    (
                        f"{LABELS[workload]}: ours faster than {SPECS[other].title}",
                        value > 1.0,
                        f"{other} takes {value:.2f}x our time",
                    )
                )
    for op in ("aget", "aset"):
        ours = best_async(samples, "ours", op)
        if ours is None:
            continue
        for other in OTHERS:
            theirs = best_async(samples, other, op)
            value = None if theirs is None else paired_ratio(theirs[0], ours[0])
            if theirs is not None and value is not None:
                results.append(
                    (
                        f"{op} x50: ours faster than {SPECS[other].title} (best path each)",
                        value > 1.0,
                        f"{other} ({theirs[1]}) takes {value:.2f}x our time ({ours[1]})",
                    )
                )
        speedup = summary.get(f"{op}_native", {}).get("ours", {}).get("speedup_vs_s2a")
        if speedup is not None:
            results.append(
                (
                    f"{op} x50: ours native >= {ASYNC_TARGET}x sync_to_async throughput",
                    speedup >= ASYNC_TARGET,
                    f"{speedup:.2f}x",
                )
            )
    return results


# -- tables ---------------------------------------------------------------------------------


def tables(summary: dict[str, Any], names: list[str], markdown: bool) -> str:
    render = markdown_table if markdown else text_table
    titles = [SPECS[n].title for n in names]
    out = []

    def cell(workload: str, name: str, key: str) -> str:
        stats = summary.get(workload, {}).get(name)
        if stats is None or key not in stats:
            return "-"
        if key == "median_us":
            return f"{stats[key]:,.1f}"
        if key == "ops_per_s":
            return f"{stats[key]:,.0f}"
        return ratio(stats[key])

    sync_rows = [[LABELS[w], *(cell(w, n, "median_us") for n in names)] for w in SYNC_WORKLOADS]
    out.append("Sync, median µs per operation (lower is better):\n")
    out.append(render(["workload", *titles], sync_rows))
    for base, title in (("raw", "raw valkey-py"), ("ours", "ours")):
        if not any(base in summary.get(w, {}) for w in SYNC_WORKLOADS):
            continue
        rows = [[LABELS[w], *(cell(w, n, f"vs_{base}") for n in names)] for w in SYNC_WORKLOADS]
        out.append(f"\nSync, time per operation relative to {title} (1.00x = same, above = slower):\n")
        out.append(render(["workload", *titles], rows))

    async_rows = []
    for name in names:
        row = [SPECS[name].title]
        for op in ("aget", "aset"):
            native = summary.get(f"{op}_native", {}).get(name)
            s2a = summary.get(f"{op}_s2a", {}).get(name)
            row.append(f"{native['ops_per_s']:,.0f}" if native else "-")
            row.append(f"{s2a['ops_per_s']:,.0f}" if s2a else "-")
            row.append(ratio(native.get("speedup_vs_s2a")) if native else "-")
        async_rows.append(row)
    out.append(
        "\nAsync, 50 concurrent tasks (asyncio.gather), operations per second (higher is better); "
        "native = the backend's own coroutines, sync_to_async = Django's default path:\n"
    )
    out.append(
        render(
            [
                "contender",
                "aget native",
                "aget sync_to_async",
                "native speed-up",
                "aset native",
                "aset sync_to_async",
                "native speed-up",
            ],
            async_rows,
        )
    )
    return "\n".join(out)


def noise_table(summary: dict[str, Any], names: list[str]) -> str:
    """(max - min) / median of each contender's rounds: how busy the machine was."""
    rows = [
        [LABELS[w], *(f"{summary[w][n]['spread'] * 100:.0f}%" if n in summary[w] else "-" for n in names)]
        for w in WORKLOADS
        if summary.get(w)
    ]
    return text_table(["spread of the rounds", *(SPECS[n].title for n in names)], rows)


def versions_table(active: list[Worker], markdown: bool) -> str:
    rows = []
    for worker in active:
        versions = ", ".join(f"{k} {v}" for k, v in worker.info.get("versions", {}).items())
        rows.append([worker.spec.title, versions, worker.info.get("parser", "?")])
    header = ["contender", "packages", "C parser"]
    return markdown_table(header, rows, numeric=False) if markdown else text_table(header, rows)


# -- main -------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=15, help="interleaved rounds (default 15)")
    parser.add_argument(
        "--ops",
        type=int,
        default=500,
        help="operations per sample (default 500); the 100-key workloads do ops/20",
    )
    parser.add_argument("--concurrency", type=int, default=50, help="tasks for the async workloads")
    parser.add_argument(
        "--contenders",
        default=",".join(SPECS),
        help=f"comma-separated subset of: {', '.join(SPECS)} (default: all)",
    )
    parser.add_argument("--json", metavar="PATH", help="also write every sample to this file")
    parser.add_argument("--markdown", action="store_true", help="print the tables in markdown")
    parser.add_argument("--url", help="use this server instead of an embedded one")
    add_placement_option(parser)
    parser.add_argument("--recreate", action="store_true", help="rebuild the virtualenvs from scratch")
    parser.add_argument("--setup-only", action="store_true", help="build the virtualenvs and stop")
    parser.add_argument("--timeout", type=float, default=300, help="seconds a worker may take per sample")
    parser.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    parser.add_argument(
        "--ours-pythonpath",
        metavar="DIR",
        help="PYTHONPATH for our worker only: benchmark a django_valkey package from another "
        "source tree (e.g. a git worktree's packages/django-backend/src)",
    )
    parser.add_argument(
        "--strict", action="store_true", help="exit 1 when a target is missed (default: report only)"
    )
    args = parser.parse_args(argv)
    try:
        server_cpus, client_cpus = placement_cpus(args.placement)
    except ValueError as exc:
        parser.error(str(exc))
    names = [n.strip() for n in args.contenders.split(",") if n.strip()]
    unknown = [n for n in names if n not in SPECS]
    if unknown or not names:
        parser.error(f"unknown contenders {unknown}; choose from {', '.join(SPECS)}")
    if args.rounds < 1 or args.ops < 1 or args.concurrency < 1:
        parser.error("--rounds, --ops and --concurrency must be >= 1")

    specs = [SPECS[n] for n in names]
    for spec in specs:
        ensure_venv(spec, args.recreate, args.quiet)
    if args.setup_only:
        for spec in specs:
            print(f"{spec.name}: {spec.venv.relative_to(ROOT)} ready")
        return 0

    errors: list[str] = []
    with contextlib.ExitStack() as stack:
        if args.url:
            url = args.url
        else:
            pin(server_cpus)  # the server inherits it, threads included
            url = stack.enter_context(EmbeddedServer(name="bench-django")).url
        pin(client_cpus)  # this script and the workers it starts
        all_workers = stack.enter_context(
            workers(specs, url, args.concurrency, args.timeout, args.ours_pythonpath)
        )
        for worker in all_workers:
            if worker.skipped:
                print(f"-- skipping {worker.spec.title}: {worker.skipped}", file=sys.stderr)
        errors.extend(f"{w.spec.name} did not start: {w.failed}" for w in all_workers if w.failed)
        active = [w for w in all_workers if w.active]
        if not active:
            raise SystemExit("no contender could run")
        if not args.quiet:
            print(
                f"{len(active)} contenders, {args.rounds} rounds x {args.ops} ops "
                f"({batch_ops(args.ops)} for 100-key ops, {args.concurrency} tasks for async)",
                file=sys.stderr,
                flush=True,
            )
        started = time.perf_counter()
        samples = run_rounds(active, args.rounds, args.ops, args.concurrency, args.quiet, errors)
        elapsed = time.perf_counter() - started

    summary = summarize(samples)
    shown = [w.spec.name for w in active if w.failed is None]
    print()
    print(versions_table(active, markdown=False))
    for worker in active:
        for note in worker.info.get("notes", ()):
            print(f"  {worker.spec.title}: {note}")
    for worker in all_workers:
        if worker.skipped:
            print(f"  {worker.spec.title}: SKIPPED ({worker.skipped})")
    print()
    print(tables(summary, shown, markdown=False))
    if not args.quiet:
        print()
        print(noise_table(summary, shown))
    if args.markdown:
        print("\n" + versions_table(active, markdown=True) + "\n")
        print(tables(summary, shown, markdown=True))
    print(
        f"\n{args.rounds} interleaved rounds in {elapsed:.0f}s. µs/op and ops/s: median per "
        "contender; ratios and speed-ups: median of the per-round ratios."
    )

    results = check_targets(summary, samples)
    if not results:
        print("targets: not checked (our backend did not run)")
    else:
        print("targets:")
        for target, met, detail in results:
            print(f"  [{'met' if met else 'MISSED'}] {target}: {detail}")
    if args.json:
        payload = {
            "benchmark": "django_backends",
            "meta": {
                **machine_info(),
                "rounds": args.rounds,
                "ops": args.ops,
                "concurrency": args.concurrency,
                "seconds": elapsed,
                "contenders": {w.spec.name: w.info for w in active},
                "skipped": {w.spec.name: w.skipped for w in all_workers if w.skipped},
                "errors": errors,
            },
            "results": summary,
            "targets": [{"target": t, "met": m, "detail": d} for t, m, d in results],
        }
        Path(args.json).write_text(json.dumps(payload, indent=2) + "\n")
        print(f"wrote {args.json}", file=sys.stderr)
    if errors:
        # Loud: the tables above lack these samples.
        print(f"\nERRORS ({len(errors)}), see stderr for tracebacks:")
        for message in errors[:20]:
            print(f"  {message.splitlines()[0]}")
        return 2
    missed = [r for r in results if not r[1]]
    return 1 if (args.strict and missed) else 0


if __name__ == "__main__":
    sys.exit(main())
