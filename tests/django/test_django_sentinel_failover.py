"""A Sentinel failover under a Django cache with IGNORE_EXCEPTIONS: no error surfaces."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
from django_topologies import Topology, close_loop_connections

from valkey_cache.core.embedded import EmbeddedSentinel


@pytest.mark.slow
@pytest.mark.timeout(60)
def test_failover_with_ignore_exceptions_surfaces_no_error(fresh_sentinel: EmbeddedSentinel) -> None:
    topology = Topology(
        "sentinel",
        f"valkey://{fresh_sentinel.service_name}/0",
        lambda: None,
        {"SENTINELS": fresh_sentinel.sentinels, "SOCKET_TIMEOUT": 1, "SOCKET_CONNECT_TIMEOUT": 1},
    )
    options = {"IGNORE_EXCEPTIONS": True}
    sync = topology.cache("sync", OPTIONS=options)
    asynchronous = topology.cache("async", OPTIONS=options)
    loop = asyncio.new_event_loop()
    # The sync backend's methods and native a-methods, and the async backend's.
    calls: dict[str, tuple[Any, Any]] = {
        "sync": (sync.set, sync.get),
        "native": (sync.aset, sync.aget),
        "async": (asynchronous.aset, asynchronous.aget),
    }

    def run(result: Any) -> Any:
        return loop.run_until_complete(result) if asyncio.iscoroutine(result) else result

    try:
        for name, (set_, get) in calls.items():
            assert run(set_("before", name)) is True
            assert run(get("before")) == name
        old_master = fresh_sentinel.master
        started = time.monotonic()
        old_master.kill()
        recovered: dict[str, float] = {}
        while len(recovered) < len(calls):
            elapsed = time.monotonic() - started
            assert elapsed < 25, f"not recovered after {elapsed:.1f}s: {recovered}"
            for name, (set_, get) in calls.items():
                # Any exception here fails the test: misses and failed writes only.
                stored = run(set_(f"key-{name}", elapsed))
                value = run(get(f"key-{name}", "missed"))
                if name not in recovered and stored is True and value == elapsed:
                    recovered[name] = elapsed
            time.sleep(0.05)
        new_master = fresh_sentinel.current_master_server()
        assert new_master is not old_master
        assert new_master.execute("EXISTS", ":1:key-sync", ":1:key-native", ":1:key-async") == 3
    finally:
        loop.run_until_complete(close_loop_connections())
        loop.close()
