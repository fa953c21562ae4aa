"""One contender of ``django_backends.py``, run inside that contender's own virtualenv.

Started as ``python benchmarks/_worker.py '<json config>'`` by the orchestrator; it
uses the standard library, ``_bench.py`` and whatever its virtualenv holds (Django and
the contender's packages). It speaks JSON lines:

* on start, one line: ``{"event": "ready", "workloads": [...], "versions": {...}}``,
  or ``{"event": "skip", "reason": "..."}`` when the contender cannot run here;
* then, for each request line ``{"workload": "get_hit", "ops": 1000, "warmup": 100}``,
  one reply ``{"workload": ..., "ops": ..., "wall": seconds, "cpu": seconds}`` (or
  ``{"error": "..."}``); an empty line or end of input stops it.

Contenders: ``raw`` (valkey-py, no Django cache), ``ours`` (``django_valkey.cache.
ValkeyCache`` from this repository), ``django-valkey`` (the published 0.4.x),
``django-redis`` and ``django`` (Django's own ``RedisCache``).
"""

from __future__ import annotations

import asyncio
import json
import os
import pickle
import sys
import traceback
from collections.abc import Awaitable, Callable
from importlib import metadata
from typing import Any

from _bench import BATCH, TIMEOUT, TIMEOUT_MS, batch_keys, make_value, time_async, time_sync

KEY = "key"
MISSING = "missing"
COUNTER = "counter"
VALUE = make_value()

SYNC_WORKLOADS = ("get_hit", "get_miss", "set", "has_key", "delete", "get_many", "set_many", "incr")
ASYNC_WORKLOADS = ("aget_native", "aget_s2a", "aset_native", "aset_s2a")

SyncRun = Callable[[int], object]
AsyncRun = Callable[[int], Awaitable[object]]


class Skip(Exception):
    """The contender cannot run in this environment (e.g. the package is not there)."""


def version_of(*names: str) -> dict[str, str]:
    found = {}
    for name in names:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            pass
    return found


def c_parser() -> str:
    """Which C reply parser this environment has (valkey-py and redis-py use it when present)."""
    for module in ("libvalkey", "hiredis"):
        try:
            __import__(module)
        except ImportError:
            continue
        return module
    return "pure Python"


# -- Django ------------------------------------------------------------------------------


def configure_django(caches: dict[str, dict[str, Any]]) -> Any:
    from django.conf import settings

    settings.configure(CACHES=caches, USE_TZ=True)
    import django

    django.setup()
    from django.core.cache import caches as handler

    return handler


def same_db_other_url(url: str) -> str:
    """``url`` spelt differently: ``valkey://h:p`` -> ``valkey://h:p/0``, else ``?db=0`` added."""
    if "?" not in url and url.count("/") == 2 and url.startswith(("valkey://", "redis://")):
        return url + "/0"
    return url + ("&" if "?" in url else "?") + "db=0"


def cache_entry(backend: str, url: str, prefix: str, **extra: Any) -> dict[str, Any]:
    return {"BACKEND": backend, "LOCATION": url, "KEY_PREFIX": prefix, "TIMEOUT": TIMEOUT, **extra}


# -- the workloads -------------------------------------------------------------------------


def django_sync_runs(cache: Any) -> dict[str, SyncRun]:
    """The sync workloads on a Django cache backend (any of them: the API is Django's)."""
    keys = batch_keys()
    mapping = dict.fromkeys(keys, VALUE)
    value = VALUE

    def get_hit(n: int) -> None:
        for _ in range(n):
            cache.get(KEY)

    def get_miss(n: int) -> None:
        for _ in range(n):
            cache.get(MISSING)

    def set_(n: int) -> None:
        for _ in range(n):
            cache.set(KEY, value, timeout=TIMEOUT)

    def get_many(n: int) -> None:
        for _ in range(n):
            cache.get_many(keys)

    def set_many(n: int) -> None:
        for _ in range(n):
            cache.set_many(mapping, timeout=TIMEOUT)

    def incr(n: int) -> None:
        for _ in range(n):
            cache.incr(COUNTER)

    def has_key(n: int) -> None:
        for _ in range(n):
            cache.has_key(KEY)

    def delete(n: int) -> None:
        for _ in range(n):
            cache.delete(MISSING)

    return {
        "get_hit": get_hit,
        "get_miss": get_miss,
        "set": set_,
        "has_key": has_key,
        "delete": delete,
        "get_many": get_many,
        "set_many": set_many,
        "incr": incr,
    }


