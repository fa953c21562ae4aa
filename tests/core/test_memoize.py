"""``memoize``: keys, stampede protection, stale serving and the helpers, on a real server."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime
import decimal
import enum
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from valkey_cache.core import AsyncCache, Cache, ConfigurationError, SerializerError
from valkey_cache.core.memoize import memoize

THREADS = 8
SLOW = 0.3  # how long a "slow" computation takes: long enough for every caller to arrive


class Color(enum.Enum):
    RED = 1


@dataclasses.dataclass(frozen=True)
class Point:
    x: int
    y: int


class Repo:
    def __init__(self, ident: int) -> None:
        self.ident = ident

    def __cache_key__(self) -> int:
        return self.ident


@pytest.fixture
def cache(valkey_url: str) -> Cache:
    return Cache(valkey_url, key_prefix="memo")


@pytest.fixture
async def acache(valkey_url: str) -> Any:
    cache = AsyncCache(valkey_url, key_prefix="memo")
    yield cache
    await cache.close()


# -- sync -----------------------------------------------------------------------


def test_caches_results_per_arguments(cache: Cache) -> None:
    calls: list[int] = []

    @cache.memoize(60)
    def double(x: int) -> int:
        calls.append(x)
        return x * 2

    assert double(2) == 4
    assert double(2) == 4
    assert double(3) == 6
    assert calls == [2, 3]
    assert double.__name__ == "double"


def test_threads_share_one_computation(cache: Cache) -> None:
    calls: list[int] = []
    barrier = threading.Barrier(THREADS)
    results: list[int] = []

    @cache.memoize(60)
    def slow(x: int) -> int:
        calls.append(x)
        time.sleep(SLOW)
        return x + 1

    def caller() -> None:
        barrier.wait()
        results.append(slow(41))

    threads = [threading.Thread(target=caller) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert calls == [41]
    assert results == [42] * THREADS
    assert cache.get(slow.key(41) + ":lock") is None


def test_none_is_cached(cache: Cache) -> None:
    calls: list[int] = []

    @cache.memoize(60)
    def nothing() -> None:
        calls.append(1)

    assert nothing() is None
    assert nothing() is None
    assert calls == [1]
    stored = cache.get(nothing.key())
    assert isinstance(stored, list)
    assert stored[0] is None
    assert stored[1] > time.time()


def test_other_value_under_the_key_is_a_miss(cache: Cache) -> None:
    @cache.memoize(60)
    def answer() -> int:
        return 42

    cache.set(answer.key(), "not an entry")
    assert answer() == 42
    assert cache.get(answer.key())[0] == 42


def test_exception_is_not_cached_and_frees_the_lock(cache: Cache) -> None:
    calls: list[int] = []

    @cache.memoize(60)
    def flaky() -> str:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("boom")
        return "ok"

    with pytest.raises(RuntimeError, match="boom"):
        flaky()
    assert cache.get(flaky.key()) is None
    assert cache.get(flaky.key() + ":lock") is None
    assert flaky() == "ok"
    assert calls == [1, 1]


def test_waiter_computes_when_the_holder_fails(cache: Cache) -> None:
    calls: list[str] = []
    holder_started = threading.Event()
    outcome: list[BaseException] = []

    @cache.memoize(60, lock_timeout=30)
    def job() -> str:
        calls.append(threading.current_thread().name)
        if len(calls) == 1:
            holder_started.set()
            time.sleep(SLOW)
            raise RuntimeError("holder failed")
        return "done"

    def holder() -> None:
        try:
            job()
        except RuntimeError as exc:
            outcome.append(exc)

    thread = threading.Thread(target=holder, name="holder")
    thread.start()
    assert holder_started.wait(10)
    assert job() == "done"  # waited on the lock, then took it when it was released
    thread.join()
    assert len(outcome) == 1
    assert calls == ["holder", threading.current_thread().name]


class HolderFinishesFirst:
    """The cache API, where another caller takes the lock, stores its result and releases
    the lock between this caller's miss and its attempt at the lock (a real race, made
    deterministic: the other caller's two writes happen inside ``add``)."""

    def __init__(self, cache: Cache, stored: list[Any]) -> None:
        self.cache, self.stored = cache, stored
        self.default_timeout = cache.default_timeout

    def get(self, *args: Any, **kwargs: Any) -> Any:
        return self.cache.get(*args, **kwargs)

    def add(self, key: str, value: Any, timeout: Any = None) -> bool:
        self.cache.set(key.removesuffix(":lock"), self.stored, 30)
        return False

    def set(self, *args: Any, **kwargs: Any) -> Any:
        return self.cache.set(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        return self.cache.delete(*args, **kwargs)


def test_a_lock_released_meanwhile_means_the_value_is_read(cache: Cache) -> None:
    calls: list[int] = []
    racing = HolderFinishesFirst(cache, [42, None])

    @memoize(racing, 30)
    def answer() -> int:
        calls.append(1)
        return 0

    assert answer() == 42
    assert calls == []


def test_unstorable_result_frees_the_lock(cache: Cache) -> None:
    @cache.memoize(60)
    def unpicklable() -> Any:
        return lambda: None

    with pytest.raises(SerializerError):
        unpicklable()
    assert cache.get(unpicklable.key() + ":lock") is None


def test_unreachable_server_with_ignored_errors_computes_without_waiting(fresh_server: Any) -> None:
    cache = Cache(fresh_server.url, ignore_exceptions=True)
    fresh_server.stop()
    calls: list[int] = []

    @cache.memoize(60, lock_timeout=100)  # a wait for the lock would outlast the test's timeout
    def value() -> int:
        calls.append(1)
        return 7

    assert value() == 7
    assert value() == 7
    assert calls == [1, 1]


def test_delete_refresh_key(cache: Cache) -> None:
    calls: list[int] = []

    @cache.memoize(60)
    def square(x: int) -> int:
        calls.append(x)
        return x * x + len(calls) - 1

    key = square.key(3)
    assert key.startswith(f"memoize:{__name__}.test_delete_refresh_key.<locals>.square:")
    assert square.key(x=3) == key
    assert square.key(4) != key
    assert square(3) == 9
    assert square.refresh(3) == 10
    assert square(3) == 10
    assert calls == [3, 3]
    assert square.delete(3) is True
    assert square.delete(3) is False
    assert square(3) == 11


def test_arguments_bound_with_defaults(cache: Cache) -> None:
    @cache.memoize(60)
    def f(x: int, y: int = 2, *args: int, z: int = 3, **kwargs: int) -> int:
        return x

    key = f.key(1)
    assert f.key(x=1) == key
    assert f.key(1, 2) == key
    assert f.key(1, y=2, z=3) == key
    assert f.key(1, 3) != key
    assert f.key(1, 2, 3) != key
    assert f.key(1, z=4) != key
    assert f.key(1, a=1, b=2) == f.key(1, b=2, a=1)
    assert f.key(1, a=1) != key
    with pytest.raises(TypeError):
        f.key()


def test_keys_tell_types_and_containers_apart(cache: Cache) -> None:
    @cache.memoize(60)
    def f(value: Any) -> Any:
        return value

    values = [
        None, True, 1, 1.0, "1", b"1", (1,), [1], {1}, frozenset({1}), {1: 1}, {"1": 1},
        Color.RED, decimal.Decimal("1"), datetime.date(2020, 1, 1),
        datetime.datetime(2020, 1, 1), datetime.timedelta(1), ("a", "b"), ("ab",), ["a", ["b"]],
        Point(1, 2), Point(2, 1), Point, 1 + 0j, Path("1"),
    ]  # fmt: skip
    keys = [f.key(value) for value in values]
    assert len(set(keys)) == len(keys)
    assert f.key({"a": 1, "b": 2}) == f.key({"b": 2, "a": 1})
    assert f.key({3, 1, 2}) == f.key({1, 2, 3})


def test_unencodable_argument_is_a_type_error(cache: Cache) -> None:
    @cache.memoize(60)
    def f(items: Any, option: Any = None) -> Any:
        return items

    with pytest.raises(TypeError, match=r"argument 'items'.*builtins\.object.*pass key="):
        f(object())
    with pytest.raises(TypeError, match=r"argument 'items\[1\]\['a'\]'"):
        f([1, {"a": object()}])
    with pytest.raises(TypeError, match=r"argument 'option'"):
        f.key(1, option=threading.Lock())
    looped: list[Any] = []
    looped.append(looped)
    with pytest.raises(TypeError, match="contains itself"):
        f(looped)


def test_key_and_name_options(cache: Cache) -> None:
    calls: list[int] = []

    @cache.memoize(60, key=lambda user, verbose=False: f"profile:{user.ident}")
    def profile(user: Repo, verbose: bool = False) -> int:
        calls.append(user.ident)
        return user.ident

    assert profile.key(Repo(7)) == "profile:7"
    assert profile(Repo(7)) == 7
    assert profile(Repo(7), verbose=True) == 7
    assert calls == [7]

    @cache.memoize(60, name="renamed")
    def old(x: int) -> int:
        return x

    @cache.memoize(60, name="renamed")
    def new(x: int) -> int:
        return x

    assert old.key(1) == new.key(1)
    assert old.key(1).startswith("memoize:renamed:")

    @cache.memoize(60, key=lambda: 5)
    def bad() -> int:
        return 1

    with pytest.raises(TypeError, match="key= returned int"):
        bad()


def test_methods_need_cache_key(cache: Cache) -> None:
    calls: list[tuple[int, int]] = []

    class Store(Repo):
        @cache.memoize(60)
        def item(self, x: int) -> int:
            calls.append((self.ident, x))
            return self.ident * 100 + x

    assert Store(1).item(2) == 102
    assert Store(1).item(2) == 102
    assert Store(3).item(2) == 302
    assert calls == [(1, 2), (3, 2)]
    assert Store.item.key(Store(1), 2) == Store.item.key(Store(1), x=2)
    store = Store(1)
    assert store.item.delete(store, 2) is True  # the helpers take self too
    assert store.item(2) == 102
    assert calls == [(1, 2), (3, 2), (1, 2)]

    class Plain:
        @cache.memoize(60)
        def item(self) -> int:
            return 1

    with pytest.raises(TypeError, match=r"argument 'self'.*Plain.*__cache_key__"):
        Plain().item()


def test_stale_value_served_while_one_caller_refreshes(cache: Cache) -> None:
    version = [0]
    release = threading.Event()
    refreshing = threading.Event()

    @cache.memoize(0.2, stale=30)
    def config() -> int:
        version[0] += 1
        if version[0] == 2:
            refreshing.set()
            assert release.wait(10)
        return version[0]

    assert config() == 1
    assert 200 < cache.pttl(config.key()) <= 30_200
    time.sleep(0.25)  # the value goes stale
    results: list[int] = []
    refresher = threading.Thread(target=lambda: results.append(config()))
    refresher.start()
    assert refreshing.wait(10)
    assert config() == 1  # stale, served while the refresher computes
    release.set()
    refresher.join()
    assert results == [2]
    assert config() == 2
    assert version[0] == 2


def test_without_stale_an_expired_value_is_recomputed(cache: Cache) -> None:
    calls: list[int] = []

    @cache.memoize(0.2)
    def value() -> int:
        calls.append(1)
        return len(calls)

    assert value() == 1
    assert 0 < cache.pttl(value.key()) <= 200
    time.sleep(0.25)
    assert value() == 2


def test_lock_off(cache: Cache) -> None:
    @cache.memoize(60, lock=False)
    def value() -> int:
        return 5

    assert value() == 5
    assert value() == 5


def test_function_form_and_default_timeout(valkey_url: str) -> None:
    cache = Cache(valkey_url, key_prefix="memo", timeout=0.5)

    @memoize(cache)
    def value() -> int:
        return 5

    assert value() == 5
    assert 0 < cache.pttl(value.key()) <= 500

    @memoize(cache, None)
    def forever() -> int:
        return 6

    assert forever() == 6
    assert cache.get(forever.key()) == [6, None]
    assert cache.ttl(forever.key()) is None


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"timeout": "60"}, "timeout='60' is not valid: expected a finite number of seconds > 0 or None"),
        ({"timeout": 0}, "timeout=0 is not valid"),
        ({"stale": -1}, "stale=-1 is not valid"),
        ({"timeout": None, "stale": 5}, "stale=5 is not valid: expected None when timeout is None"),
        ({"stale": 5, "lock": False}, "stale=5 is not valid: expected None when lock=False"),
        ({"lock_timeout": None}, "lock_timeout=None is not valid: expected a finite number of seconds > 0"),
        ({"lock": "yes"}, "lock='yes' is not valid: expected True or False"),
        ({"name": ""}, "name='' is not valid"),
        ({"key": "user"}, "key='user' is not valid: expected a callable"),
    ],
)
def test_bad_options(cache: Cache, options: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigurationError, match=message.replace("(", r"\(")):
        cache.memoize(**options)


