"""Django's cache contract, kept as Django's own backends keep it, sync and async.

Each test runs four times (see ``django_helpers.MODES``): ValkeyCache's sync methods,
its native async ``a``-methods, and AsyncValkeyCache's ``a``-methods and un-prefixed
coroutines.
"""

from __future__ import annotations

import asyncio
import datetime
import decimal
import warnings
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import valkey
from django.core.cache.backends.base import DEFAULT_TIMEOUT, CacheKeyWarning
from django_helpers import (
    MODES,
    Api,
    Pickleable,
    custom_key_func,
    disconnect_loop_pools,
    identity_key_func,
)

from django_valkey.async_cache.cache import AsyncValkeyCache
from django_valkey.cache import ValkeyCache


@pytest.fixture(params=MODES)
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def loop() -> Iterator[asyncio.AbstractEventLoop]:
    loop = asyncio.new_event_loop()
    yield loop
    loop.run_until_complete(disconnect_loop_pools())
    loop.close()


@pytest.fixture
def make(mode: str, loop: asyncio.AbstractEventLoop, url: str) -> Callable[..., Api]:
    def make(**params: Any) -> Api:
        backend = ValkeyCache if mode in ("sync", "native") else AsyncValkeyCache
        return Api(backend(url, params), mode, loop)

    return make


@pytest.fixture
def cache(make: Callable[..., Api]) -> Api:
    return make()


# -- get / set / add / delete ----------------------------------------------------------


def test_set_and_get(cache: Api) -> None:
    cache.set("key", "value")
    assert cache.get("key") == "value"
    assert cache.get("missing") is None
    assert cache.get("missing", "default") == "default"


def test_stored_none_is_not_the_default(cache: Api) -> None:
    cache.set("none", None)
    assert cache.get("none", "default") is None
    assert cache.has_key("none") is True


def test_add_does_not_overwrite(cache: Api) -> None:
    assert cache.add("key", "first") is True
    assert cache.add("key", "second") is False
    assert cache.get("key") == "first"


def test_delete_returns_whether_the_key_existed(cache: Api) -> None:
    cache.set("key", 1)
    assert cache.delete("key") is True
    assert cache.delete("key") is False
    assert cache.get("key") is None


def test_has_key(cache: Api) -> None:
    cache.set("key", "value")
    assert cache.has_key("key") is True
    assert cache.has_key("missing") is False


def test_in_operator_on_the_sync_cache(make: Callable[..., Api], mode: str) -> None:
    if mode != "sync":
        pytest.skip("``in`` is a sync operator")
    api = make()
    api.set("key", 1)
    assert "key" in api.cache
    assert "missing" not in api.cache


def test_clear(cache: Api) -> None:
    cache.set_many({"a": 1, "b": 2})
    assert cache.clear() is True
    assert cache.get_many(["a", "b"]) == {}


def test_every_key_is_made_as_django_makes_it(make: Callable[..., Api], raw_valkey: Any) -> None:
    """0, "", False, 0.0 and None go through KEY_PREFIX and VERSION like any key."""
    from django.core.cache.backends.base import BaseCache

    raw = raw_valkey
    apis = {
        (prefix, version): make(KEY_PREFIX=prefix, VERSION=version)
        for prefix in ("site-a", "site-b")
        for version in (1, 2)
    }
    for key in (0, "", False, 0.0, None):
        for (prefix, version), api in apis.items():
            made = BaseCache({"KEY_PREFIX": prefix, "VERSION": version}).make_key(key)
            assert api.cache.make_key(key) == made
            api.set(key, f"{prefix}/{version}")
            assert raw.exists(made) == 1
        for (prefix, version), api in apis.items():
            assert api.get(key) == f"{prefix}/{version}"
            assert api.get_many([key]) == {key: f"{prefix}/{version}"}
        assert apis[("site-a", 1)].delete(key) is True
        assert apis[("site-b", 1)].get(key) == "site-b/1"
    for bare in ("0", "", "None", "False"):
        assert raw.exists(bare) == 0


# -- many ------------------------------------------------------------------------------


def test_get_many(cache: Api) -> None:
    cache.set_many({"a": "a", "c": "c", "d": "d"})
    assert cache.get_many(["a", "c", "d"]) == {"a": "a", "c": "c", "d": "d"}
    assert cache.get_many(["a", "b", "e"]) == {"a": "a"}
    assert cache.get_many(iter(["a", "b", "e"])) == {"a": "a"}
    assert cache.get_many(k for k in ("c", "x")) == {"c": "c"}
    assert cache.get_many([]) == {}


