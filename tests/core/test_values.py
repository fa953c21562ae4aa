"""Keys and values: make_key/make_pattern, encode/decode, corrupt values."""

from __future__ import annotations

import logging
import pickle
import zlib
from typing import Any

import pytest
import valkey
from cachetest import EitherCache, make_cache

from valkey_cache.core import (
    CacheKey,
    IdentityCompressor,
    PickleSerializer,
    decode,
    default_key_func,
    encode,
    make_key,
    make_pattern,
)
from valkey_cache.core.compressor import BaseCompressor
from valkey_cache.core.keys import make_keys


def test_make_key() -> None:
    key = make_key(key="my_key", key_func=default_key_func, version=1, prefix="")
    assert key == ":1:my_key"
    assert isinstance(key, CacheKey)
    assert key.original_key() == "my_key"
    assert make_key(key, default_key_func, 9, "other") is key
    assert make_key("k", default_key_func, 0, "p") == "p:0:k"
    assert make_key("", default_key_func, 1, "p") == "p:1:"
    assert make_key("k", lambda k, p, v: f"{v}/{p}/{k}", 2, "x") == "2/x/k"


def test_make_pattern_escapes_prefix_and_version() -> None:
    pattern = make_pattern(pattern="my_*", key_func=default_key_func, version=1, prefix="")
    assert pattern == ":1:my_*"
    assert make_pattern("a?", default_key_func, "1*", "we[ir]d*") == "we[[]ir]d[*]:1[*]:a?"


def test_encode_decode() -> None:
    s, c = PickleSerializer(), IdentityCompressor()
    assert encode(value=5, serializer=s, compressor=c) == 5
    assert encode(value=2.5, serializer=s, compressor=c) == 2.5
    assert encode(value=True, serializer=s, compressor=c) == pickle.dumps(True, pickle.DEFAULT_PROTOCOL)
    assert encode(value="my_value", serializer=s, compressor=c) == pickle.dumps(
        "my_value", pickle.DEFAULT_PROTOCOL
    )
    for value in ["my_value", -3, 0, 10**30, -(10**30), 1e-9, float("inf"), None, [1]]:
        encoded = encode(value, s, c)
        raw = encoded if isinstance(encoded, bytes) else repr(encoded).encode()
        assert decode(value=raw, serializer=s, compressor=c) == value
    assert decode(b"-17", s, c) == -17
    assert type(decode(b"-17", s, c)) is int


def test_pickle_version_option() -> None:
    assert PickleSerializer({"PICKLE_VERSION": 2}).dumps("x")[:2] == b"\x80\x02"
    assert PickleSerializer({"PICKLE_VERSION": -1})._pickle_version == -1


class ZlibForTest(BaseCompressor):
    def _compress(self, value: bytes) -> bytes:
        return zlib.compress(value)

    def _decompress(self, value: bytes) -> bytes:
        return zlib.decompress(value)


def test_compressor_min_length_and_fallback() -> None:
    comp = ZlibForTest({"COMPRESS_MIN_LENGTH": 20})
    s = PickleSerializer()
    small = encode("a", s, comp)
    assert small == pickle.dumps("a", pickle.DEFAULT_PROTOCOL)
    big = encode("a" * 100, s, comp)
    assert zlib.decompress(big) == pickle.dumps("a" * 100, pickle.DEFAULT_PROTOCOL)
    assert decode(big, s, comp) == "a" * 100
    assert decode(small, s, comp) == "a"


@pytest.mark.anyio
async def test_corrupt_value_is_a_miss_and_a_warning(
    cache: EitherCache, raw_valkey: valkey.Valkey, caplog: pytest.LogCaptureFixture
) -> None:
    raw_valkey.set("test:1:bad", b"\x80\x05garbage")
    raw_valkey.set("test:1:good", pickle.dumps("ok"))
    with caplog.at_level(logging.WARNING, logger="valkey_cache"):
        assert await cache.get("bad") is None
        assert await cache.get("bad", "dflt") == "dflt"
        assert await cache.get_many(["bad", "good"]) == {"good": "ok"}
    warnings = [r.getMessage() for r in caplog.records if r.name == "valkey_cache"]
    assert any("test:1:bad" in m and "could not decode" in m for m in warnings)