def test_sync_function_with_async_cache_is_a_type_error(valkey_url: str) -> None:
    acache = AsyncCache(valkey_url)
    with pytest.raises(TypeError, match=r"regular function but the methods of AsyncCache are coroutines"):

        @acache.memoize(60)
        def f() -> int:
            return 1


def test_async_function_with_sync_cache_is_a_type_error(cache: Cache) -> None:
    with pytest.raises(TypeError, match=r"coroutine function but Cache has no async"):

        @cache.memoize(60)
        async def f() -> int:
            return 1


def test_generator_function_is_refused(cache: Cache) -> None:
    with pytest.raises(TypeError, match="generator function"):

        @cache.memoize(60)
        def f() -> Any:
            yield 1


# -- async ----------------------------------------------------------------------


@pytest.mark.anyio
async def test_async_tasks_share_one_computation(acache: AsyncCache) -> None:
    calls: list[int] = []

    @acache.memoize(60)
    async def slow(x: int) -> int:
        calls.append(x)
        await asyncio.sleep(SLOW)
        return x + 1

    results = await asyncio.gather(*(slow(41) for _ in range(THREADS)))
    assert calls == [41]
    assert results == [42] * THREADS
    assert await acache.get(slow.key(41) + ":lock") is None
    assert await slow(41) == 42
    assert calls == [41]


