"""NEAR_CACHE: local copies kept coherent through CLIENT TRACKING, against real servers."""

from __future__ import annotations

import asyncio
import logging
import os
import pickle
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import pytest
import valkey
from nearcache import settle, wait_until

from valkey_cache.core import AsyncCache, Cache
from valkey_cache.core.client import DefaultClient
from valkey_cache.core.embedded import EmbeddedSentinel, EmbeddedServer
from valkey_cache.core.exceptions import ConfigurationError, PermissionDenied

MODES = ("bcast", "optin")


def near(url: str, mode: str = "bcast", **options: Any) -> Cache:
    settings = {"MODE": mode, **options.pop("near", {})}
    cache = Cache(url, key_prefix="app", near_cache=settings, **options)
    assert cache.near_cache.wait_ready()
    return cache


@pytest.fixture(params=MODES)
def cache(request: pytest.FixtureRequest, valkey_url: str) -> Iterator[Cache]:
    made = near(valkey_url, request.param)
    yield made
    made.near_cache.close()


def stats(cache: Any) -> dict[str, Any]:
    result = cache.near_cache_stats()
    assert result is not None
    return result


def warm(cache: Cache, key: str) -> Any:
    """Read ``key`` until its local copy is in place (the push for this cache's own
    write, arriving after the read, may drop the first copy)."""
    nkey = cache.make_key(key)
    wait_until(
        lambda: cache.get(key) is not None and nkey in cache.near_cache.store._entries, f"{key} cached"
    )
    return cache.near_cache.store._entries[nkey]


def raw_set(raw: valkey.Valkey, cache: Cache, key: str, value: Any) -> None:
    raw.set(cache.make_key(key), pickle.dumps(value))


# -- options ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "named"),
    [
        ("yes", "NEAR_CACHE"),
        ({"MAX_ENTRIES": 0}, "MAX_ENTRIES"),
        ({"MAX_BYTES": "big"}, "MAX_BYTES"),
        ({"TTL": -1}, "TTL"),
        ({"TTL": float("inf")}, "TTL"),
        ({"MODE": "push"}, "MODE"),
        ({"SIZE": 3}, "SIZE"),
    ],
)
def test_bad_options_name_the_option(value: Any, named: str) -> None:
    with pytest.raises(ConfigurationError, match=named):
        Cache("valkey://127.0.0.1:1/0", near_cache=value)


def test_off_by_default_and_the_client_class_untouched(valkey_url: str) -> None:
    plain = Cache(valkey_url)
    assert plain.near_cache is None
    assert plain.near_cache_stats() is None
    assert type(plain.client) is DefaultClient


# -- serving and coherence ----------------------------------------------------------------


def test_hits_are_served_locally_and_isolated(cache: Cache) -> None:
    cache.set("a", [1, 2])
    warm(cache, "a")
    first = cache.get("a")
    first.append(3)
    assert cache.get("a") == [1, 2]
    assert cache.has_key("a")
    assert not cache.has_key("nope")
    assert cache.get_many(["a", "nope"]) == {"a": [1, 2]}
    counted = stats(cache)
    assert counted["hits"] >= 3
    assert counted["entries"] >= 2
    assert counted["active"]


def test_get_many_sends_only_the_misses(cache: Cache, raw_valkey: valkey.Valkey) -> None:
    cache.set_many({"x": 1, "y": 2, "z": 3})
    settle(cache, raw_valkey)
    for key in ("x", "y", "z"):
        warm(cache, key)
    cache.near_cache.drop(cache.make_key("y"))
    cache.near_cache.drop(cache.make_key("z"))
    before = stats(cache)
    assert cache.get_many(["x", "y", "z"]) == {"x": 1, "y": 2, "z": 3}
    after = stats(cache)
    assert after["hits"] - before["hits"] == 1
    assert after["misses"] - before["misses"] == 2
    assert cache.get_many(["x", "y", "z"]) == {"x": 1, "y": 2, "z": 3}
    assert stats(cache)["hits"] - after["hits"] == 3


