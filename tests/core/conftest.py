"""Core fixtures: ``cache`` is a sync ``Cache`` in one run and an ``AsyncCache`` in the other."""

from __future__ import annotations

import pytest
from cachetest import EitherCache, make_cache


@pytest.fixture(params=["sync", "async"])
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def cache(kind: str, valkey_url: str) -> EitherCache:
    return make_cache(kind, valkey_url, key_prefix="test")
