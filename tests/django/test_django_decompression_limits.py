"""OPTIONS["MAX_DECOMPRESSED_SIZE"] in Django: over-limit values are misses (real server)."""

from __future__ import annotations

import zlib

import pytest
import valkey
from django.core.checks import Error
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from django_valkey.cache import ValkeyCache
from django_valkey.checks import check_valkey_caches

ZLIB = "django_valkey.compressors.zlib.ZlibCompressor"


def _caches(url: str, options: dict[str, object]) -> dict[str, object]:
    return {"default": {"BACKEND": "django_valkey.cache.ValkeyCache", "LOCATION": url, "OPTIONS": options}}


def test_the_limit_reaches_the_compressor(url: str, caplog: pytest.LogCaptureFixture) -> None:
    small = ValkeyCache(url, {"OPTIONS": {"COMPRESSOR": ZLIB, "MAX_DECOMPRESSED_SIZE": 4096}})
    roomy = ValkeyCache(url, {"OPTIONS": {"COMPRESSOR": ZLIB}})
    assert small.client._compressor.max_decompressed_size == 4096
    roomy.set("big", "x" * 10_000)
    roomy.set("fits", "y" * 1000)
    caplog.set_level("WARNING")
    assert small.get("big", "default") == "default"
    assert small.get("fits") == "y" * 1000
    assert roomy.get("big") == "x" * 10_000
    assert any(
        "MAX_DECOMPRESSED_SIZE=4096" in r.getMessage() and "big" in r.getMessage() for r in caplog.records
    )


def test_a_raw_bomb_is_a_miss(url: str, valkey_server: object) -> None:
    bomb = zlib.compress(bytes(8 << 20), 9)
    raw = valkey.Valkey.from_url(url)
    try:
        cache = ValkeyCache(url, {"OPTIONS": {"COMPRESSOR": ZLIB, "MAX_DECOMPRESSED_SIZE": 1 << 20}})
        raw.set(cache.make_key("bomb"), bomb)
        assert cache.get("bomb") is None
        assert cache.get_many(["bomb"]) == {}
    finally:
        raw.close()


def test_a_bad_limit_is_improperly_configured_and_e001(url: str) -> None:
    with pytest.raises(ImproperlyConfigured, match="MAX_DECOMPRESSED_SIZE"):
        ValkeyCache(url, {"OPTIONS": {"COMPRESSOR": ZLIB, "MAX_DECOMPRESSED_SIZE": 0}})
    with override_settings(CACHES=_caches(url, {"MAX_DECOMPRESSED_SIZE": "big"})):
        [message] = check_valkey_caches()
    assert isinstance(message, Error)
    assert message.id == "django_valkey.E001"
    assert "MAX_DECOMPRESSED_SIZE='big'" in message.msg


def test_the_limit_is_a_known_option(url: str) -> None:
    for options in (
        {"MAX_DECOMPRESSED_SIZE": 1 << 20},
        {"COMPRESSOR": ZLIB, "MAX_DECOMPRESSED_SIZE": 1 << 20},
    ):
        with override_settings(CACHES=_caches(url, options)):
            assert check_valkey_caches() == []
