"""Signed values in the Django backend: OPTIONS, SECRET_KEY derivation, checks, raw operations."""

from __future__ import annotations

import logging
from io import StringIO
from typing import Any

import pytest
from django.core.cache import caches
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.test import override_settings
from django.utils.crypto import salted_hmac
from forged_pickle import EXECUTED, FORGED, no_execution  # noqa: F401  (autouse fixture)

from django_valkey import get_valkey_connection
from django_valkey.checks import check_valkey_caches
from django_valkey.settings import SIGNING_SALT
from django_valkey.util import encode, make_key
from valkey_cache.core import Cache
from valkey_cache.core.signing import MAGIC, SigningSerializer

SIGNING_KEY = "an-explicit-signing-key-of-32-bytes!"


def caches_with(url: str, backend: str = "django_valkey.cache.ValkeyCache", **options: Any) -> dict[str, Any]:
    return {"default": {"BACKEND": backend, "LOCATION": url, "OPTIONS": options}}


def fresh_cache() -> Any:
    """A new instance of the default cache, built under the settings in force."""
    return caches.create_connection("default")


def raw_key(cache: Any, key: str) -> str:
    return str(make_key(key=key, key_func=cache.key_func, version=cache.version, prefix=cache.key_prefix))


def test_signing_true_signs_and_refuses_forged_values(url: str, caplog: pytest.LogCaptureFixture) -> None:
    with override_settings(CACHES=caches_with(url, SIGNING=True)):
        cache = caches["default"]
        serializer = cache.client._serializer
        assert isinstance(serializer, SigningSerializer)
        assert serializer is cache._config.options["SERIALIZER"]  # built once, not wrapped again
        assert not isinstance(serializer.inner, SigningSerializer)
        cache.set("k", {"v": 1})
        assert cache.get("k") == {"v": 1}
        raw = get_valkey_connection("default")
        stored = raw.get(raw_key(cache, "k"))
        assert stored[-38:-32] == MAGIC
        raw.set(raw_key(cache, "forged"), FORGED)
        with caplog.at_level(logging.WARNING):
            assert cache.get("forged", "miss") == "miss"
            assert cache.get_many(["k", "forged"]) == {"k": {"v": 1}}
        assert EXECUTED == []
        assert raw_key(cache, "forged") in caplog.text


@pytest.mark.anyio
async def test_async_methods_and_async_backend_verify(url: str) -> None:
    for backend in ("django_valkey.cache.ValkeyCache", "django_valkey.async_cache.cache.AsyncValkeyCache"):
        with override_settings(CACHES=caches_with(url, backend, SIGNING=True)):
            cache = fresh_cache()
            await cache.aset("k", ["async"])
            assert await cache.aget("k") == ["async"]
            writer = Cache(url)  # unsigned, same key layout
            writer.client.get_client().set(raw_key(cache, "forged"), FORGED)
            assert await cache.aget("forged") is None
            assert await cache.aget_many(["k", "forged"]) == {"k": ["async"]}
            assert EXECUTED == []
            writer.close()
            await cache.aclose()


def test_key_derives_from_secret_key_and_rotates_with_fallbacks(url: str) -> None:
    with override_settings(CACHES=caches_with(url, SIGNING=True), SECRET_KEY="first secret key"):
        fresh_cache().set("k", "written under the first key")
        assert fresh_cache().get("k") == "written under the first key"
        # The key is Django's salted HMAC of SECRET_KEY, not SECRET_KEY itself.
        derived = salted_hmac(SIGNING_SALT, b"", secret="first secret key", algorithm="sha256").digest()
        direct = Cache(url, signing_key=derived)
        assert direct.get("k") == "written under the first key"
        direct.close()
        padded = Cache(url, signing_key="first secret key".ljust(32, "!"))
        assert padded.get("k") is None
        padded.close()
    with override_settings(CACHES=caches_with(url, SIGNING=True), SECRET_KEY="second secret key"):
        assert fresh_cache().get("k") is None
    with override_settings(
        CACHES=caches_with(url, SIGNING=True),
        SECRET_KEY="second secret key",
        SECRET_KEY_FALLBACKS=["first secret key"],
    ):
        cache = fresh_cache()
        assert cache.get("k") == "written under the first key"
        cache.set("k2", "written under the second key")
    with override_settings(CACHES=caches_with(url, SIGNING=True), SECRET_KEY="first secret key"):
        assert fresh_cache().get("k2") is None