def test_another_writer_invalidates(cache: Cache, raw_valkey: valkey.Valkey) -> None:
    cache.set("k", "old")
    assert cache.get("k") == "old"
    raw_set(raw_valkey, cache, "k", "new")
    wait_until(lambda: cache.get("k") == "new", "the other writer's value")
    raw_valkey.delete(cache.make_key("k"))
    wait_until(lambda: cache.get("k") is None, "the other writer's delete")


def test_misses_are_cached_and_invalidated(cache: Cache, raw_valkey: valkey.Valkey) -> None:
    assert cache.get("m", "dflt") == "dflt"
    before = stats(cache)["hits"]
    assert cache.get("m") is None
    assert not cache.has_key("m")
    assert stats(cache)["hits"] == before + 2
    raw_set(raw_valkey, cache, "m", 5)
    wait_until(lambda: cache.get("m") == 5, "the key added by another writer")


def test_reads_its_own_writes(cache: Cache) -> None:
    def warm(*keys: str) -> None:
        for key in keys:
            cache.get(key)

    cache.set("a", 1)
    warm("a")
    cache.set("a", 2)
    assert cache.get("a") == 2
    cache.delete("a")
    assert cache.get("a") is None
    cache.set("n", 1)
    warm("n")
    cache.incr("n", 5)
    assert cache.get("n") == 6
    cache.set_many({"p": 1, "q": 2})
    warm("p", "q")
    cache.set_many({"p": 3, "q": 4})
    assert cache.get_many(["p", "q"]) == {"p": 3, "q": 4}
    cache.delete_many(["p", "q"])
    assert cache.get_many(["p", "q"]) == {}
    cache.set("t", 1)
    warm("t")
    cache.delete_pattern("t*")
    assert cache.get("t") is None
    cache.set("v", "one")
    warm("v")
    cache.incr_version("v")
    assert cache.get("v") is None
    assert cache.get("v", version=2) == "one"
    assert cache.add("new", "added")
    assert cache.get("new") == "added"
    assert cache.get_or_set("gos", "x") == "x"
    assert cache.get_or_set("gos", "y") == "x"
    cache.set("c", 1)
    warm("c")
    cache.clear()
    assert cache.get("c") is None


def test_expiry_bounded_by_the_server_ttl(cache: Cache) -> None:
    cache.set("short", "v", timeout=0.3)
    entry = warm(cache, "short")
    assert entry.expires - time.monotonic() <= 0.3
    wait_until(lambda: cache.get("short") is None, "the key to expire")


def test_local_ttl_option_bounds_entries(valkey_url: str) -> None:
    cache = near(valkey_url, near={"TTL": 0.05})
    try:
        cache.set("k", 1, timeout=None)
        entry = warm(cache, "k")
        assert entry.expires - time.monotonic() <= 0.05
        before = stats(cache)["misses"]
        wait_until(
            lambda: cache.get("k") == 1 and stats(cache)["misses"] > before, "the local copy to expire"
        )
    finally:
        cache.near_cache.close()


def test_flush_by_another_client_drops_everything(cache: Cache, raw_valkey: valkey.Valkey) -> None:
    cache.set_many({"a": 1, "b": 2})
    warm(cache, "a")
    warm(cache, "b")
    raw_valkey.flushall()
    wait_until(lambda: stats(cache)["entries"] == 0, "the flush to drop the entries")
    assert cache.get("a") is None


def test_herd_client_honours_the_packed_expiry(valkey_url: str, raw_valkey: valkey.Valkey) -> None:
    cache = near(valkey_url, client_class="valkey_cache.core.client.HerdClient")
    try:
        cache.set("h", "v", timeout=1)
        assert cache.get("h") == "v"
        assert cache.get("h") == "v"
        # Past its packed expiry the first reader gets a miss (to recompute it), even
        # though the server keeps the value HERD_TIMEOUT seconds longer.
        wait_until(lambda: cache.get("h") is None, "the herd expiry", timeout=4)
    finally:
        cache.near_cache.close()


# -- memory -------------------------------------------------------------------------------