def concurrent(call: Callable[[], Awaitable[object]], concurrency: int) -> AsyncRun:
    """``n`` awaited calls spread over ``concurrency`` tasks run with ``asyncio.gather``."""

    async def run(n: int) -> None:
        per_task = max(n // concurrency, 1)

        async def task() -> None:
            for _ in range(per_task):
                await call()

        await asyncio.gather(*(task() for _ in range(concurrency)))

    return run


def s2a_runs(cache: Any, concurrency: int) -> dict[str, AsyncRun]:
    """Django's default async path: ``BaseCache.aget`` is ``sync_to_async(self.get)``."""
    from asgiref.sync import sync_to_async

    value = VALUE

    def aget() -> Awaitable[object]:
        return sync_to_async(cache.get, thread_sensitive=True)(KEY)

    def aset() -> Awaitable[object]:
        return sync_to_async(cache.set, thread_sensitive=True)(KEY, value, timeout=TIMEOUT)

    return {"aget_s2a": concurrent(aget, concurrency), "aset_s2a": concurrent(aset, concurrency)}


def native_runs(cache: Any, concurrency: int, get: str, set_: str) -> dict[str, AsyncRun]:
    """A native async API: ``cache.aget``/``cache.aset`` (or ``get``/``set`` when every
    method of the backend is a coroutine, as in django-valkey 0.4's AsyncValkeyCache)."""
    aget_method, aset_method = getattr(cache, get), getattr(cache, set_)
    value = VALUE

    def aget() -> Awaitable[object]:
        return aget_method(KEY)  # type: ignore[no-any-return]

    def aset() -> Awaitable[object]:
        return aset_method(KEY, value, timeout=TIMEOUT)  # type: ignore[no-any-return]

    return {
        "aget_native": concurrent(aget, concurrency),
        "aset_native": concurrent(aset, concurrency),
    }


# -- contenders ------------------------------------------------------------------------------


class Contender:
    def __init__(self, config: dict[str, Any]) -> None:
        self.name: str = config["contender"]
        self.url: str = config["url"]
        self.prefix: str = config["prefix"]
        self.concurrency: int = config["concurrency"]
        self.sync: dict[str, SyncRun] = {}
        self.asynchronous: dict[str, AsyncRun] = {}
        self.versions: dict[str, str] = {}
        self.notes: list[str] = []
        self.setup: Callable[[], None] = lambda: None
        self.check: Callable[[], object] = lambda: None

    def nkey(self, key: str) -> str:
        """Django's default key function: ``prefix:version:key``."""
        return f"{self.prefix}:1:{key}"

    def build(self, loop: asyncio.AbstractEventLoop) -> None:
        builder = {
            "raw": self.build_raw,
            "ours": self.build_ours,
            "django-valkey": self.build_django_valkey,
            "django-redis": self.build_django_redis,
            "django": self.build_django_builtin,
        }[self.name]
        builder(loop)
        self.setup()
        got = self.check()
        if got != VALUE:
            raise RuntimeError(f"{self.name}: get() after set() returned {got!r}")

    # -- raw valkey-py ---------------------------------------------------------------------

    def build_raw(self, loop: asyncio.AbstractEventLoop) -> None:
        import valkey
        import valkey.asyncio
        from asgiref.sync import sync_to_async

        self.versions = version_of("valkey", "django", "asgiref")
        # Any: valkey-py types the sync client's replies as ``Awaitable | Any``.
        r: Any = valkey.Valkey.from_url(self.url)
        ar: Any = valkey.asyncio.Valkey.from_url(self.url)
        keys = batch_keys()
        nkey, nmissing, ncounter = self.nkey(KEY), self.nkey(MISSING), self.nkey(COUNTER)
        nkeys = [self.nkey(k) for k in keys]
        value = VALUE
        values = [value] * BATCH
        dumps, loads = pickle.dumps, pickle.loads

        def get(key: str) -> Any:
            raw = r.get(key)
            return None if raw is None else loads(raw)

        def set_(key: str, v: Any) -> None:
            r.set(key, dumps(v), px=TIMEOUT_MS)

        def get_hit(n: int) -> None:
            for _ in range(n):
                get(nkey)

        def get_miss(n: int) -> None:
            for _ in range(n):
                get(nmissing)

        def set_n(n: int) -> None:
            for _ in range(n):
                set_(nkey, value)

        def get_many(n: int) -> None:
            for _ in range(n):
                raws = r.mget(nkeys)
                {k: loads(v) for k, v in zip(keys, raws) if v is not None}

        def set_many(n: int) -> None:
            for _ in range(n):
                pipe = r.pipeline(transaction=False)
                for k, v in zip(nkeys, values):
                    pipe.set(k, dumps(v), px=TIMEOUT_MS)
                pipe.execute()

        def incr(n: int) -> None:
            for _ in range(n):
                r.incr(ncounter)

        def has_key(n: int) -> None:
            for _ in range(n):
                bool(r.exists(nkey))

        def delete(n: int) -> None:
            for _ in range(n):
                bool(r.delete(nmissing))

        async def aget() -> Any:
            raw = await ar.get(nkey)
            return None if raw is None else loads(raw)

        def aset() -> Awaitable[object]:
            return ar.set(nkey, dumps(value), px=TIMEOUT_MS)  # type: ignore[no-any-return]

        def s2a_get() -> Awaitable[object]:
            return sync_to_async(get, thread_sensitive=True)(nkey)

        def s2a_set() -> Awaitable[object]:
            return sync_to_async(set_, thread_sensitive=True)(nkey, value)

        def setup() -> None:
            set_(nkey, value)
            pipe = r.pipeline(transaction=False)
            for k in nkeys:
                pipe.set(k, dumps(value), px=TIMEOUT_MS)
            pipe.set(ncounter, 0)
            pipe.delete(nmissing)
            pipe.execute()

        c = self.concurrency
        self.sync = {
            "get_hit": get_hit,
            "get_miss": get_miss,
            "set": set_n,
            "has_key": has_key,
            "delete": delete,
            "get_many": get_many,
            "set_many": set_many,
            "incr": incr,
        }
        self.asynchronous = {
            "aget_native": concurrent(aget, c),
            "aset_native": concurrent(aset, c),
            "aget_s2a": concurrent(s2a_get, c),
            "aset_s2a": concurrent(s2a_set, c),
        }
        self.setup = setup
        self.check = lambda: get(nkey)
        self.notes.append("valkey.Valkey / valkey.asyncio.Valkey, pickle inline")

    # -- Django backends -------------------------------------------------------------------

    def _django(self, caches: dict[str, dict[str, Any]]) -> Any:
        handler = configure_django(caches)
        cache = handler["default"]
        self.sync = django_sync_runs(cache)
        self.asynchronous = s2a_runs(cache, self.concurrency)

        def setup() -> None:
            cache.set(KEY, VALUE, timeout=TIMEOUT)
            cache.set_many(dict.fromkeys(batch_keys(), VALUE), timeout=TIMEOUT)
            cache.set(COUNTER, 0, timeout=None)
            cache.delete(MISSING)

        self.setup = setup
        self.check = lambda: cache.get(KEY)
        return handler

    def build_ours(self, loop: asyncio.AbstractEventLoop) -> None:
        backend = "django_valkey.cache.ValkeyCache"
        try:
            import django_valkey.cache as module
        except ImportError as exc:
            raise Skip(f"our Django backend is not importable yet ({exc})") from exc
        if not hasattr(module, "ValkeyCache"):
            raise Skip(f"{backend} does not exist yet")
        self.versions = version_of("django-valkey", "valkey-cache-core", "valkey", "django")
        handler = self._django({"default": cache_entry(backend, self.url, self.prefix)})
        cache = handler["default"]
        from django.core.cache.backends.base import BaseCache

        if getattr(type(cache), "aget", None) is BaseCache.aget:
            self.notes.append("aget is BaseCache's (sync_to_async): no native async yet")
        else:
            self.asynchronous.update(native_runs(cache, self.concurrency, "aget", "aset"))

    def build_django_valkey(self, loop: asyncio.AbstractEventLoop) -> None:
        self.versions = version_of("django-valkey", "valkey", "django")
        if self.versions.get("django-valkey", "").startswith("0.5"):
            raise Skip("this environment holds our django-valkey, not the published 0.4")
        handler = self._django(
            {
                "default": cache_entry("django_valkey.cache.ValkeyCache", self.url, self.prefix),
                # 0.4 shares one pool between its sync and async backends when LOCATION is
                # the same string (the async client then gets sync connections), so the
                # async entry names the same server and database differently.
                "async": cache_entry(
                    "django_valkey.async_cache.cache.AsyncValkeyCache",
                    same_db_other_url(self.url),
                    self.prefix,
                ),
            }
        )
        # 0.4's sync ValkeyCache has no aget at all; its native async backend is a separate
        # CACHES entry whose every method (get, set, ...) is a coroutine.
        self.asynchronous.update(native_runs(handler["async"], self.concurrency, "get", "set"))
        self.notes.append("native async = AsyncValkeyCache (a second CACHES entry)")

    def build_django_redis(self, loop: asyncio.AbstractEventLoop) -> None:
        self.versions = version_of("django-redis", "redis", "django")
        url = self.url.replace("valkey://", "redis://", 1)  # redis-py knows no valkey://
        self._django({"default": cache_entry("django_redis.cache.RedisCache", url, self.prefix)})
        self.notes.append("no native async: aget is BaseCache's sync_to_async")

    def build_django_builtin(self, loop: asyncio.AbstractEventLoop) -> None:
        self.versions = version_of("django", "redis")
        url = self.url.replace("valkey://", "redis://", 1)
        self._django(
            {"default": cache_entry("django.core.cache.backends.redis.RedisCache", url, self.prefix)}
        )
        self.notes.append("no native async: aget is BaseCache's sync_to_async")


# -- the loop --------------------------------------------------------------------------------


def main() -> int:
    config = json.loads(sys.argv[1])
    out = os.fdopen(os.dup(sys.stdout.fileno()), "w", buffering=1)
    sys.stdout = sys.stderr  # nothing but protocol lines on the real stdout

    def send(message: dict[str, Any]) -> None:
        out.write(json.dumps(message) + "\n")
        out.flush()

    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    contender = Contender(config)
    try:
        contender.build(loop)
    except Skip as exc:
        send({"event": "skip", "reason": str(exc)})
        return 0
    except Exception as exc:
        send({"event": "error", "reason": f"{type(exc).__name__}: {exc}", "trace": traceback.format_exc()})
        return 1
    send(
        {
            "event": "ready",
            "workloads": [*contender.sync, *contender.asynchronous],
            "versions": contender.versions,
            "parser": c_parser(),
            "python": sys.version.split()[0],
            "notes": contender.notes,
        }
    )
    for line in sys.stdin:
        if not line.strip():
            break
        request = json.loads(line)
        workload, ops, warmup = request["workload"], int(request["ops"]), int(request.get("warmup", 0))
        try:
            if workload in contender.sync:
                run = contender.sync[workload]
                if warmup:
                    run(warmup)
                wall, cpu = time_sync(run, ops)
            elif workload in contender.asynchronous:
                # Every task does the same number of calls: ops is a multiple of the tasks.
                ops = max(ops // contender.concurrency, 1) * contender.concurrency
                arun = contender.asynchronous[workload]
                if warmup:
                    loop.run_until_complete(arun(warmup))
                wall, cpu = loop.run_until_complete(time_async(arun, ops))
            else:
                send({"workload": workload, "error": "not supported by this contender"})
                continue
        except Exception as exc:
            send(
                {
                    "workload": workload,
                    "error": f"{type(exc).__name__}: {exc}",
                    "trace": traceback.format_exc(),
                }
            )
            continue
        send({"workload": workload, "ops": ops, "wall": wall, "cpu": cpu})
    return 0


if __name__ == "__main__":
    sys.exit(main())