def test_set_many_returns_the_failed_keys(cache: Api) -> None:
    assert cache.set_many({"key1": "spam", "key2": "eggs"}) == []
    assert cache.get("key1") == "spam"
    assert cache.get("key2") == "eggs"
    assert cache.set_many({}) == []


def test_set_many_with_timeout(cache: Api, raw_valkey: valkey.Valkey) -> None:
    cache.set_many({"key1": "spam", "key2": "eggs"}, 100)
    assert 99_000 < raw_valkey.pttl(":1:key1") <= 100_000
    cache.set_many({"key1": "spam", "key2": "eggs"}, 0)
    assert cache.get_many(["key1", "key2"]) == {}


def test_delete_many(cache: Api) -> None:
    cache.set_many({"key1": 1, "key2": 2, "key3": 3})
    assert cache.delete_many([]) is None
    cache.delete_many(["key1", "key2"])
    assert cache.get_many(["key1", "key2", "key3"]) == {"key3": 3}
    cache.delete_many(iter(["key3"]))
    assert cache.get("key3") is None


# -- incr / decr -----------------------------------------------------------------------


def test_incr_and_decr(cache: Api) -> None:
    cache.set("answer", 41)
    assert cache.incr("answer") == 42
    assert cache.get("answer") == 42
    assert cache.incr("answer", 10) == 52
    assert cache.incr("answer", -10) == 42
    assert cache.decr("answer") == 41
    assert cache.decr("answer", 10) == 31
    assert cache.decr("answer", -10) == 41


def test_incr_and_decr_of_a_missing_key_raise_value_error(cache: Api) -> None:
    with pytest.raises(ValueError, match="not found"):
        cache.incr("missing")
    with pytest.raises(ValueError, match="not found"):
        cache.decr("missing")
    assert cache.get("missing") is None


def test_incr_beyond_64_bits(cache: Api) -> None:
    cache.set("big", 2**63 - 1)
    assert cache.incr("big") == 2**63
    assert cache.get("big") == 2**63


# -- expiry ----------------------------------------------------------------------------


def _ttl_ms(raw: valkey.Valkey, mode: str, key: str, version: int = 1) -> int:
    return int(raw.pttl(f":{version}:{key}"))


def test_default_timeout_comes_from_timeout_setting(
    make: Callable[..., Api], raw_valkey: valkey.Valkey, mode: str
) -> None:
    cache = make(TIMEOUT=60)
    cache.set("key", "value")
    assert 59_000 < _ttl_ms(raw_valkey, mode, "key") <= 60_000
    cache.set("key", "value", DEFAULT_TIMEOUT)
    assert 59_000 < _ttl_ms(raw_valkey, mode, "key") <= 60_000
    assert make().cache.default_timeout == 300


def test_none_timeout_never_expires(make: Callable[..., Api], raw_valkey: valkey.Valkey, mode: str) -> None:
    cache = make()
    cache.set("key", "value", None)
    assert _ttl_ms(raw_valkey, mode, "key") == -1
    cache.add("added", "value", None)
    assert _ttl_ms(raw_valkey, mode, "added") == -1
    forever = make(TIMEOUT=None)
    forever.set("default", "value")
    assert _ttl_ms(raw_valkey, mode, "default") == -1


def test_zero_and_negative_timeouts_do_not_store(cache: Api) -> None:
    cache.set("zero", "value", 0)
    assert cache.get("zero") is None
    cache.set("negative", "value", -1)
    assert cache.get("negative") is None
    cache.set("existing", "value")
    cache.set("existing", "value", 0)
    assert cache.has_key("existing") is False
    assert cache.add("added", "value", 0) is True
    assert cache.get("added") is None


def test_zero_default_timeout_stores_nothing(make: Callable[..., Api]) -> None:
    cache = make(TIMEOUT=0)
    cache.set("key", "value")
    assert cache.get("key") is None


def test_float_timeouts_keep_milliseconds(cache: Api, raw_valkey: valkey.Valkey, mode: str) -> None:
    cache.set("key", "value", 1.5)
    assert 1_000 < _ttl_ms(raw_valkey, mode, "key") <= 1_500