def test_entries_bound_evicts_least_recently_used(valkey_url: str) -> None:
    # Written before the near cache subscribes, so no late push can drop a warmed
    # copy and every removal counted below is an eviction.
    Cache(valkey_url, key_prefix="app").set_many({f"k{i}": i for i in range(20)})
    cache = near(valkey_url, near={"MAX_ENTRIES": 5})
    try:
        for i in range(20):
            warm(cache, f"k{i}")
        warm(cache, "k15")
        warm(cache, "k0")
        counted = stats(cache)
        assert counted["entries"] == 5
        assert (counted["evictions"], counted["invalidations"]) == (16, 0)
        held = cache.near_cache.store._entries
        assert cache.make_key("k15") in held
        assert cache.make_key("k16") not in held
    finally:
        cache.near_cache.close()


def test_bytes_bound(valkey_url: str) -> None:
    # Written before the near cache subscribes, as above.
    Cache(valkey_url, key_prefix="app").set_many({f"b{i}": b"x" * 1000 for i in range(20)})
    cache = near(valkey_url, near={"MAX_BYTES": 4000})
    try:
        for i in range(20):
            assert cache.get(f"b{i}") == b"x" * 1000
        counted = stats(cache)
        assert counted["bytes"] <= 4000
        assert 1 <= counted["entries"] <= 3
        cache.set("huge", b"y" * 10_000)
        assert cache.get("huge") == b"y" * 10_000
        assert cache.make_key("huge") not in cache.near_cache.store._entries
    finally:
        cache.near_cache.close()


# -- losing the channel -------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_killed_listener_drops_and_recovers(
    mode: str, valkey_url: str, raw_valkey: valkey.Valkey, caplog: pytest.LogCaptureFixture
) -> None:
    cache = near(valkey_url, mode)
    try:
        cache.set("k", 1)
        cache.get("k")
        old_id = cache.near_cache.client_id
        with caplog.at_level(logging.WARNING, logger="valkey_cache"):
            raw_valkey.client_kill_filter(_id=old_id)
            wait_until(lambda: cache.near_cache.client_id not in (None, old_id), "a new listener")
            assert cache.near_cache.wait_ready()
        messages = [r.getMessage() for r in caplog.records]
        assert any("dropped" in m for m in messages)
        assert any("back on" in m for m in messages)
        raw_set(raw_valkey, cache, "k", 2)
        wait_until(lambda: cache.get("k") == 2, "the value written while tracking was off")
        assert cache.get("k") == 2
        raw_set(raw_valkey, cache, "k", 3)
        wait_until(lambda: cache.get("k") == 3, "tracking to work again")
    finally:
        cache.near_cache.close()


def test_server_restart_leaves_no_stale_copy(fresh_server: EmbeddedServer) -> None:
    cache = near(fresh_server.url)
    try:
        cache.set("k", "before")
        assert cache.get("k") == "before"
        fresh_server.restart()
        raw = fresh_server.client()
        raw.set(cache.make_key("k"), pickle.dumps("after"))

        def fresh_value() -> bool:
            try:
                return cache.get("k") == "after"
            except Exception:
                return False

        wait_until(fresh_value, "the restarted server's value")
        assert cache.near_cache.wait_ready()
        raw.set(cache.make_key("k"), pickle.dumps("again"))
        wait_until(fresh_value_is(cache, "again"), "tracking on the restarted server")
        raw.close()
    finally:
        cache.near_cache.close()


def fresh_value_is(cache: Cache, value: Any) -> Callable[[], bool]:
    return lambda: cache.get("k") == value


@pytest.mark.parametrize("mode", MODES)
def test_pure_python_parser(valkey_url: str, raw_valkey: valkey.Valkey, mode: str) -> None:
    cache = near(valkey_url, mode, parser_class="valkey._parsers._RESP2Parser")
    try:
        cache.set("k", 1)
        assert cache.get("k") == 1
        assert cache.get_many(["k", "absent"]) == {"k": 1}
        raw_set(raw_valkey, cache, "k", 2)
        wait_until(lambda: cache.get("k") == 2, "an invalidation read by the pure-Python parser")
    finally:
        cache.near_cache.close()