@pytest.mark.anyio
async def test_corrupt_members_are_left_out_and_logged(
    cache: EitherCache, raw_valkey: valkey.Valkey, caplog: pytest.LogCaptureFixture
) -> None:
    """The collections decode their members in one loop; a member that cannot be read
    makes the loop start again one by one: it is left out of a set, None in a list, and
    logged, while the others are read."""
    bad = b"\x80\x05garbage"
    await cache.sadd("s", "a", "b")
    raw_valkey.sadd("test:1:s", bad)
    await cache.zadd("z", {"a": 1, "b": 3})
    raw_valkey.zadd("test:1:z", {bad: 2})
    await cache.hset("h", mapping={"a": 1, "c": 3})
    raw_valkey.hset("test:1:h", "test:1:b", bad)
    with caplog.at_level(logging.WARNING, logger="valkey_cache"):
        assert await cache.smembers("s") == {"a", "b"}
        assert await cache.zrange("z", 0, -1) == ["a", None, "b"]
        assert await cache.zrange("z", 0, -1, withscores=True) == [("a", 1.0), (None, 2.0), ("b", 3.0)]
        assert await cache.hmget("h", "a", "b", "c") == [1, None, 3]
        assert await cache.hget("h", "b") is None
    warnings = [r.getMessage() for r in caplog.records if r.name == "valkey_cache"]
    assert sum("could not decode" in m for m in warnings) == 5


@pytest.mark.anyio
@pytest.mark.parametrize("kind", ["sync", "async"])
async def test_server_key_is_make_key_as_a_plain_str(kind: str, valkey_url: str) -> None:
    """The commands make their keys with ``server_key``: what ``make_key`` makes, as a
    plain ``str`` (the default key function's format written in for a ``str`` key)."""

    class Text(str):
        pass

    for key_func in (None, lambda key, prefix, version: f"{version}/{prefix}/{key}"):
        client = make_cache(kind, valkey_url, key_prefix="p", version=4, key_func=key_func).inner.client
        made = client.make_key("made")
        for key in ["k", "", 7, None, 2.5, Text("sub"), made, "é ü"]:
            for version, prefix in ((None, None), (9, None), (0, "other")):
                plain = client.server_key(key, version, prefix)
                assert plain == client.make_key(key, version, prefix)
                assert type(plain) is (CacheKey if key is made else str)
        assert type(client.make_key("k")) is CacheKey
        assert client.make_key(made, 8) is made
        assert client.server_key(made, 8) is made


@pytest.mark.anyio
@pytest.mark.parametrize("kind", ["sync", "async"])
async def test_the_commands_keys_follow_the_owners_settings(
    kind: str, valkey_url: str, raw_valkey: valkey.Valkey
) -> None:
    """The rewritten commands make their keys by the stock rule written in
    (``drivers.inline._KEY``): a prefix, version or key function changed on the owner
    after the first call applies to the next one, and so does a version given per call."""
    cache = make_cache(kind, valkey_url, key_prefix="follow", version=2)
    owner = cache.inner
    assert await cache.set("k", 1) is True
    assert raw_valkey.get("follow:2:k") == b"1"
    owner.key_prefix = "moved"
    await cache.set("k", 2)
    assert raw_valkey.get("moved:2:k") == b"2"
    owner.version = 5
    await cache.set("k", 3)
    await cache.set("k", 4, version=7)
    await cache.set(9, 5)
    assert [raw_valkey.get(k) for k in ("moved:5:k", "moved:7:k", "moved:5:9")] == [b"3", b"4", b"5"]
    assert await cache.get("k", version=7) == 4
    raw_valkey.set("other:7:k", b"x")
    assert await cache.delete("k", version=7, prefix="other") is True
    assert raw_valkey.exists("other:7:k", "moved:7:k") == 1
    assert await cache.delete("k", prefix="none-such") is False
    assert await cache.incr_version("k") == 6
    assert (raw_valkey.get("moved:5:k"), raw_valkey.get("moved:6:k")) == (None, b"3")
    assert await cache.hset("h", "f", 1) == 1
    assert await cache.hget("h", "f", version=5) == 1
    assert raw_valkey.hexists("moved:5:h", "moved:5:f")
    owner.key_func = lambda key, prefix, version: f"{prefix}|{version}|{key}"
    await cache.set("k", 6)
    await cache.set("k", 7, version=8)
    assert (raw_valkey.get("moved|5|k"), raw_valkey.get("moved|8|k")) == (b"6", b"7")
    assert await cache.get("k") == 6
    made = ("follow:2:k", "moved:2:k", "moved:7:k", "moved:5:9", "moved:6:k", "moved:5:h")
    raw_valkey.delete(*made, "moved|5|k", "moved|8|k")