@pytest.mark.anyio
async def test_async_none_delete_refresh(acache: AsyncCache) -> None:
    calls: list[int] = []

    @acache.memoize(60)
    async def nothing(x: int) -> None:
        calls.append(x)

    assert await nothing(1) is None
    assert await nothing(x=1) is None
    assert calls == [1]
    assert await nothing.refresh(1) is None
    assert calls == [1, 1]
    assert await nothing.delete(1) is True
    assert await nothing.delete(1) is False
    assert await nothing(1) is None
    assert calls == [1, 1, 1]
    assert nothing.key(1) == nothing.key(x=1)


@pytest.mark.anyio
async def test_async_exception_frees_the_lock(acache: AsyncCache) -> None:
    calls: list[int] = []

    @acache.memoize(60)
    async def flaky() -> str:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("boom")
        return "ok"

    with pytest.raises(RuntimeError, match="boom"):
        await flaky()
    assert await acache.get(flaky.key() + ":lock") is None
    assert await acache.get(flaky.key()) is None
    assert await flaky() == "ok"
    assert await flaky() == "ok"
    assert calls == [1, 1]


@pytest.mark.anyio
async def test_async_stale(acache: AsyncCache) -> None:
    version = [0]
    release = asyncio.Event()
    refreshing = asyncio.Event()

    @acache.memoize(0.2, stale=30)
    async def config() -> int:
        version[0] += 1
        if version[0] == 2:
            refreshing.set()
            await release.wait()
        return version[0]

    assert await config() == 1
    await asyncio.sleep(0.25)
    refresher = asyncio.ensure_future(config())
    await refreshing.wait()
    assert await config() == 1
    release.set()
    assert await refresher == 2
    assert await config() == 2


