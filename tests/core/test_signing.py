"""Signed values: a value in the server without our MAC is never unpickled.

Every test writes through a real server; forged values are written with ``raw_valkey``,
as anyone with write access to the server could.
"""

from __future__ import annotations

import logging
import pickle
from typing import Any

import pytest
import valkey
from cachetest import EitherCache, make_cache
from forged_pickle import EXECUTED, FORGED, no_execution  # noqa: F401  (autouse fixture)

from valkey_cache.core import AsyncCache, Cache, ConfigurationError
from valkey_cache.core.codec import decode, encode, make_decoder, make_encoder
from valkey_cache.core.compressor import IdentityCompressor
from valkey_cache.core.serializer import PickleSerializer
from valkey_cache.core.signing import MAGIC, SignatureError, SigningSerializer

KEY = "k" * 32
OLD_KEY = b"o" * 40
PREFIX = "signed"
VALUES: list[Any] = ["text", {"a": [1, 2.5, None]}, b"\x00raw", (1, "two"), None, True, {"n"}]


def signed_cache(kind: str, url: str, **options: Any) -> EitherCache:
    options.setdefault("signing_key", KEY)
    return make_cache(kind, url, key_prefix=PREFIX, **options)


def raw_key(key: str) -> str:
    return f"{PREFIX}:1:{key}"


@pytest.mark.anyio
async def test_round_trip_signs_every_value(kind: str, valkey_url: str, raw_valkey: valkey.Valkey) -> None:
    cache = signed_cache(kind, valkey_url)
    assert isinstance(cache.inner.client._serializer, SigningSerializer)
    for i, value in enumerate(VALUES):
        assert await cache.set(f"v{i}", value)
        assert await cache.get(f"v{i}") == value
        stored = raw_valkey.get(raw_key(f"v{i}"))
        assert stored is not None
        assert stored[-38:-32] == MAGIC
        assert pickle.loads(stored) == value  # readers without signing ignore the trailer
    assert await cache.get_many([f"v{i}" for i in range(len(VALUES))]) == {
        f"v{i}": value for i, value in enumerate(VALUES)
    }
    assert await cache.add("added", [1])
    assert await cache.get("added") == [1]
    await cache.close()


@pytest.mark.anyio
async def test_forged_pickle_is_a_logged_miss_and_never_runs(
    kind: str, valkey_url: str, raw_valkey: valkey.Valkey, caplog: pytest.LogCaptureFixture
) -> None:
    raw_valkey.set(raw_key("forged"), FORGED)
    unsigned = make_cache(kind, valkey_url, key_prefix=PREFIX)
    assert await unsigned.get("forged") == "forged value was unpickled"  # what signing prevents
    assert EXECUTED == ["forged value was unpickled"]
    EXECUTED.clear()

    cache = signed_cache(kind, valkey_url)
    with caplog.at_level(logging.WARNING, logger="valkey_cache"):
        assert await cache.get("forged", "default") == "default"
        assert await cache.get_many(["forged"]) == {}
    assert EXECUTED == []
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 2
    for record in warnings:
        message = record.getMessage()
        assert raw_key("forged") in message
        assert "not signed" in message
        assert "_record" not in message
        assert "forged value" not in message
    await cache.close()
    await unsigned.close()


@pytest.mark.anyio
async def test_tampered_mac_and_tampered_payload_are_misses(
    kind: str, valkey_url: str, raw_valkey: valkey.Valkey, caplog: pytest.LogCaptureFixture
) -> None:
    cache = signed_cache(kind, valkey_url)
    await cache.set("good", {"n": 1})
    stored = raw_valkey.get(raw_key("good"))
    assert stored is not None
    bad_mac = stored[:-1] + bytes([stored[-1] ^ 1])
    raw_valkey.set(raw_key("bad-mac"), bad_mac)
    raw_valkey.set(raw_key("bad-payload"), FORGED + stored[-38:])  # a real trailer, another payload
    with caplog.at_level(logging.WARNING, logger="valkey_cache"):
        assert await cache.get("bad-mac") is None
        assert await cache.get("bad-payload") is None
    assert EXECUTED == []
    text = caplog.text
    assert "does not verify" in text
    assert stored[-32:].hex() not in text
    assert repr(stored[-32:]) not in text
    await cache.close()


@pytest.mark.anyio
async def test_wrong_key_and_rotation_with_fallback_keys(kind: str, valkey_url: str) -> None:
    old = signed_cache(kind, valkey_url, signing_key=OLD_KEY)
    await old.set("written-with-old", "old value")
    other = signed_cache(kind, valkey_url, signing_key=b"x" * 32)
    assert await other.get("written-with-old") is None

    rotated = signed_cache(kind, valkey_url, signing_fallback_keys=[OLD_KEY])
    assert await rotated.get("written-with-old") == "old value"
    await rotated.set("written-with-new", "new value")
    assert await rotated.get("written-with-new") == "new value"
    assert await old.get("written-with-new") is None  # new writes use the main key only
    for cache in (old, other, rotated):
        await cache.close()