def test_pure_python_parser_async(valkey_url: str, raw_valkey: valkey.Valkey) -> None:
    # Its miss reads the PTTL reply through read_response (no libvalkey reader to ask).
    parser = "valkey._parsers._AsyncRESP2Parser"
    cache = AsyncCache(valkey_url, key_prefix="app", near_cache=True, parser_class=parser)
    nkey, entries = cache.make_key("k"), cache.near_cache.store._entries

    async def until(check: Callable[[], Awaitable[bool]], what: str) -> None:
        for _ in range(500):
            if await check():
                return
            await asyncio.sleep(0.01)
        raise AssertionError(what)

    async def cached() -> bool:
        return await cache.get("k") == 1 and nkey in entries

    async def fresh() -> bool:
        return await cache.get("k") == 2

    async def reads() -> None:
        await cache.set("k", 1, timeout=60)
        await until(cached, "the copy kept")
        assert 0 < entries[nkey].expires - time.monotonic() <= 60
        raw_set(raw_valkey, cache, "k", 2)
        await until(fresh, "the invalidation seen")

    try:
        assert cache.near_cache.wait_ready()
        asyncio.run(reads())
    finally:
        cache.near_cache.close()


def test_forked_child_starts_empty(cache: Cache) -> None:
    cache.set("k", 1)
    warm(cache, "k")
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        try:
            os.close(read_end)
            counted = cache.near_cache_stats() or {}
            ok = counted.get("entries") == 0 and cache.get("k") == 1
            os.write(write_end, b"1" if ok else b"0")
        finally:
            os._exit(0)
    os.close(write_end)
    answer = os.read(read_end, 1)
    os.close(read_end)
    os.waitpid(pid, 0)
    assert answer == b"1"


# -- races ----------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_race_own_writes_are_never_lost(mode: str, valkey_url: str) -> None:
    """Readers racing a writer through the same cache: a read never returns a version
    older than the last one acknowledged before it started."""
    cache = near(valkey_url, mode)
    keys = [f"hot{i}" for i in range(3)]
    acked = dict.fromkeys(keys, 0)
    for key in keys:
        cache.set(key, 0)
    stop = threading.Event()
    errors: list[str] = []

    def writer() -> None:
        for version in range(1, 201):
            for key in keys:
                cache.set(key, version)
                acked[key] = version
        stop.set()

    def reader() -> None:
        while not stop.is_set():
            for key in keys:
                floor = acked[key]
                got = cache.get(key)
                if got < floor:
                    errors.append(f"{key}: read {got} after {floor} was acknowledged")

    threads = [threading.Thread(target=writer)] + [threading.Thread(target=reader) for _ in range(3)]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        assert not errors, errors[:5]
        assert all(cache.get(key) == 200 for key in keys)
    finally:
        cache.near_cache.close()


@pytest.mark.parametrize("mode", MODES)
def test_race_other_writer_within_the_invalidation_bound(mode: str, valkey_url: str) -> None:
    """An independent writer: every read is the latest acknowledged version or one
    acknowledged within the invalidation bound before it; at the end, no stale copy."""
    cache = near(valkey_url, mode)
    raw = valkey.Valkey.from_url(valkey_url)
    keys = [f"hot{i}" for i in range(3)]
    nkeys = {key: cache.make_key(key) for key in keys}
    # The bound: the slowest of a few measured invalidations, with a wide margin.
    delays = []
    for i in range(20):
        raw.set(nkeys["hot0"], pickle.dumps(-1 - i))
        cache.get("hot0")
        start = time.monotonic()
        raw.set(nkeys["hot0"], pickle.dumps(0))
        wait_until(lambda: cache.make_key("hot0") not in cache.near_cache.store._entries, "an invalidation")
        delays.append(time.monotonic() - start)
    bound = max(0.5, 20 * max(delays))
    history: dict[str, list[tuple[float, int]]] = {key: [(0.0, 0)] for key in keys}
    for key in keys:
        raw.set(nkeys[key], pickle.dumps(0))
    stop = threading.Event()
    reads: list[tuple[str, float, int]] = []

    def writer() -> None:
        for version in range(1, 201):
            for key in keys:
                raw.set(nkeys[key], pickle.dumps(version))
                history[key].append((time.monotonic(), version))
        stop.set()

    def reader() -> None:
        local: list[tuple[str, float, int]] = []
        while not stop.is_set():
            for key in keys:
                local.append((key, time.monotonic(), cache.get(key)))
        reads.extend(local)

    threads = [threading.Thread(target=writer)] + [threading.Thread(target=reader) for _ in range(3)]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        for key, started, got in reads:
            floor = max(v for acked_at, v in history[key] if acked_at <= started - bound)
            assert got >= floor, f"{key}: read {got} at {started}, {floor} acknowledged {bound}s before"
        for key in keys:
            wait_until(lambda key=key: cache.get(key) == 200, f"{key} to converge")  # type: ignore[misc]
    finally:
        raw.close()
        cache.near_cache.close()


