"""Property tests (hypothesis) against a real server: values over every serializer x
compressor pair, and keys over prefixes and versions.

A value either round-trips exactly (equal, with the same types all the way down) or
``set`` raises an error naming the value's type; never a crash on ``get`` or a wrong
value. Each pair has one cache for the module; examples are bounded to keep the file fast.
"""

from __future__ import annotations

import datetime
import itertools
import pickle
import uuid
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from compressors.helpers import COMPRESSORS, CORE_IDENTITY
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from serializers.values import SERIALIZERS

from valkey_cache.core import Cache, SerializerError
from valkey_cache.core.embedded import EmbeddedServer

PAIRS = list(itertools.product(SERIALIZERS, ["identity", *COMPRESSORS]))
BOUNDED = settings(
    max_examples=25, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

# -- value strategies: what tests/serializers/values.py says each serializer round-trips --

TAG_KEY = "$vc"
texts = st.text(max_size=40)
#: Dict keys, with the JSON tag key drawn often enough to matter.
str_keys = st.one_of(texts, st.just(TAG_KEY))
finite_floats = st.floats(allow_nan=False, allow_infinity=False)
json_leaves = st.one_of(st.none(), st.booleans(), st.integers(), finite_floats, texts)
#: orjson, msgpack and msgspec encode nested ints of 64 bits at most (a bigger one is a
#: SerializerError; top-level ints of any size are stored as text and never serialized).
int64 = st.integers(-(2**63), 2**63 - 1)
int64_leaves = st.one_of(st.none(), st.booleans(), int64, finite_floats, texts)

offsets = st.integers(-23 * 60 - 59, 23 * 60 + 59).map(
    lambda minutes: datetime.timezone(datetime.timedelta(minutes=minutes))
)
zones = st.one_of(st.none(), st.just(datetime.timezone.utc), offsets)
datetimes = st.datetimes(timezones=zones)
times = st.builds(lambda t, tz: t.replace(tzinfo=tz), st.times(), zones)
decimals = st.decimals(allow_nan=False, places=None)


def rich(ints: st.SearchStrategy[int]) -> st.SearchStrategy[Any]:
    """The types the JSON tags and the msgpack extensions add; sets hold ``ints`` and text."""
    return st.one_of(
        datetimes,
        st.dates(),
        times,
        st.timedeltas(),
        decimals,
        st.sets(st.one_of(ints, texts), max_size=5),
        st.frozensets(st.one_of(ints, texts), max_size=5),
    )


rich_leaves = rich(st.integers())
rich64_leaves = rich(int64)


def tree(leaves: st.SearchStrategy[Any], keys: st.SearchStrategy[Any] = str_keys) -> st.SearchStrategy[Any]:
    """Lists and dicts of ``leaves``, a few levels deep."""
    return st.recursive(
        leaves,
        lambda children: st.one_of(
            st.lists(children, max_size=5), st.dictionaries(keys, children, max_size=5)
        ),
        max_leaves=12,
    )


def values_for(serializer: str) -> st.SearchStrategy[Any]:
    """Values ``serializer`` round-trips exactly (see tests/serializers/values.py)."""
    if serializer == "pickle":
        leaves = st.one_of(
            json_leaves, rich_leaves, st.binary(max_size=64), st.uuids(), st.tuples(st.integers(), texts)
        )
        return tree(leaves, st.one_of(str_keys, st.integers()))
    if serializer == "json":
        extra = st.one_of(
            rich_leaves, st.binary(max_size=64), st.binary(max_size=8).map(bytearray), st.uuids()
        )
        return tree(st.one_of(json_leaves, extra))
    if serializer == "orjson":
        extra = st.one_of(rich64_leaves, st.binary(max_size=64), st.binary(max_size=8).map(bytearray))
        return tree(st.one_of(int64_leaves, extra))
    if serializer == "msgpack":
        extra = st.one_of(rich64_leaves, st.binary(max_size=64), st.uuids())
        return tree(st.one_of(int64_leaves, extra), st.one_of(str_keys, int64))
    if serializer == "msgspec-json":
        # A dict shaped like a JSON tag reads as the tagged value (documented): no tag keys.
        return tree(int64_leaves, texts.filter(lambda key: key != TAG_KEY))
    if serializer == "msgspec-msgpack":
        utc_datetimes = st.datetimes(timezones=st.just(datetime.timezone.utc))
        return tree(st.one_of(int64_leaves, st.binary(max_size=64), utc_datetimes))
    raise KeyError(serializer)


def same(a: Any, b: Any) -> bool:
    """Equal, and of the same types all the way down (1 == 1.0 == True is not enough)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        by_key = {(type(key), key): key for key in b}
        return len(a) == len(b) and all(
            (type(key), key) in by_key and same(a[key], b[by_key[type(key), key]]) for key in a
        )
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, (set, frozenset)):
        return a == b and sorted(type(x).__name__ for x in a) == sorted(type(x).__name__ for x in b)
    if isinstance(a, (datetime.datetime, datetime.time)):
        return a == b and a.utcoffset() == b.utcoffset()
    if isinstance(a, (Decimal, float)):
        return a == b and str(a) == str(b)
    return bool(a == b)


# -- caches, one per pair for the module -----------------------------------------------


@pytest.fixture(scope="module")
def pair_caches(valkey_server: EmbeddedServer) -> Iterator[dict[tuple[str, str], Cache]]:
    caches: dict[tuple[str, str], Cache] = {}
    for serializer, compressor in PAIRS:
        path = CORE_IDENTITY if compressor == "identity" else COMPRESSORS[compressor]
        caches[serializer, compressor] = Cache(
            valkey_server.url,
            key_prefix=f"prop-{serializer}-{compressor}",
            serializer=SERIALIZERS[serializer],
            compressor=path,
            options={} if compressor == "identity" else {"COMPRESS_MIN_LENGTH": 8},
        )
    yield caches
    for cache in caches.values():
        cache.close()


@pytest.mark.parametrize(("serializer", "compressor"), PAIRS, ids=[f"{s}+{c}" for s, c in PAIRS])
def test_values_round_trip(
    serializer: str, compressor: str, pair_caches: dict[tuple[str, str], Cache]
) -> None:
    cache = pair_caches[serializer, compressor]

    @BOUNDED
    @given(value=values_for(serializer))
    def round_trip(value: Any) -> None:
        cache.set("value", value, timeout=30)
        out = cache.get("value", default=KeyError)
        assert same(value, out), (value, out)
        assert same({"value": value}, cache.get_many(["value"]))

    round_trip()


UNSUPPORTED: dict[str, Any] = {
    "pickle": lambda: None,
    "json": 1 + 2j,
    "orjson": 1 + 2j,
    "msgpack": 1 + 2j,
    "msgspec-json": 1 + 2j,
    "msgspec-msgpack": 1 + 2j,
}


@pytest.mark.parametrize("serializer", list(SERIALIZERS))
def test_an_unsupported_value_is_an_error_naming_its_type(
    serializer: str, pair_caches: dict[tuple[str, str], Cache]
) -> None:
    cache = pair_caches[serializer, "zlib"]
    value = UNSUPPORTED[serializer]
    cache.set("unsupported", "before")
    # PickleSerializer lets pickle's own error through; the others raise SerializerError.
    with pytest.raises((SerializerError, pickle.PicklingError)) as info:
        cache.set("unsupported", [1, {"inner": value}])
    assert type(value).__name__ in str(info.value)
    assert cache.get("unsupported") == "before"


# -- keys --------------------------------------------------------------------------------

#: Text keys with the characters that matter to globs, the key format and the protocol.
key_text = st.text(
    alphabet=st.one_of(st.characters(codec="utf-8"), st.sampled_from("*?[]^-\\: \t\r\n{}")),
    min_size=1,
    max_size=30,
)


@pytest.fixture(scope="module")
def key_caches(valkey_server: EmbeddedServer) -> Iterator[dict[str, Cache]]:
    caches = {
        "alpha": Cache(valkey_server.url, key_prefix="alpha"),
        "beta": Cache(valkey_server.url, key_prefix="beta"),
        "alpha-v2": Cache(valkey_server.url, key_prefix="alpha", version=2),
    }
    yield caches
    for cache in caches.values():
        cache.close()


@BOUNDED
@given(key=key_text)
def test_text_keys_round_trip_and_stay_isolated(key: str, key_caches: dict[str, Cache]) -> None:
    alpha, beta, alpha2 = key_caches["alpha"], key_caches["beta"], key_caches["alpha-v2"]
    alpha.set(key, ("alpha", key))
    beta.set(key, ("beta", key))
    alpha2.set(key, ("alpha-v2", key))
    alpha.set(key, ("alpha-v3", key), version=3)

    assert alpha.get(key) == ("alpha", key)
    assert beta.get(key) == ("beta", key)
    assert alpha2.get(key) == ("alpha-v2", key)
    assert alpha.get(key, version=2) == ("alpha-v2", key)
    assert alpha.get(key, version=3) == ("alpha-v3", key)
    assert alpha.get_many([key, key + "/other"]) == {key: ("alpha", key)}
    assert alpha.has_key(key)

    assert alpha.delete(key)
    assert alpha.get(key) is None
    assert beta.get(key) == ("beta", key)
    assert alpha2.get(key) == ("alpha-v2", key)
    for cache in (beta, alpha2):
        cache.delete(key)
    alpha.delete(key, version=3)


@BOUNDED
@given(keys=st.lists(key_text, min_size=1, max_size=6, unique=True))
def test_batches_of_text_keys_stay_isolated(keys: list[str], key_caches: dict[str, Cache]) -> None:
    alpha, beta = key_caches["alpha"], key_caches["beta"]
    alpha.set_many({key: ("alpha", i) for i, key in enumerate(keys)})
    beta.set_many({key: ("beta", i) for i, key in enumerate(keys)})
    assert alpha.get_many(keys) == {key: ("alpha", i) for i, key in enumerate(keys)}
    alpha.delete_many(keys)
    assert alpha.get_many(keys) == {}
    assert beta.get_many(keys) == {key: ("beta", i) for i, key in enumerate(keys)}
    beta.delete_many(keys)


# Falsy keys: another change (in progress at the time of writing) makes 0, "", False, 0.0
# and None go through the key function like any other key, so that the prefix and the
# version apply to them too; before it, make_key returned them unchanged. The lead
# reconciles this test with that change.
FALSY_KEYS = [0, "", False, 0.0, None]


@pytest.mark.parametrize("key", FALSY_KEYS, ids=repr)
def test_falsy_keys_round_trip_and_stay_isolated(key: Any, key_caches: dict[str, Cache]) -> None:
    alpha, beta, alpha2 = key_caches["alpha"], key_caches["beta"], key_caches["alpha-v2"]
    alpha.set(key, "alpha")
    beta.set(key, "beta")
    alpha2.set(key, "alpha-v2")
    try:
        assert alpha.get(key) == "alpha"
        assert beta.get(key) == "beta"
        assert alpha2.get(key) == "alpha-v2"
        assert alpha.get_many([key]) == {key: "alpha"}
    finally:
        for cache in (alpha, beta, alpha2):
            cache.delete(key)


def test_the_property_strategies_cover_every_documented_type() -> None:
    """A guard that the strategies above did not lose a type the serializers support."""
    drawn: set[type] = set()

    @settings(max_examples=300, deadline=None, database=None)
    @given(value=rich_leaves | json_leaves | st.binary() | st.uuids())
    def collect(value: Any) -> None:
        drawn.add(type(value))

    collect()
    expected = {
        type(None), bool, int, float, str, bytes, uuid.UUID, set, frozenset, Decimal,
        datetime.datetime, datetime.date, datetime.time, datetime.timedelta,
    }  # fmt: skip
    assert expected <= drawn