# -- keys across processes -------------------------------------------------------

ARGS_SOURCE = """
import datetime, decimal, http, uuid
ARGS = (
    [{"x", "y", "z", "longer string"}, ["é", b"\\x00\\xff", 2.5, -(10**40), None, True, (1, (2, 3))],
     decimal.Decimal("1.10"), uuid.UUID("12345678-1234-5678-1234-567812345678")],
    {"c": datetime.datetime(2024, 5, 6, 7, 8, 9, 10, tzinfo=datetime.timezone.utc),
     "when": datetime.date(2024, 1, 2), "status": http.HTTPStatus.OK,
     "nested": {"b": frozenset({"p", "q"}), "a": {1: "one", "2": "two"}}},
)
"""
KEY_SCRIPT = (
    ARGS_SOURCE
    + """
from valkey_cache.core import Cache
from valkey_cache.core.memoize import memoize

@memoize(Cache("valkey://127.0.0.1:1"), 60, name="stability")
def f(a, b=None, *args, c=2, **kwargs):
    return a

print(f.key(*ARGS[0], **ARGS[1]))
"""
)


def test_key_is_stable_across_processes() -> None:
    keys = []
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        done = subprocess.run(
            [sys.executable, "-c", KEY_SCRIPT],
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        keys.append(done.stdout.strip())

    @memoize(Cache("valkey://127.0.0.1:1"), 60, name="stability")
    def f(a: Any, b: Any = None, *args: Any, c: Any = 2, **kwargs: Any) -> Any:
        return a

    namespace: dict[str, Any] = {}
    exec(ARGS_SOURCE, namespace)
    args, kwargs = namespace["ARGS"]
    assert keys[0] == keys[1] == f.key(*args, **kwargs)
    assert keys[0].startswith("memoize:stability:")
    # The encoding is a compatibility promise: a change invalidates every stored entry.
    assert f.key(1, "two", c=[3.0]) == "memoize:stability:" + GOLDEN_DIGEST


GOLDEN_DIGEST = "02a0003c3662ccdf677dcf4683e312d9"


# -- Django --------------------------------------------------------------------------

DJANGO_SCRIPT = """
import asyncio, json, sys
from django.conf import settings
BACKEND = "django_valkey.cache.ValkeyCache"
settings.configure(CACHES={"default": {"BACKEND": BACKEND, "LOCATION": sys.argv[1]}})
import django
django.setup()
from django.core.cache import cache, caches
from valkey_cache.core.memoize import memoize

calls = []

@memoize(cache, 60)
def double(x):
    calls.append(x)
    return None if x == 0 else x * 2

@memoize(cache, 60)
async def triple(x):
    calls.append(x)
    return x * 3

async def run_async():
    first = await asyncio.gather(*(triple(5) for _ in range(4)))
    return first + [await triple.refresh(5), await triple.delete(5), await triple.delete(5)]

results = [double(2), double(x=2), double(0), double(0), double.delete(2)]
results += asyncio.run(run_async())
print(json.dumps({"results": results, "calls": calls, "type": type(caches["default"]).__name__}))
"""


def test_django_valkey_cache(valkey_url: str) -> None:
    done = subprocess.run(
        [sys.executable, "-c", DJANGO_SCRIPT, valkey_url],
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["type"] == "ValkeyCache"
    assert report["results"] == [4, 4, None, None, True, 15, 15, 15, 15, 15, True, False]
    assert report["calls"] == [2, 0, 5, 5]