# -- asyncio -------------------------------------------------------------------------------


@pytest.mark.anyio
@pytest.mark.parametrize("mode", MODES)
async def test_async_cache(mode: str, valkey_url: str, raw_valkey: valkey.Valkey) -> None:
    cache = AsyncCache(valkey_url, key_prefix="app", near_cache={"MODE": mode})
    try:
        assert cache.near_cache.wait_ready()
        await cache.set("a", [1])
        # As settle() does: once a marker written after the set is dropped, the push for
        # the set is in, and a copy of "a" made now stays.
        held = cache.near_cache.store._entries
        marker = cache.make_key("marker")
        deadline = time.monotonic() + 5
        while not (await cache.get("marker") is None and marker in held):
            assert time.monotonic() < deadline, "the marker cached"
        raw_valkey.set(marker, pickle.dumps(0))
        while marker in held:
            assert time.monotonic() < deadline, "the marker's invalidation"
            await asyncio.sleep(0.002)
        assert await cache.get("a") == [1]
        before = stats(cache)["hits"]
        assert await cache.get("a") == [1]
        assert await cache.has_key("a")
        assert await cache.get_many(["a", "b"]) == {"a": [1]}
        assert stats(cache)["hits"] - before == 3
        await cache.set("a", [2])
        assert await cache.get("a") == [2]
        await cache.delete("a")
        assert await cache.get("a") is None
        assert await cache.get_or_set("g", 1) == 1
        raw_set(raw_valkey, cache, "g", 2)  # type: ignore[arg-type]
        deadline = time.monotonic() + 5
        while await cache.get("g") != 2:
            assert time.monotonic() < deadline, "the other writer's value"
        assert await cache.client.aget("g") == 2
    finally:
        cache.near_cache.close()


# -- sentinel ------------------------------------------------------------------------------


def sentinel_cache(topology: EmbeddedSentinel) -> Cache:
    cache = Cache(
        f"valkey://{topology.service_name}/0",
        key_prefix="s",
        client_class="valkey_cache.core.client.SentinelClient",
        sentinels=topology.sentinels,
        near_cache=True,
    )
    assert cache.near_cache.wait_ready()
    return cache


def test_sentinel_with_a_replica_location_fills_from_the_master(valkey_sentinel: EmbeddedSentinel) -> None:
    service = valkey_sentinel.service_name
    cache = Cache(
        [f"valkey://{service}/0", f"valkey://{service}/0?is_master=0"],
        key_prefix="sr",
        client_class="valkey_cache.core.client.SentinelClient",
        sentinels=valkey_sentinel.sentinels,
        near_cache=True,
    )
    master = valkey_sentinel.current_master_server().client()
    try:
        assert cache.near_cache.wait_ready()
        assert len(cache.near_cache.listeners) == 1
        cache.set("k", 1)
        settle(cache, master)
        warm(cache, "k")
        master.set(cache.make_key("k"), pickle.dumps(2))
        wait_until(lambda: cache.get("k") == 2, "the master's invalidation")
    finally:
        master.close()
        cache.near_cache.close()


def test_sentinel_tracks_the_master(valkey_sentinel: EmbeddedSentinel) -> None:
    cache = sentinel_cache(valkey_sentinel)
    master = valkey_sentinel.current_master_server().client()
    try:
        cache.set("k", 1)
        settle(cache, master)
        warm(cache, "k")
        assert cache.get("k") == 1
        assert stats(cache)["hits"] >= 1
        master.set(cache.make_key("k"), pickle.dumps(2))
        wait_until(lambda: cache.get("k") == 2, "the master's invalidation")
    finally:
        master.close()
        cache.near_cache.close()


