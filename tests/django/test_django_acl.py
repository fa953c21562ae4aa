"""Through Django: refused logins and ACL denials raise under IGNORE_EXCEPTIONS, and
CLEAR_SCOPE lets a user restricted to the cache's prefix clear it."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest
import valkey
from django.core.cache import caches
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings
from servers import ACL_USERNAME

from django_valkey.async_cache.cache import AsyncValkeyCache
from django_valkey.cache import ValkeyCache
from django_valkey.checks import check_cache
from valkey_cache.core.embedded import EmbeddedServer
from valkey_cache.core.exceptions import AuthenticationFailed, PermissionDenied

USER = "djangocache"
PASSWORD = "djangocache-secret"
WRONG = "wrong-django-password"


@pytest.fixture(scope="module")
def acl_server() -> Iterator[EmbeddedServer]:
    line = f"{USER} on >{PASSWORD} ~site:* &* +@all -@dangerous"
    server = EmbeddedServer({"user": [line]}, name="django-acl").start()
    try:
        yield server
    finally:
        server.stop()


def location(server: EmbeddedServer, user: str, password: str) -> str:
    return f"valkey://{user}:{password}@{server.host}:{server.port}/0"


def test_wrong_password_raises_under_ignore_exceptions(
    valkey_auth_server: EmbeddedServer, caplog: pytest.LogCaptureFixture
) -> None:
    cache = ValkeyCache(
        location(valkey_auth_server, ACL_USERNAME, WRONG),
        {"OPTIONS": {"IGNORE_EXCEPTIONS": True, "LOG_IGNORED_EXCEPTIONS": True}},
    )
    where = f"{valkey_auth_server.host}:{valkey_auth_server.port}"
    with caplog.at_level(logging.DEBUG):
        for call in (lambda: cache.get("k"), lambda: cache.get("k"), lambda: cache.set("k", 1)):
            with pytest.raises(AuthenticationFailed) as info:
                call()
            assert str(info.value).startswith(f"Valkey server {where} refused user 'app': ")
            assert WRONG not in str(info.value)
            assert WRONG not in repr(info.value)
    assert all(WRONG not in record.getMessage() for record in caplog.records)


@pytest.mark.anyio
async def test_wrong_password_raises_under_ignore_exceptions_async(
    valkey_auth_server: EmbeddedServer,
) -> None:
    params: dict[str, Any] = {"OPTIONS": {"IGNORE_EXCEPTIONS": True}}
    url = location(valkey_auth_server, ACL_USERNAME, WRONG)
    for cache in (ValkeyCache(url, params), AsyncValkeyCache(url, params)):
        getter = cache.aget
        with pytest.raises(AuthenticationFailed, match="refused user 'app'"):
            await getter("k")
        with pytest.raises(valkey.exceptions.AuthenticationError):
            await cache.aset("k", 1)


def test_noperm_raises_and_clear_names_clear_scope(acl_server: EmbeddedServer) -> None:
    url = location(acl_server, USER, PASSWORD)
    cache = ValkeyCache(url, {"KEY_PREFIX": "site", "OPTIONS": {"IGNORE_EXCEPTIONS": True}})
    assert cache.set("k", 1) is True
    outside = ValkeyCache(url, {"KEY_PREFIX": "admin", "OPTIONS": {"IGNORE_EXCEPTIONS": True}})
    with pytest.raises(PermissionDenied, match=r"^GET was denied to user 'djangocache'"):
        outside.get("k")
    with pytest.raises(PermissionDenied, match=r"FLUSHDB .*OPTIONS\['CLEAR_SCOPE'\] = 'prefix'"):
        cache.clear()


@pytest.mark.anyio
async def test_clear_scope_prefix_sync_and_async(acl_server: EmbeddedServer) -> None:
    acl_server.flushall()
    with acl_server.client() as raw:
        raw.set("other:1:keep", b"x")
    url = location(acl_server, USER, PASSWORD)
    params: dict[str, Any] = {"KEY_PREFIX": "site", "OPTIONS": {"CLEAR_SCOPE": "prefix"}}
    sync_cache = ValkeyCache(url, params)
    sync_cache.set_many({f"k{i}": i for i in range(10)})
    sync_cache.clear()
    assert sync_cache.keys("*") == []
    async_cache = AsyncValkeyCache(url, params)
    await async_cache.set("k", 1)
    await async_cache.clear()
    assert await async_cache.get("k") is None
    await sync_cache.aset("k", 1)
    await sync_cache.aclear()
    assert await sync_cache.aget("k") is None
    with acl_server.client() as raw:
        assert raw.keys("*") == [b"other:1:keep"]


def test_bad_clear_scope_is_improperly_configured(url: str) -> None:
    conf = {"BACKEND": "django_valkey.cache.ValkeyCache", "LOCATION": url, "OPTIONS": {"CLEAR_SCOPE": "all"}}
    with override_settings(CACHES={"default": conf}), pytest.raises(ImproperlyConfigured) as info:
        caches["default"]
    assert "CLEAR_SCOPE='all' is not valid: expected one of 'database', 'prefix'" in str(info.value)
    messages = check_cache("default", ValkeyCache, conf)
    assert [m.id for m in messages] == ["django_valkey.E001"]
    assert "CLEAR_SCOPE" in messages[0].msg
    assert check_cache("default", ValkeyCache, {**conf, "OPTIONS": {"CLEAR_SCOPE": "prefix"}}) == []