@pytest.mark.anyio
async def test_accept_unsigned_reads_old_values_and_still_rejects_bad_macs(
    kind: str, valkey_url: str, raw_valkey: valkey.Valkey
) -> None:
    unsigned = make_cache(kind, valkey_url, key_prefix=PREFIX)
    await unsigned.set("old", {"legacy": True})
    cache = signed_cache(kind, valkey_url, signing="accept-unsigned")
    assert await cache.get("old") == {"legacy": True}

    await cache.set("new", "signed")
    stored = raw_valkey.get(raw_key("new"))
    assert stored is not None
    assert stored[-38:-32] == MAGIC
    raw_valkey.set(raw_key("bad"), FORGED + MAGIC + b"\x00" * 32)
    assert await cache.get("bad") is None
    assert await cache.get_many(["old", "new", "bad"]) == {"old": {"legacy": True}, "new": "signed"}
    assert EXECUTED == []

    strict = signed_cache(kind, valkey_url)
    assert await strict.get("old") is None
    for c in (unsigned, cache, strict):
        await c.close()


@pytest.mark.anyio
async def test_numbers_stay_plain_and_incr_able(
    kind: str, valkey_url: str, raw_valkey: valkey.Valkey
) -> None:
    cache = signed_cache(kind, valkey_url)
    await cache.set("count", 41)
    await cache.set("ratio", 0.5)
    await cache.set("negative", -3)
    assert raw_valkey.get(raw_key("count")) == b"41"
    assert raw_valkey.get(raw_key("ratio")) == b"0.5"
    assert await cache.incr("count") == 42
    assert await cache.decr("negative", 2) == -5
    assert await cache.get("ratio") == 0.5
    raw_valkey.set(raw_key("from-elsewhere"), b"7")
    assert await cache.get("from-elsewhere") == 7
    assert await cache.get_many(["count", "negative"]) == {"count": 42, "negative": -5}
    await cache.close()


@pytest.mark.anyio
async def test_get_many_with_one_forged_value_among_good_ones(
    kind: str, valkey_url: str, raw_valkey: valkey.Valkey, caplog: pytest.LogCaptureFixture
) -> None:
    cache = signed_cache(kind, valkey_url)
    await cache.set_many({"a": "A", "b": ["B"], "c": 3})
    raw_valkey.set(raw_key("evil"), FORGED)
    with caplog.at_level(logging.WARNING, logger="valkey_cache"):
        assert await cache.get_many(["a", "evil", "b", "c"]) == {"a": "A", "b": ["B"], "c": 3}
    assert EXECUTED == []
    assert raw_key("evil") in caplog.text
    await cache.close()


@pytest.mark.parametrize("compressor", [None, "valkey_cache.compressors.zlib.ZlibCompressor"])
def test_encode_utility_gives_the_stored_bytes(
    compressor: str | None, valkey_url: str, raw_valkey: valkey.Valkey
) -> None:
    options = {"compressor": compressor, "compress_min_length": 1} if compressor else {}
    cache = Cache(valkey_url, key_prefix=PREFIX, signing_key=KEY, **options)
    serializer, comp = cache.client._serializer, cache.client._compressor
    value = {"seed": "workflow " * 20}
    cache.set("via-cache", value)
    assert encode(value, serializer=serializer, compressor=comp) == raw_valkey.get(raw_key("via-cache"))
    raw_valkey.set(raw_key("via-raw"), encode([1, "raw"], serializer=serializer, compressor=comp))
    assert cache.get("via-raw") == [1, "raw"]
    stored = raw_valkey.get(raw_key("via-raw"))
    assert stored is not None
    assert decode(stored, serializer=serializer, compressor=comp) == [1, "raw"]
    if compressor:
        assert stored[-38:-32] != MAGIC  # the trailer is compressed with the payload
    cache.close()


@pytest.mark.parametrize("value", VALUES)
def test_fast_path_matches_the_generic_path(value: Any) -> None:
    signer = SigningSerializer(PickleSerializer(), [KEY.encode()])
    fast_encode = make_encoder(signer, IdentityCompressor())
    fast_decode = make_decoder(signer, IdentityCompressor())
    generic = encode(value, signer, _Plain())
    assert fast_encode(value) == generic
    assert fast_decode(generic) == value == decode(generic, signer, _Plain())
    with pytest.raises(SignatureError):
        fast_decode(FORGED)
    with pytest.raises(SignatureError):
        fast_decode(FORGED + MAGIC + b"\x00" * 32)
    assert EXECUTED == []


class _Plain:
    """An identity compressor of another class: forces the generic (unspecialised) path."""

    def compress(self, value: bytes) -> bytes:
        return value

    def decompress(self, value: bytes) -> bytes:
        return value


def test_an_already_signing_serializer_is_not_wrapped_again(valkey_url: str) -> None:
    signer = SigningSerializer(PickleSerializer(), [KEY.encode()])
    cache = Cache(valkey_url, key_prefix=PREFIX, serializer=signer, signing_key=b"z" * 32)
    assert cache.client._serializer is signer
    cache.set("once", "x")
    assert cache.get("once") == "x"
    assert signer.loads(cache.client.get_client().get(raw_key("once"))) == "x"
    cache.close()