@pytest.mark.slow
def test_sentinel_failover_drops_the_copies(fresh_sentinel: EmbeddedSentinel) -> None:
    cache = sentinel_cache(fresh_sentinel)
    old = fresh_sentinel.current_master()
    try:
        cache.set("k", "before")
        assert cache.get("k") == "before"
        old_id = cache.near_cache.client_id
        sentinel = valkey.Valkey(*fresh_sentinel.sentinels[0])
        sentinel.execute_command("SENTINEL", "FAILOVER", fresh_sentinel.service_name)
        sentinel.close()
        fresh_sentinel.wait_for_failover(old)
        wait_until(
            lambda: cache.near_cache.client_id not in (None, old_id), "a listener on the new master", 10
        )
        new_master = fresh_sentinel.current_master_server().client()
        new_master.set(cache.make_key("k"), pickle.dumps("after"))
        new_master.close()

        def current() -> bool:
            try:
                return cache.get("k") == "after"
            except Exception:
                return False

        wait_until(current, "the new master's value", 10)
    finally:
        cache.near_cache.close()


# -- shards -----------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_shards_track_each_server(mode: str, valkey_url: str, fresh_server: EmbeddedServer) -> None:
    urls = [valkey_url, fresh_server.url]
    shard = "valkey_cache.core.client.ShardClient"
    names = [f"k{i}" for i in range(20)]
    # Written before the near cache subscribes: no late push for these writes can drop
    # a copy warmed below.
    Cache(urls, key_prefix="sh", client_class=shard).set_many(dict.fromkeys(names, 0))
    cache = Cache(urls, key_prefix="sh", client_class=shard, near_cache={"MODE": mode})
    raws = {url: valkey.Valkey.from_url(url) for url in urls}
    try:
        assert cache.near_cache.wait_ready()
        assert len(cache.near_cache.listeners) == 2
        placed = {cache.client.get_server_name(cache.make_key(n)) for n in names}
        assert placed == set(raws)
        held = cache.near_cache.store._entries
        wait_until(
            lambda: (
                cache.get_many(names) == dict.fromkeys(names, 0)
                and all(cache.make_key(n) in held for n in names)
            ),
            "every key cached",
        )
        before = stats(cache)["hits"]
        assert cache.get_many(names) == dict.fromkeys(names, 0)
        assert stats(cache)["hits"] - before == 20
        for name in names:
            nkey = cache.make_key(name)
            raws[cache.client.get_server_name(nkey)].set(nkey, pickle.dumps(1))
        wait_until(lambda: cache.get_many(names) == dict.fromkeys(names, 1), "every shard's invalidations")
        # Losing one shard's channel drops every copy, until it is back.
        second = cache.near_cache.listeners[1]
        old_id = second.client_id
        raws[fresh_server.url].client_kill_filter(_id=old_id)
        wait_until(lambda: second.client_id not in (None, old_id), "the second listener back")
        assert cache.near_cache.wait_ready()
        nkey = next(
            cache.make_key(n)
            for n in names
            if cache.client.get_server_name(cache.make_key(n)) == fresh_server.url
        )
        raws[fresh_server.url].set(nkey, pickle.dumps(2))
        wait_until(
            lambda: cache.get(cache.client.original_key(nkey)) == 2, "tracking on the second shard again"
        )
    finally:
        for raw in raws.values():
            raw.close()
        cache.near_cache.close()


def test_optin_caches_sharing_a_pool_stay_coherent(valkey_url: str, raw_valkey: valkey.Valkey) -> None:
    """Two OPTIN caches on one connection pool: neither takes over the other's tracking."""
    first = Cache(valkey_url, key_prefix="one", near_cache={"MODE": "optin"})
    second = Cache(valkey_url, key_prefix="two", near_cache={"MODE": "optin"})
    try:
        assert first.near_cache.wait_ready()
        assert second.near_cache.wait_ready()
        assert first.client.get_client().connection_pool is second.client.get_client().connection_pool
        for round_ in range(20):
            for cache in (first, second):
                raw_set(raw_valkey, cache, "k", round_)
                wait_until(lambda cache=cache, round_=round_: cache.get("k") == round_, "the new value")  # type: ignore[misc]
                cache.get("k")
        assert stats(first)["hits"] + stats(second)["hits"] > 0
    finally:
        first.near_cache.close()
        second.near_cache.close()