def test_explicit_signing_key_overrides_secret_key(url: str) -> None:
    core = Cache(url, signing_key=SIGNING_KEY)
    core.set("shared", "from the core")
    with override_settings(CACHES=caches_with(url, SIGNING=True, SIGNING_KEY=SIGNING_KEY)):
        cache = fresh_cache()
        assert cache.get("shared") == "from the core"
        cache.set("back", "from django")
        assert core.get("back") == "from django"
    core.close()


def test_accept_unsigned_reads_old_values(url: str) -> None:
    with override_settings(CACHES=caches_with(url)):
        fresh_cache().set("old", "written unsigned")
    with override_settings(CACHES=caches_with(url, SIGNING="accept-unsigned")):
        cache = fresh_cache()
        assert cache.get("old") == "written unsigned"
        get_valkey_connection("default").set(raw_key(cache, "bad"), FORGED + MAGIC + b"\x01" * 32)
        assert cache.get("bad") is None
        cache.set("new", "signed")
    with override_settings(CACHES=caches_with(url, SIGNING=True)):
        cache = fresh_cache()
        assert cache.get("new") == "signed"
        assert cache.get("old") is None
    assert EXECUTED == []


@pytest.mark.parametrize("compressor", [None, "django_valkey.compressors.zlib.ZlibCompressor"])
def test_seed_raw_operations_with_signing(url: str, compressor: str | None) -> None:
    options: dict[str, Any] = {"SIGNING": True}
    if compressor:
        options.update(COMPRESSOR=compressor, COMPRESS_MIN_LENGTH=1)
    with override_settings(CACHES=caches_with(url, **options)):
        cache = fresh_cache()
        value = {"seed": "raw " * 30}
        encoded = encode(value, serializer=cache.client._serializer, compressor=cache.client._compressor)
        key = raw_key(cache, "raw")
        get_valkey_connection("default").set(key, encoded)
        assert cache.get("raw") == value
        cache.set("via-cache", value)
        assert get_valkey_connection("default").get(raw_key(cache, "via-cache")) == encoded
        assert encode(5, serializer=cache.client._serializer, compressor=cache.client._compressor) == 5
        cache.set("n", 5)
        assert cache.incr("n") == 6


def _check_output(url: str, **options: Any) -> str:
    out, err = StringIO(), StringIO()
    with override_settings(CACHES=caches_with(url, **options)):
        call_command("check", "--deploy", stdout=out, stderr=err)
    return out.getvalue() + err.getvalue()


def test_deploy_check_warns_about_unsigned_pickle(url: str) -> None:
    unsigned = _check_output(url)
    assert "django_valkey.W010" in unsigned
    assert "CACHES['default']" in unsigned
    accepting = _check_output(url, SIGNING="accept-unsigned")
    assert "django_valkey.W011" in accepting
    assert "django_valkey.W010" not in accepting
    signed = _check_output(url, SIGNING=True)
    assert "django_valkey.W01" not in signed
    json = _check_output(url, SERIALIZER="django_valkey.serializers.json.JSONSerializer")
    assert "django_valkey.W01" not in json
    # Not part of the plain check.
    out, err = StringIO(), StringIO()
    with override_settings(CACHES=caches_with(url)):
        call_command("check", stdout=out, stderr=err)
    assert "W010" not in out.getvalue() + err.getvalue()


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({"SIGNING_KEY": "too-short-secret"}, "SIGNING_KEY"),
        ({"SIGNING": "sometimes"}, "SIGNING='sometimes'"),
        ({"SIGNING": True, "SIGNING_FALLBACK_KEYS": ["too-short-secret"]}, "SIGNING_FALLBACK_KEYS"),
    ],
)
def test_bad_signing_options(url: str, options: dict[str, Any], expected: str) -> None:
    with override_settings(CACHES=caches_with(url, **options)):
        [message] = check_valkey_caches()
        assert message.id == "django_valkey.E001"
        assert expected in message.msg
        assert "too-short-secret" not in message.msg + str(message.hint)
        with pytest.raises(ImproperlyConfigured) as info:
            fresh_cache()
        assert expected in str(info.value)
        assert "too-short-secret" not in str(info.value)
    with override_settings(CACHES=caches_with(url, SIGNING=True), SECRET_KEY=""):
        [message] = check_valkey_caches()
        assert message.id == "django_valkey.E001"
        assert "SIGNING" in message.msg


def test_signing_options_are_known_names(url: str) -> None:
    with override_settings(CACHES=caches_with(url, SIGNING=False, SIGNING_KEY=SIGNING_KEY)):
        assert check_valkey_caches() == []
    with override_settings(CACHES=caches_with(url, SIGNING=True, SIGNING_FALLBACK_KEYS=[SIGNING_KEY])):
        assert check_valkey_caches() == []