@pytest.mark.parametrize(
    ("options", "option", "expected"),
    [
        ({"signing_key": "short-secret-13"}, "SIGNING_KEY", "<15 bytes>"),
        ({"signing_key": 12345678901234567890123456789012}, "SIGNING_KEY", "<int>"),
        ({"signing_key": KEY, "signing_fallback_keys": ["old-short"]}, "SIGNING_FALLBACK_KEYS", "<9 bytes>"),
        (
            {"signing_key": KEY, "signing_fallback_keys": "one-string-not-a-list" * 2},
            "SIGNING_FALLBACK_KEYS",
            "<str>",
        ),
        ({"signing_key": KEY, "signing": "maybe"}, "SIGNING", "'accept-unsigned'"),
        ({"signing": True}, "SIGNING", "SIGNING_KEY"),
        ({"signing": "accept-unsigned"}, "SIGNING", "SIGNING_KEY"),
    ],
)
@pytest.mark.parametrize("cls", [Cache, AsyncCache])
def test_bad_signing_options(
    cls: type[Any], options: dict[str, Any], option: str, expected: str, valkey_url: str
) -> None:
    with pytest.raises(ConfigurationError) as info:
        cls(valkey_url, **options)
    assert info.value.option == option
    message = str(info.value)
    assert message.startswith(option)
    assert expected in message
    for secret in ("short-secret-13", "old-short", "one-string-not-a-list", "123456789012345"):
        assert secret not in message
        assert secret not in repr(info.value.value)


def test_signing_off_and_option_names(valkey_url: str) -> None:
    off = Cache(valkey_url, signing_key=KEY, signing=False)
    assert type(off.client._serializer) is PickleSerializer
    on = Cache(valkey_url, SIGNING_KEY=KEY, SIGNING=True)
    assert isinstance(on.client._serializer, SigningSerializer)
    assert KEY not in repr(on.client._serializer)
    with pytest.raises(ConfigurationError, match=r"did you mean .SIGNING_KEY."):
        Cache(valkey_url, SIGNING_KY=KEY)
    off.close()
    on.close()


def test_advisor_sampling_never_unpickles_unverified_values(
    valkey_url: str, raw_valkey: valkey.Valkey
) -> None:
    from valkey_cache.compressors.advisor import sample_from_server

    signed = Cache(valkey_url, key_prefix=PREFIX, signing_key=KEY)
    signed.set("signed", {"signed": 1})
    unsigned = Cache(valkey_url, key_prefix=PREFIX)
    unsigned.set("plain", {"when": "then", "items": [1, 2]})
    raw_valkey.set(raw_key("forged"), FORGED)
    pattern = f"{PREFIX}:*"

    # Without a key: plain data is read, the forged pickle is refused, nothing runs.
    found = sample_from_server(valkey_url, pattern, 10)
    assert {"when": "then", "items": [1, 2]} in found
    assert {"signed": 1} in found  # a signed pickle is plain data too
    assert EXECUTED == []
    # With the key: only what verifies.
    assert sample_from_server(valkey_url, pattern, 10, signing_key=KEY) == [{"signed": 1}]
    assert sample_from_server(valkey_url, pattern, 10, serializer=signed.client._serializer) == [
        {"signed": 1}
    ]
    assert EXECUTED == []
    # Trusting the server is explicit, and then the forged pickle does run.
    sample_from_server(valkey_url, pattern, 10, unpickle_unsigned=True)
    assert EXECUTED == ["forged value was unpickled"]
    signed.close()
    unsigned.close()


def test_other_serializers_are_signed_too(valkey_url: str, raw_valkey: valkey.Valkey) -> None:
    cache = Cache(
        valkey_url,
        key_prefix=PREFIX,
        signing_key=KEY,
        serializer="valkey_cache.serializers.json.JSONSerializer",
        compressor="valkey_cache.compressors.zlib.ZlibCompressor",
        compress_min_length=1,
    )
    cache.set("doc", {"json": ["signed"]})
    assert cache.get("doc") == {"json": ["signed"]}
    raw_valkey.set(raw_key("unsigned"), b'{"json": "forged"}')
    assert cache.get("unsigned") is None
    cache.close()


@pytest.mark.parametrize("client_class", ["valkey_cache.core.client.herd.HerdClient"])
def test_other_clients_sign_through_the_same_serializer(
    client_class: str, valkey_url: str, raw_valkey: valkey.Valkey
) -> None:
    cache = Cache(valkey_url, key_prefix=PREFIX, signing_key=KEY, client_class=client_class)
    cache.set("herded", {"h": 1})
    assert cache.get("herded") == {"h": 1}
    raw_valkey.set(raw_key("forged"), FORGED)
    assert cache.get("forged") is None
    assert EXECUTED == []
    cache.close()