def test_ignore_exceptions_while_the_server_is_down(fresh_server: EmbeddedServer) -> None:
    cache = near(fresh_server.url, ignore_exceptions=True)
    try:
        cache.set("k", 1)
        fresh_server.stop()
        wait_until(lambda: not stats(cache)["active"], "the channel to be lost")
        assert cache.get("k", "fallback") == "fallback"
        assert cache.get_many(["k"]) == {}
        assert cache.set("k", 2) is False
    finally:
        cache.near_cache.close()


def test_a_busy_channel_is_still_checked(valkey_url: str, raw_valkey: valkey.Valkey) -> None:
    """Whether the server is still the one to track (Sentinel, cluster) is asked once a
    ping interval even while invalidations keep the channel from ever going quiet."""
    cache = near(valkey_url)
    try:
        listener = cache.near_cache.listeners[0]
        asked: list[float] = []
        listener._still_current = lambda conn: asked.append(time.monotonic()) is None
        listener.ping_interval = 0.05
        nkey = cache.make_key("busy")
        stop = time.monotonic() + 1.0
        while time.monotonic() < stop:
            raw_valkey.set(nkey, b"x")  # each write is a push on the channel
        assert len(asked) >= 5, asked
    finally:
        cache.near_cache.close()


def test_shard_get_many_goes_on_without_a_dead_server(valkey_url: str, fresh_server: EmbeddedServer) -> None:
    """Under IGNORE_EXCEPTIONS only the dead server's keys miss, as without a near cache."""
    cache = Cache(
        [valkey_url, fresh_server.url],
        key_prefix="sd",
        client_class="valkey_cache.core.client.ShardClient",
        near_cache=True,
        ignore_exceptions=True,
        socket_connect_timeout=0.5,
        socket_timeout=0.5,
    )
    try:
        assert cache.near_cache.wait_ready()
        names = [f"k{i}" for i in range(20)]
        assert cache.set_many(dict.fromkeys(names, 1)) == []
        live = [n for n in names if cache.client.get_server_name(cache.make_key(n)) == valkey_url]
        assert 0 < len(live) < len(names)
        assert cache.get_many(names) == dict.fromkeys(names, 1)
        fresh_server.stop()
        assert cache.get_many(names) == dict.fromkeys(live, 1)
    finally:
        cache.near_cache.close()


# -- replicas -------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_replica_reads_are_tracked_on_the_replica(mode: str, valkey_sentinel: EmbeddedSentinel) -> None:
    """LOCATION [primary, replica]: fills read from the replica, whose listener reports
    the writes it replicates."""
    primary = valkey_sentinel.current_master_server()
    (replica,) = [node for node in valkey_sentinel.data_nodes if node.port != primary.port]
    cache = Cache([primary.url, replica.url], key_prefix="rep", near_cache={"MODE": mode})
    writer = valkey.Valkey.from_url(primary.url)
    on_replica = valkey.Valkey.from_url(replica.url)
    try:
        assert cache.near_cache.wait_ready()
        assert [listener.server for listener in cache.near_cache.listeners] == [primary.url, replica.url]
        nkey = cache.make_key("k")
        pttl_calls = on_replica.info("commandstats").get("cmdstat_pttl", {}).get("calls", 0)
        writer.set(nkey, pickle.dumps(1))
        held = cache.near_cache.store._entries
        wait_until(lambda: cache.get("k") == 1 and nkey in held, "a copy filled from the replica")
        assert on_replica.info("commandstats")["cmdstat_pttl"]["calls"] > pttl_calls
        writer.set(nkey, pickle.dumps(2))
        wait_until(lambda: cache.get("k") == 2, "the replica's invalidation")
        writer.delete(nkey)
        wait_until(lambda: cache.get("k") is None, "the replicated delete")
    finally:
        cache.near_cache.close()
        writer.close()
        on_replica.close()