def test_touch(cache: Api, raw_valkey: valkey.Valkey, mode: str) -> None:
    cache.set("key", "value", 1)
    assert cache.touch("key", 100) is True
    assert 99_000 < _ttl_ms(raw_valkey, mode, "key") <= 100_000
    assert cache.touch("key") is True
    assert 299_000 < _ttl_ms(raw_valkey, mode, "key") <= 300_000
    assert cache.touch("key", None) is True
    assert _ttl_ms(raw_valkey, mode, "key") == -1
    assert cache.touch("missing") is False
    assert cache.touch("key", 0) is True
    assert cache.has_key("key") is False


# -- keys: prefix, version, key function -----------------------------------------------


def test_key_prefix_and_version_in_the_stored_key(
    make: Callable[..., Api], raw_valkey: valkey.Valkey
) -> None:
    cache = make(KEY_PREFIX="site", VERSION=3)
    cache.set("key", 7)
    assert raw_valkey.get("site:3:key") == b"7"
    assert cache.get("key") == 7
    assert cache.get("key", version=1) is None


def test_key_function_by_dotted_path_and_callable(
    make: Callable[..., Api], raw_valkey: valkey.Valkey
) -> None:
    by_path = make(KEY_FUNCTION="django_helpers.custom_key_func", KEY_PREFIX="p")
    by_path.set("key", 1)
    assert raw_valkey.get("CUSTOM-p-1-key") == b"1"
    by_callable = make(KEY_FUNCTION=custom_key_func, KEY_PREFIX="q")
    by_callable.set("key", 2)
    assert raw_valkey.get("CUSTOM-q-1-key") == b"2"
    assert by_callable.get("key") == 2


def test_versions(cache: Api) -> None:
    cache.set("answer", 42, version=2)
    assert cache.get("answer") is None
    assert cache.get("answer", version=2) == 42
    cache.set_many({"a": 1, "b": 2}, version=2)
    assert cache.get_many(["a", "b"]) == {}
    assert cache.get_many(["a", "b"], version=2) == {"a": 1, "b": 2}
    cache.delete_many(["a"], version=2)
    assert cache.get_many(["a", "b"], version=2) == {"b": 2}
    assert cache.has_key("b", version=2) is True
    assert cache.incr("b", version=2) == 3


def test_incr_and_decr_version(cache: Api) -> None:
    cache.set("answer", 42)
    assert cache.incr_version("answer") == 2
    assert cache.get("answer") is None
    assert cache.get("answer", version=2) == 42
    assert cache.incr_version("answer", 3, version=2) == 5
    assert cache.get("answer", version=5) == 42
    assert cache.decr_version("answer", version=5) == 4
    assert cache.decr_version("answer", 3, version=4) == 1
    assert cache.get("answer") == 42
    with pytest.raises(ValueError, match="not found"):
        cache.incr_version("missing")
    with pytest.raises(ValueError, match="not found"):
        cache.decr_version("missing")


def test_incr_version_carries_a_stored_none(cache: Api) -> None:
    cache.set("none", None)
    assert cache.incr_version("none") == 2
    assert cache.has_key("none") is False
    assert cache.has_key("none", version=2) is True
    assert cache.get("none", "default", version=2) is None
    assert cache.decr_version("none", version=2) == 1
    assert cache.get("none", "default") is None


# -- get_or_set ------------------------------------------------------------------------


def test_get_or_set(cache: Api) -> None:
    assert cache.get("projector") is None
    assert cache.get_or_set("projector", 42) == 42
    assert cache.get("projector") == 42
    assert cache.get_or_set("projector", 43) == 42


def test_get_or_set_stores_none(cache: Api) -> None:
    assert cache.get_or_set("null", None) is None
    assert cache.get("null", "default") is None
    assert cache.has_key("null") is True


def test_get_or_set_calls_a_callable_only_on_a_miss(cache: Api) -> None:
    calls: list[int] = []

    def compute() -> str:
        calls.append(1)
        return "computed"

    assert cache.get_or_set("lazy", compute) == "computed"
    assert cache.get_or_set("lazy", compute) == "computed"
    assert calls == [1]
    assert cache.get_or_set("none-callable", lambda: None) is None
    assert cache.has_key("none-callable") is True


def test_get_or_set_version_and_timeout(cache: Api, raw_valkey: valkey.Valkey, mode: str) -> None:
    assert cache.get_or_set("brian", 1979, version=2) == 1979
    assert cache.get("brian") is None
    assert cache.get("brian", version=2) == 1979
    cache.get_or_set("timed", "value", timeout=50)
    assert 49_000 < _ttl_ms(raw_valkey, mode, "timed") <= 50_000


