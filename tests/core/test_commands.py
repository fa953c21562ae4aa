"""The whole command set against a real server, each test run for Cache and AsyncCache.

The tests are in ``tests/command_suite.py``, shared with tests/topologies.
"""

from __future__ import annotations

import pytest
from cachetest import make_cache
from command_suite import *  # noqa: F403
from command_suite import CacheFactory

pytestmark = pytest.mark.anyio


@pytest.fixture
def cache_factory(kind: str, valkey_url: str) -> CacheFactory:
    return lambda **options: make_cache(kind, valkey_url, **options)
