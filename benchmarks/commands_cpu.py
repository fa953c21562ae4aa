"""The core's CPU cost per call of every single-key command, on a stub connection.

For each declared one-step command, ``raw`` is what a raw valkey-py program does for
the same result, as issue 11 defines it ("raw valkey-py doing the same work with pickle
inline"): the valkey-py call the command makes (same method and arguments, keys built
beforehand) on a stub that answers at once, with ``pickle.dumps`` of each value it
sends and ``pickle.loads`` of each value it gets back (``ENCODED``, ``DECODE``).
``ours`` is the ``Cache`` (or ``AsyncCache``) method on the same stub. The difference is
what the core adds: key making, the driver, finishing the reply. Rounds are
interleaved; medians of CPU time. No server, so no I/O and little noise::

    uv run python benchmarks/commands_cpu.py                 # table
    uv run python benchmarks/commands_cpu.py --markdown      # for docs/benchmarks.md
"""

from __future__ import annotations

import argparse
import asyncio
import pickle
import sys
from collections.abc import Callable
from typing import Any

from _bench import markdown_table, median, rotated, text_table, time_sync

from valkey_cache.core import AsyncCache, Cache
from valkey_cache.core.commands import standard
from valkey_cache.core.commands.ops import Op

#: The targets of issue 11: at most this much CPU added per single-key command, and
#: per key of ``get_many``/``set_many``.
TARGET_US = 1.0
TARGET_PER_KEY_US = 0.3

#: The value stored and read back (the benchmarks' small object) and a set/zset member.
OBJECT = {"id": 1, "name": "user"}
MEMBER_OBJECT = "m"
VALUE = pickle.dumps(OBJECT)
MEMBER = pickle.dumps(MEMBER_OBJECT)
#: What the stub answers per valkey-py method (anything else: 1).
REPLIES: dict[str, Any] = {
    "get": VALUE,
    "set": True,
    "ttl": 5,
    "pttl": 5000,
    "smembers": {MEMBER},
    "srandmember": MEMBER,
    "spop": MEMBER,
    "hget": VALUE,
    "hgetall": {b"b:1:f": VALUE},
    "hkeys": [b"b:1:f"],
    "hmget": [VALUE],
    "zrange": [MEMBER],
    "zrevrange": [MEMBER],
    "zrangebyscore": [MEMBER],
    "zrevrangebyscore": [MEMBER],
    "zpopmin": [(MEMBER, 1.0)],
    "zpopmax": [(MEMBER, 1.0)],
    "zscore": 1.0,
    "zincrby": 2.0,
    "zrank": 0,
    "smismember": [1],
    "evalsha": 2,
    "rename": True,
}

#: command -> (args, kwargs) of the call measured.
CASES: dict[str, tuple[tuple[Any, ...], dict[str, Any]]] = {
    "get": (("k",), {}),
    "set": (("k", OBJECT), {"timeout": 300}),
    "add": (("k", OBJECT), {"timeout": 300}),
    "delete": (("k",), {}),
    "has_key": (("k",), {}),
    "incr": (("n",), {}),
    "decr": (("n",), {}),
    "touch": (("k", 60), {}),
    "incr_version": (("k",), {}),
    "ttl": (("k",), {}),
    "pttl": (("k",), {}),
    "expire": (("k", 60), {}),
    "pexpire": (("k", 60000), {}),
    "expire_at": (("k", 2_000_000_000), {}),
    "pexpire_at": (("k", 2_000_000_000_000), {}),
    "persist": (("k",), {}),
    "sadd": (("s", MEMBER_OBJECT), {}),
    "scard": (("s",), {}),
    "sismember": (("s", MEMBER_OBJECT), {}),
    "smismember": (("s", MEMBER_OBJECT), {}),
    "smembers": (("s",), {}),
    "spop": (("s",), {}),
    "srandmember": (("s",), {}),
    "srem": (("s", MEMBER_OBJECT), {}),
    "hset": (("h", "f", OBJECT), {}),
    "hget": (("h", "f"), {}),
    "hmget": (("h", "f"), {}),
    "hgetall": (("h",), {}),
    "hdel": (("h", "f"), {}),
    "hlen": (("h",), {}),
    "hkeys": (("h",), {}),
    "hexists": (("h", "f"), {}),
    "zadd": (("z", {MEMBER_OBJECT: 1.0}), {}),
    "zcard": (("z",), {}),
    "zcount": (("z", 0, 10), {}),
    "zincrby": (("z", 1.0, MEMBER_OBJECT), {}),
    "zpopmax": (("z",), {}),
    "zpopmin": (("z",), {}),
    "zrange": (("z", 0, -1), {}),
    "zrevrange": (("z", 0, -1), {}),
    "zrangebyscore": (("z", 0, 10), {}),
    "zrevrangebyscore": (("z", 10, 0), {}),
    "zrank": (("z", MEMBER_OBJECT), {}),
    "zrem": (("z", MEMBER_OBJECT), {}),
    "zremrangebyscore": (("z", 0, 10), {}),
    "zscore": (("z", MEMBER_OBJECT), {}),
}