# -- values ----------------------------------------------------------------------------


VALUES: list[Any] = [
    "string",
    "unicode: \u00e5\u00e4\u00f6 \u4e2d\u6587 \U0001f600",
    b"\x00\x01binary\xff",
    bytearray(b"\x00bytes"),
    42,
    -7,
    2**70,
    3.25,
    True,
    False,
    None,
    [1, "two", 3.0],
    (1, 2),
    {"nested": {"a": [1, 2]}},
    {1, 2, 3},
    frozenset({"x"}),
    decimal.Decimal("1.10"),
    datetime.datetime(2024, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc),
    datetime.date(2024, 1, 2),
    Pickleable({"x": 1}),
]


def test_values_round_trip(cache: Api) -> None:
    for index, value in enumerate(VALUES):
        cache.set(f"v{index}", value)
    for index, value in enumerate(VALUES):
        got = cache.get(f"v{index}")
        assert got == value
        assert type(got) is type(value)


def test_unicode_keys(cache: Api) -> None:
    data = {"ascii": "ascii_value", "unicode_ascii": "I\u00f1t\u00ebrn\u00e2ti\u00f4n"}
    data["I\u00f1t\u00ebrn\u00e2ti\u00f4n\u00e0liz\u00e6ti\u00f8n"] = "value"
    for key, value in data.items():
        cache.set(key, value)
        assert cache.get(key) == value
        assert cache.delete(key) is True
    cache.set_many(data)
    assert cache.get_many(list(data)) == data


def test_large_value(cache: Api) -> None:
    value = "x" * (8 * 1024 * 1024)
    cache.set("large", value)
    assert cache.get("large") == value


# -- key warnings ----------------------------------------------------------------------

OPERATIONS: list[tuple[str, Callable[[str], tuple[Any, ...]]]] = [
    ("add", lambda key: (key, 1)),
    ("get", lambda key: (key,)),
    ("set", lambda key: (key, 1)),
    ("incr", lambda key: (key,)),
    ("decr", lambda key: (key,)),
    ("touch", lambda key: (key,)),
    ("delete", lambda key: (key,)),
    ("get_many", lambda key: ([key, "b"],)),
    ("set_many", lambda key: ({key: 1, "b": 2},)),
    ("delete_many", lambda key: ([key, "b"],)),
]


@pytest.mark.parametrize(
    ("key", "message"),
    [
        (
            "key with spaces and \u6e05",
            "Cache key contains characters that will cause errors if used with memcached: {made!r}",
        ),
        ("a" * 251, "Cache key will cause errors if used with memcached: {made!r} (longer than 250)"),
    ],
)
@pytest.mark.parametrize("key_function", [identity_key_func, None], ids=["identity", "default"])
def test_memcached_unsafe_keys_warn(
    make: Callable[..., Api], key: str, message: str, key_function: Callable[..., str] | None
) -> None:
    # With Django's default key function the core makes the keys itself and hands them,
    # a batch at once, to Django's check (django_valkey.keyfunc.check_made_keys).
    cache = make(KEY_FUNCTION=key_function) if key_function else make()
    made = key if key_function else f":1:{key}"
    for operation, args in OPERATIONS:
        with pytest.warns(CacheKeyWarning) as record:
            getattr(cache, operation)(*args(key))
        messages = [str(w.message) for w in record]
        assert set(messages) == {message.format(made=made)}, operation
        # A batch warns once per unsafe key (the herd's touch makes its key twice).
        assert len(messages) == 1 or not operation.endswith("_many"), operation
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        cache.set_many({"safe-1": 1, "safe:2": 2})
        assert cache.get_many(["safe-1", "safe:2", "b"]) == {"safe-1": 1, "safe:2": 2}


def test_key_function_replaced_on_the_instance_is_used(make: Callable[..., Api]) -> None:
    # Django's own cache tests swap ``cache.key_func`` on a live cache.
    api = make()
    api.cache.key_func = identity_key_func
    with pytest.warns(CacheKeyWarning):
        api.set("a b", 1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        api.set("ab", 2)
    assert api.get("ab") == 2


def test_default_keys_do_not_warn(cache: Api) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        cache.set("normal:key-1", 1)
        assert cache.get("normal:key-1") == 1


def test_close_keeps_the_cache_usable(cache: Api) -> None:
    cache.set("key", 1)
    cache.close()
    assert cache.get("key") == 1