@pytest.mark.anyio
async def test_async_replica_reads_are_tracked_on_the_replica(valkey_sentinel: EmbeddedSentinel) -> None:
    primary = valkey_sentinel.current_master_server()
    (replica,) = [node for node in valkey_sentinel.data_nodes if node.port != primary.port]
    cache = AsyncCache([primary.url, replica.url], key_prefix="arep", near_cache={"MODE": "optin"})
    writer = valkey.Valkey.from_url(primary.url)
    on_replica = valkey.Valkey.from_url(replica.url)
    try:
        assert cache.near_cache.wait_ready()
        nkey = cache.make_key("k")
        pttl_calls = on_replica.info("commandstats").get("cmdstat_pttl", {}).get("calls", 0)
        writer.set(nkey, pickle.dumps(1))
        held = cache.near_cache.store._entries
        deadline = time.monotonic() + 5
        while not (await cache.get("k") == 1 and nkey in held):
            assert time.monotonic() < deadline, "a copy filled from the replica"
            await asyncio.sleep(0.002)
        assert on_replica.info("commandstats")["cmdstat_pttl"]["calls"] > pttl_calls
        writer.set(nkey, pickle.dumps(2))
        while await cache.get("k") != 2:
            assert time.monotonic() < deadline, "the replica's invalidation"
            await asyncio.sleep(0.002)
    finally:
        cache.near_cache.close()
        writer.close()
        on_replica.close()


def test_a_refused_pttl_fails_the_read_and_keeps_nothing(valkey_url: str, raw_valkey: valkey.Valkey) -> None:
    # A miss reads the PTTL reply from the parser directly: an error reply there must
    # still be raised, and the connection not reused with a reply left unread.
    user, password = "nopttl", "nopttl-secret"
    raw_valkey.execute_command(
        "ACL", "SETUSER", user, "reset", "on", f">{password}", "~*", "&*", "+@all", "-pttl"
    )
    url = valkey_url.replace("valkey://", f"valkey://{user}:{password}@")
    sync_cache = near(url)
    async_cache = AsyncCache(url, key_prefix="app", near_cache=True)
    try:
        sync_cache.set("k", 1)
        for _ in range(2):
            with pytest.raises(PermissionDenied, match="pttl"):
                sync_cache.get("k")
        assert async_cache.near_cache.wait_ready()

        async def reads() -> None:
            for _ in range(2):
                with pytest.raises(PermissionDenied, match="pttl"):
                    await async_cache.get("k")

        asyncio.run(reads())
        assert stats(sync_cache)["entries"] == stats(async_cache)["entries"] == 0
        raw_valkey.execute_command("ACL", "SETUSER", user, "+pttl")
        assert sync_cache.get("k") == 1
    finally:
        sync_cache.near_cache.close()
        async_cache.near_cache.close()
        raw_valkey.execute_command("ACL", "DELUSER", user)


def test_an_error_reply_to_the_read_leaves_no_reply_behind(
    valkey_url: str, raw_valkey: valkey.Valkey
) -> None:
    # A miss writes GET and PTTL at once: when the GET's reply is an error, the PTTL
    # reply is still unread, and the next read on that connection must not take it for
    # its own (the fill disconnects; valkey-py's pool also checks for unread data).
    sync_cache = near(valkey_url)
    async_cache = AsyncCache(valkey_url, key_prefix="app", near_cache=True)
    raw_valkey.rpush(sync_cache.make_key("list"), b"x")
    raw_set(raw_valkey, sync_cache, "k", "value")
    try:
        for _ in range(3):
            with pytest.raises(valkey.exceptions.ResponseError, match="WRONGTYPE"):
                sync_cache.get("list")
            assert sync_cache.get("k") == "value"
        assert async_cache.near_cache.wait_ready()

        async def reads() -> None:
            for _ in range(3):
                with pytest.raises(valkey.exceptions.ResponseError, match="WRONGTYPE"):
                    await async_cache.get("list")
                assert await async_cache.get("k") == "value"

        asyncio.run(reads())
    finally:
        sync_cache.near_cache.close()
        async_cache.near_cache.close()