@pytest.mark.anyio
@pytest.mark.parametrize("kind", ["sync", "async"])
async def test_a_client_subclass_making_its_own_keys_is_asked_by_the_commands(
    kind: str, valkey_url: str, raw_valkey: valkey.Valkey
) -> None:
    """A client written for django-valkey 0.4 that overrides ``make_key`` keeps making
    every key the commands send, hash fields included."""
    from valkey_cache.core.client import AsyncDefaultClient, DefaultClient

    base = DefaultClient if kind == "sync" else AsyncDefaultClient

    class Tenant(base):  # type: ignore[valid-type, misc]
        def make_key(self, key: Any, version: Any = None, prefix: str | None = None) -> Any:
            return super().make_key(f"t7-{key}", version, prefix)

    cache = make_cache(kind, valkey_url, key_prefix="test", client_class=Tenant)
    assert await cache.set("k", 1) is True
    assert await cache.hset("h", "f", 2) == 1
    assert raw_valkey.get("test:1:t7-k") == b"1"
    assert raw_valkey.hget("test:1:t7-h", "test:1:t7-f") is not None
    assert await cache.get("k") == 1
    assert await cache.hget("h", "f") == 2
    assert await cache.set_many({"m": 3}) == []
    assert raw_valkey.get("test:1:t7-m") == b"3"
    assert await cache.get_many(["k", "m"]) == {"k": 1, "m": 3}
    assert await cache.make_key("k") == "test:1:t7-k"
    assert await cache.set("v", 4, version=3) is True
    assert raw_valkey.get("test:3:t7-v") == b"4"
    assert await cache.incr_version("v", version=3) == 4
    assert raw_valkey.get("test:4:t7-v") == b"4"
    assert await cache.delete("v", version=4) is True
    assert await cache.delete_many(["k", "h", "m"]) == 3


@pytest.mark.anyio
@pytest.mark.parametrize("kind", ["sync", "async"])
async def test_a_client_subclass_with_its_own_codec_is_used_by_the_commands(
    kind: str, valkey_url: str, raw_valkey: valkey.Valkey
) -> None:
    """``encode`` and ``decode`` overridden on a client (0.4's subclassing surface) are
    what every command encodes values and members with, and decodes them with."""
    from valkey_cache.core.client import AsyncDefaultClient, DefaultClient

    base = DefaultClient if kind == "sync" else AsyncDefaultClient

    class Marked(base):  # type: ignore[valid-type, misc]
        def encode(self, value: Any) -> Any:
            encoded = super().encode(value)
            return b"X" + encoded if isinstance(encoded, bytes) else encoded

        def decode(self, value: bytes) -> Any:
            return super().decode(value[1:] if value[:1] == b"X" else value)

    cache = make_cache(kind, valkey_url, key_prefix="marked", client_class=Marked)
    assert await cache.set("k", {"a": 1}) is True
    assert await cache.sadd("s", "m") == 1
    assert await cache.set_many({"b": [2]}) == []
    assert raw_valkey.get("marked:1:k")[:1] == raw_valkey.get("marked:1:b")[:1] == b"X"
    assert all(m[:1] == b"X" for m in raw_valkey.smembers("marked:1:s"))
    assert await cache.get("k") == {"a": 1}
    assert await cache.get_many(["k", "b"]) == {"k": {"a": 1}, "b": [2]}
    assert await cache.smembers("s") == {"m"}
    await cache.delete_many(["k", "b", "s"])


@pytest.mark.anyio
async def test_foreign_plain_string_is_a_miss(cache: EitherCache, raw_valkey: valkey.Valkey) -> None:
    raw_valkey.set("test:1:foreign", b"hello from another app")
    assert await cache.get("foreign", "miss") == "miss"


