"""CIRCUIT_BREAKER through Django: validated like every option, and on by default."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.core.checks import Error
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings
from proxy import TcpProxy

from django_valkey.cache import ValkeyCache
from django_valkey.checks import check_valkey_caches
from valkey_cache.core.embedded import EmbeddedServer

BACKEND = "django_valkey.cache.ValkeyCache"


@pytest.fixture
def proxy(valkey_server: EmbeddedServer) -> Iterator[TcpProxy]:
    with TcpProxy(valkey_server.address) as running:
        yield running


def checks(url: str, options: dict[str, Any]) -> list[Any]:
    with override_settings(CACHES={"default": {"BACKEND": BACKEND, "LOCATION": url, "OPTIONS": options}}):
        return check_valkey_caches()


def test_valid_values_pass_the_checks(url: str) -> None:
    assert checks(url, {"CIRCUIT_BREAKER": False}) == []
    assert checks(url, {"CIRCUIT_BREAKER": {"FAILURES": 5, "RESET_TIMEOUT": 0.5}}) == []


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ({"FAILURES": 0}, "CIRCUIT_BREAKER['FAILURES']=0 is not valid: expected an integer >= 1"),
        ({"TIMEOUT": 1}, "CIRCUIT_BREAKER['TIMEOUT']=1 is not valid"),
        ("sometimes", "CIRCUIT_BREAKER='sometimes' is not valid"),
    ],
)
def test_bad_values_are_e001_and_improperly_configured(url: str, value: Any, fragment: str) -> None:
    [message] = checks(url, {"CIRCUIT_BREAKER": value})
    assert isinstance(message, Error)
    assert message.id == "django_valkey.E001"
    assert fragment in message.msg
    with pytest.raises(ImproperlyConfigured) as info:
        ValkeyCache(url, {"OPTIONS": {"CIRCUIT_BREAKER": value}})
    assert fragment in str(info.value)


def test_a_hung_server_is_asked_only_failures_times(proxy: TcpProxy) -> None:
    proxy.mode = "blackhole"
    options = {"SOCKET_TIMEOUT": 0.2, "IGNORE_EXCEPTIONS": True, "CIRCUIT_BREAKER": {"RESET_TIMEOUT": 60}}
    cache = ValkeyCache(proxy.url(), {"OPTIONS": options})
    assert [cache.get("k", "d") for _ in range(10)] == ["d"] * 10
    assert proxy.accepted == 3