loads, dumps = pickle.loads, pickle.dumps

#: command -> the values a raw program pickles for each call (what our command encodes).
ENCODED: dict[str, tuple[Any, ...]] = {
    "set": (OBJECT,),
    "add": (OBJECT,),
    "sadd": (MEMBER_OBJECT,),
    "sismember": (MEMBER_OBJECT,),
    "smismember": (MEMBER_OBJECT,),
    "srem": (MEMBER_OBJECT,),
    "hset": (OBJECT,),
    "zadd": (MEMBER_OBJECT,),
    "zincrby": (MEMBER_OBJECT,),
    "zrank": (MEMBER_OBJECT,),
    "zrem": (MEMBER_OBJECT,),
    "zscore": (MEMBER_OBJECT,),
}

#: command -> how a raw program reads the values in the reply (what our command decodes).
DECODE: dict[str, Callable[[Any], Any]] = {
    "get": loads,
    "smembers": lambda reply: {loads(m) for m in reply},
    "spop": loads,
    "srandmember": loads,
    "hget": loads,
    "hmget": lambda reply: [loads(v) for v in reply],
    "hgetall": lambda reply: {f.decode(): loads(v) for f, v in reply.items()},
    "hkeys": lambda reply: [f.decode() for f in reply],
    "zrange": lambda reply: [loads(m) for m in reply],
    "zrevrange": lambda reply: [loads(m) for m in reply],
    "zrangebyscore": lambda reply: [loads(m) for m in reply],
    "zrevrangebyscore": lambda reply: [loads(m) for m in reply],
    "zpopmin": lambda reply: [(loads(m), score) for m, score in reply],
    "zpopmax": lambda reply: [(loads(m), score) for m, score in reply],
}


def _no_decode(reply: Any) -> Any:
    return reply