def test_specialised_codec_matches_the_general_one() -> None:
    from valkey_cache.core.codec import make_decoder, make_encoder

    for protocol in (2, 4, 5):
        s, c = PickleSerializer({"PICKLE_VERSION": protocol}), IdentityCompressor()
        fast_encode, fast_decode = make_encoder(s, c), make_decoder(s, c)
        for value in ["x", b"y", -3, 2.5, True, None, {"a": [1]}, 10**40]:
            assert fast_encode(value) == encode(value, s, c)
            encoded = encode(value, s, c)
            raw = encoded if isinstance(encoded, bytes) else repr(encoded).encode()
            assert fast_decode(raw) == decode(raw, s, c) == value
    slow = ZlibForTest({"COMPRESS_MIN_LENGTH": 0})
    assert make_decoder(PickleSerializer(), slow)(encode("z" * 50, PickleSerializer(), slow)) == "z" * 50


def test_make_keys_makes_what_make_key_makes() -> None:
    # The default key function's batch path joins a plain str by concatenation.
    class Text(str):
        pass

    made = make_key("made", default_key_func, 1, "p")
    keys = ["k", 7, 2.5, None, Text("sub"), made, "é ü"]
    assert make_keys(keys, default_key_func, 3, "p") == [make_key(k, default_key_func, 3, "p") for k in keys]
    assert make_keys(iter(["a"]), default_key_func, 1, "") == [":1:a"]


@pytest.mark.anyio
async def test_batch_commands_take_made_keys_as_they_are(
    cache: EitherCache, raw_valkey: valkey.Valkey
) -> None:
    """A key already made (``make_key``'s ``CacheKey``) is not prefixed again by the batch
    commands, whose own keys are plain strings; both kinds mix in one call."""
    made = await cache.make_key("made")
    assert isinstance(made, CacheKey)
    await cache.set_many({made: 1, "plain": 2})
    assert raw_valkey.exists("test:1:made", "test:1:plain") == 2
    assert await cache.get_many([made, "plain", "absent"]) == {made: 1, "plain": 2}
    assert await cache.delete_many([made, "plain"]) == 2
    assert raw_valkey.exists("test:1:made", "test:1:plain") == 0


@pytest.mark.anyio
@pytest.mark.parametrize("kind", ["sync", "async"])
async def test_batch_key_the_key_function_rejects_is_named(kind: str, valkey_url: str) -> None:
    """A key the key function cannot take fails the batch, naming that key."""

    def strict(key: str, prefix: str, version: int) -> str:
        if not isinstance(key, str):
            raise TypeError("text keys only")
        return f"{prefix}:{version}:{key}"

    cache = make_cache(kind, valkey_url, key_prefix="test", key_func=strict)
    with pytest.raises(TypeError, match=r"cache key 7 \(int\) cannot be made by key function .*strict"):
        await cache.get_many(["fine", 7])


@pytest.mark.anyio
@pytest.mark.parametrize("kind", ["sync", "async"])
async def test_a_key_function_checking_the_default_key_gets_the_keys_made(
    kind: str, valkey_url: str, raw_valkey: valkey.Valkey
) -> None:
    """A key function with ``check_made_keys`` (Django's backends give theirs one) is not
    called for a ``str`` key: the core makes the default key and hands the keys of each
    call to the check, a batch at once."""
    checked: list[list[str]] = []

    def key_func(key: Any, prefix: str, version: Any) -> str:
        assert type(key) is not str, "the core makes these keys itself"
        return f"{prefix}:{version}:{key}"

    key_func.check_made_keys = checked.append  # type: ignore[attr-defined]
    cache = make_cache(kind, valkey_url, key_prefix="chk", key_func=key_func)
    assert await cache.set("a", 1) is True
    assert await cache.get_many(["a", "b"]) == {"a": 1}
    assert await cache.set("c", 2, version=3) is True
    assert await cache.set(5, 3) is True  # not a str: the key function makes it
    assert checked == [["chk:1:a"], ["chk:1:a", "chk:1:b"], ["chk:3:c"]]
    assert (raw_valkey.get("chk:3:c"), raw_valkey.get("chk:1:5")) == (b"2", b"3")
    raw_valkey.delete("chk:1:a", "chk:3:c", "chk:1:5")
