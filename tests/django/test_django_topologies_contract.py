"""Django's cache contract on the herd, shard, sentinel and cluster topologies.

The tests of ``test_django_contract`` run here unchanged, each against a ``CACHES``
entry per topology (``django_topologies``) and in three of ``django_helpers.MODES``:
the sync backend's methods and native ``a``-methods, and the async backend's
``a``-methods. Only the fixtures differ: ``make`` builds the topology's
backend, ``raw_valkey`` reads from the server that holds the key.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import test_django_contract
from django_helpers import MODES, Api
from django_topologies import TOPOLOGIES, RawByKey, Topology, build_topology, close_loop_connections

# Collected here again, with this module's fixtures.
globals().update(
    {name: test for name, test in vars(test_django_contract).items() if name.startswith("test_")}
)

PACKED = "the herd stores values with a timeout packed with their expiry, as django-valkey 0.4 does"
SKIPS = {
    ("herd", "test_key_prefix_and_version_in_the_stored_key"): PACKED,
    ("herd", "test_key_function_by_dotted_path_and_callable"): PACKED,
}


@pytest.fixture(params=TOPOLOGIES)
def topology(request: pytest.FixtureRequest) -> Topology:
    reason = SKIPS.get((str(request.param), request.node.originalname))
    if reason:
        pytest.skip(reason)
    return build_topology(str(request.param), request)


# "async-plain" is left out: on AsyncValkeyCache the un-prefixed coroutines are the
# same client methods as the a-methods whatever the client, and test_django_contract
# covers them.
@pytest.fixture(params=[mode for mode in MODES if mode != "async-plain"])
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="module")
def loop() -> Iterator[asyncio.AbstractEventLoop]:
    """One event loop for the module: the async clients' connections are reused."""
    loop = asyncio.new_event_loop()
    yield loop
    loop.run_until_complete(close_loop_connections())
    loop.close()


@pytest.fixture
def make(mode: str, loop: asyncio.AbstractEventLoop, topology: Topology) -> Callable[..., Api]:
    kind = "sync" if mode in ("sync", "native") else "async"
    return lambda **params: Api(topology.cache(kind, **params), mode, loop)


@pytest.fixture
def cache(make: Callable[..., Api]) -> Api:
    return make()


@pytest.fixture
def raw_valkey(topology: Topology) -> Any:
    return RawByKey(topology)
