"""The cache's attributes stay fast to read after its first request and async call.

The clients read the cache's prefix, version and key function for every key. On
CPython 3.11 a read of an instance attribute is fastest when specialised as
``LOAD_ATTR_INSTANCE_VALUE``. Once the instance's ``__dict__`` was touched
(``functools.cached_property``, ``vars()``), reads go through the dict for the life of
the process (on the Django stub of ``benchmarks/django_cpu.py``, ``has_key`` went from
9,847 to 11,610 instructions after one ``close()``), and a property read is not
specialised at all. These tests look at what the interpreter specialised (``dis``,
adaptive), not at time.
"""

from __future__ import annotations

import asyncio
import sys

import pytest
from cachetest import specialised_reads

from django_valkey.cache import ValkeyCache

pytestmark = pytest.mark.skipif(
    sys.version_info[:2] != (3, 11), reason="the CPython 3.11 specialisation this guards"
)


def test_close_and_an_async_call_leave_the_cache_attributes_specialised(url: str) -> None:
    cache = ValkeyCache(url, {})
    cache.set("k", 1)
    cache.close()  # Django's request_finished signal calls it after every request
    loop = asyncio.new_event_loop()
    try:
        assert loop.run_until_complete(cache.aget("k")) == 1
        loop.run_until_complete(cache.aclose())
    finally:
        loop.close()
    assert specialised_reads(cache, "key_prefix", "version", "key_func") == {"LOAD_ATTR_INSTANCE_VALUE"}


def test_the_guard_sees_an_instance_whose_dict_was_touched(url: str) -> None:
    cache = ValkeyCache(url, {})
    vars(cache)
    assert "LOAD_ATTR_INSTANCE_VALUE" not in specialised_reads(cache, "key_prefix", "version", "key_func")