class Stub:
    """Stands in for ``valkey.Valkey`` (via ``BASE_CLIENT_CLASS``): every method answers at once."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        pass

    def __getattr__(self, name: str) -> Callable[..., Any]:
        reply = REPLIES.get(name, 1)

        def method(*args: Any, **kwargs: Any) -> Any:
            return reply

        self.__dict__[name] = method
        return method

    def mget(self, keys: list[Any], *more: Any) -> list[bytes]:
        return [VALUE] * (len(keys) + len(more))

    def pipeline(self, transaction: bool = True) -> StubPipeline:
        return StubPipeline()


class StubPipeline:
    """A pipeline of the stub: queues calls, answers True to each."""

    def __init__(self) -> None:
        self.queued = 0

    def set(self, *args: Any, **kwargs: Any) -> StubPipeline:
        self.queued += 1
        return self

    def execute(self) -> list[bool]:
        return [True] * self.queued


class AsyncStub(Stub):
    """The asyncio twin of :class:`Stub`."""

    def __getattr__(self, name: str) -> Callable[..., Any]:
        reply = REPLIES.get(name, 1)

        async def method(*args: Any, **kwargs: Any) -> Any:
            return reply

        self.__dict__[name] = method
        return method

    async def mget(self, keys: list[Any], *more: Any) -> list[bytes]:  # type: ignore[override]
        return [VALUE] * (len(keys) + len(more))

    def pipeline(self, transaction: bool = True) -> AsyncStubPipeline:  # type: ignore[override]
        return AsyncStubPipeline()


class AsyncStubPipeline(StubPipeline):
    async def execute(self) -> list[bool]:  # type: ignore[override]
        return [True] * self.queued


#: Keys per batch command in the per-key table.
BATCH = 100


def batch_runs(cache: Cache, acache: AsyncCache, stub: Stub, astub: AsyncStub) -> dict[str, Any]:
    """``get_many`` and ``set_many`` of :data:`BATCH` keys against what raw valkey-py
    does for them (keys made beforehand; an MGET with ``pickle.loads`` of each value, a
    pipeline of ``SET PX`` with ``pickle.dumps``): ``{name: (raw, ours, araw, aours)}``."""
    names = [f"k{i}" for i in range(BATCH)]
    made = [cache.make_key(name) for name in names]
    data = dict.fromkeys(names, OBJECT)
    pairs = list(zip(made, data.values()))

    def raw_get(n: int) -> None:
        for _ in range(n):
            dict(zip(names, [loads(v) for v in stub.mget(made)]))

    def raw_set(n: int) -> None:
        for _ in range(n):
            pipe = stub.pipeline(transaction=False)
            for nkey, value in pairs:
                pipe.set(nkey, dumps(value), px=300_000)
            pipe.execute()

    async def araw_get(n: int) -> None:
        for _ in range(n):
            dict(zip(names, [loads(v) for v in await astub.mget(made)]))

    async def araw_set(n: int) -> None:
        for _ in range(n):
            pipe = astub.pipeline(transaction=False)
            for nkey, value in pairs:
                pipe.set(nkey, dumps(value), px=300_000)
            await pipe.execute()

    def ours(call: Callable[[], Any]) -> Callable[[int], None]:
        def run(n: int) -> None:
            for _ in range(n):
                call()

        return run

    def aours(call: Callable[[], Any]) -> Callable[[int], Any]:
        async def run(n: int) -> None:
            for _ in range(n):
                await call()

        return run

    return {
        "get_many": (
            raw_get,
            ours(lambda: cache.get_many(names)),
            araw_get,
            aours(lambda: acache.get_many(names)),
        ),
        "set_many": (
            raw_set,
            ours(lambda: cache.set_many(data, timeout=300)),
            araw_set,
            aours(lambda: acache.set_many(data, timeout=300)),
        ),
    }


def raw_call(cache: Cache, command: str) -> tuple[str, tuple[Any, ...], dict[str, Any]]:
    """The valkey-py call ``command`` makes for its case."""
    args, kwargs = CASES[command]
    step = getattr(standard, f"cmd_{command}")(cache.client, *args, **kwargs)
    assert isinstance(step, Op), f"{command} is not a one-step command"
    return step.method, step.args, step.kwargs


def sync_runs(cache: Cache, stub: Stub, command: str) -> tuple[Callable[[int], None], Callable[[int], None]]:
    method, rargs, rkwargs = raw_call(cache, command)
    raw_method = getattr(stub, method)
    ours = getattr(cache, command)
    args, kwargs = CASES[command]

    encoded, decode = ENCODED.get(command, ()), DECODE.get(command)

    def raw(n: int) -> None:
        for _ in range(n):
            raw_method(*rargs, **rkwargs)

    def raw_with_codec(n: int) -> None:
        for _ in range(n):
            for value in encoded:
                dumps(value)
            (decode or _no_decode)(raw_method(*rargs, **rkwargs))

    if encoded or decode:
        raw = raw_with_codec

    def mine(n: int) -> None:
        for _ in range(n):
            ours(*args, **kwargs)

    return raw, mine


def async_runs(
    cache: Cache, acache: AsyncCache, stub: AsyncStub, command: str
) -> tuple[Callable[[int], Any], Callable[[int], Any]]:
    method, rargs, rkwargs = raw_call(cache, command)
    raw_method = getattr(stub, method)
    ours = getattr(acache, command)
    args, kwargs = CASES[command]

    encoded, decode = ENCODED.get(command, ()), DECODE.get(command)

    async def raw(n: int) -> None:
        for _ in range(n):
            await raw_method(*rargs, **rkwargs)

    async def raw_with_codec(n: int) -> None:
        for _ in range(n):
            for value in encoded:
                dumps(value)
            (decode or _no_decode)(await raw_method(*rargs, **rkwargs))

    if encoded or decode:
        raw = raw_with_codec

    async def mine(n: int) -> None:
        for _ in range(n):
            await ours(*args, **kwargs)

    return raw, mine


def cpu_of_async(loop: asyncio.AbstractEventLoop, run: Callable[[int], Any], n: int) -> float:
    return time_sync(lambda k: loop.run_until_complete(run(k)), n)[1] / n


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--ops", type=int, default=3000)
    parser.add_argument("--markdown", action="store_true")
    args = parser.parse_args(argv)
    url = "valkey://127.0.0.1:1"  # never connected to: the stub stands in
    cache = Cache(url, key_prefix="b", options={"BASE_CLIENT_CLASS": Stub})
    acache = AsyncCache(url, key_prefix="b", options={"BASE_CLIENT_CLASS": AsyncStub})
    loop = asyncio.new_event_loop()
    loop.run_until_complete(acache.get("k"))  # connect this loop's client to its stub
    cache.get("k")

    async def this_loops_stub() -> Any:
        return await acache.client.get_client()

    stub, astub = cache.client._clients[0], loop.run_until_complete(this_loops_stub())
    runs = {c: (sync_runs(cache, stub, c), async_runs(cache, acache, astub, c)) for c in CASES}
    batches = batch_runs(cache, acache, stub, astub)
    batch_samples: dict[str, list[list[float]]] = {name: [[], [], [], []] for name in batches}
    batch_ops = max(1, args.ops // 10)
    samples: dict[str, dict[str, list[float]]] = {
        c: {k: [] for k in ("raw", "ours", "araw", "aours")} for c in CASES
    }
    for index in range(args.rounds):
        for command in rotated(list(CASES), index):
            (raw, mine), (araw, amine) = runs[command]
            samples[command]["raw"].append(time_sync(raw, args.ops)[1] / args.ops)
            samples[command]["ours"].append(time_sync(mine, args.ops)[1] / args.ops)
            samples[command]["araw"].append(cpu_of_async(loop, araw, args.ops))
            samples[command]["aours"].append(cpu_of_async(loop, amine, args.ops))
        for name, (raw, mine, araw, amine) in batches.items():
            measured = batch_samples[name]
            measured[0].append(time_sync(raw, batch_ops)[1] / batch_ops)
            measured[1].append(time_sync(mine, batch_ops)[1] / batch_ops)
            measured[2].append(cpu_of_async(loop, araw, batch_ops))
            measured[3].append(cpu_of_async(loop, amine, batch_ops))
    loop.close()
    header = [
        "command",
        "raw µs",
        "Cache µs",
        "added µs",
        "async raw µs",
        "AsyncCache µs",
        "added µs (async)",
    ]
    rows = []
    worst = 0.0
    for command, s in samples.items():
        raw, ours, araw, aours = (median(s[k]) * 1e6 for k in ("raw", "ours", "araw", "aours"))
        worst = max(worst, ours - raw, aours - araw)
        rows.append(
            [
                command,
                f"{raw:.2f}",
                f"{ours:.2f}",
                f"{ours - raw:+.2f}",
                f"{araw:.2f}",
                f"{aours:.2f}",
                f"{aours - araw:+.2f}",
            ]
        )
    print(
        f"CPU per call on a stub connection (medians of {args.rounds} interleaved rounds"
        f" x {args.ops} calls):\n"
    )
    print(markdown_table(header, rows) if args.markdown else text_table(header, rows))
    verdict = "met" if worst <= TARGET_US else "MISSED"
    print(f"\nlargest added cost: {worst:+.2f} µs per call (target <= {TARGET_US:.1f} µs: {verdict})")
    header = ["command", "raw µs", "Cache µs", "added µs per key", "async raw µs", "AsyncCache µs"]
    header.append("added µs per key (async)")
    rows = []
    worst = 0.0
    for name, measured in batch_samples.items():
        raw, ours, araw, aours = (median(m) * 1e6 for m in measured)
        per_key, aper_key = (ours - raw) / BATCH, (aours - araw) / BATCH
        worst = max(worst, per_key, aper_key)
        rows.append(
            [
                f"{name}({BATCH})",
                f"{raw:.1f}",
                f"{ours:.1f}",
                f"{per_key:+.3f}",
                f"{araw:.1f}",
                f"{aours:.1f}",
                f"{aper_key:+.3f}",
            ]
        )
    print(f"\nPer key of a {BATCH}-key batch ({batch_ops} calls a sample):\n")
    print(markdown_table(header, rows) if args.markdown else text_table(header, rows))
    verdict = "met" if worst <= TARGET_PER_KEY_US else "MISSED"
    print(f"\nlargest added cost: {worst:+.3f} µs per key (target <= {TARGET_PER_KEY_US} µs: {verdict})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
