"""Every form a secret can be configured in, for the tests that prove none is ever shown.

``FORMS`` lists them; tests/core/test_secrets.py tries each on the core and
tests/django/test_django_secrets.py on the Django backend, against a real server that
refuses it and a port where nothing listens, with a bad option beside it so that
configuration errors are raised too.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from valkey.credentials import UsernamePasswordCredentialProvider

SECRET = "Sup3r-s3cret"


@dataclass
class LeakyProvider(UsernamePasswordCredentialProvider):
    """A credential provider whose dataclass repr would show the password."""

    username: str = "default"
    password: str = SECRET


@dataclass(frozen=True)
class Form:
    """One way of giving a secret: a LOCATION template and OPTIONS."""

    name: str
    location: str  # "{host}" becomes 127.0.0.1:PORT
    options: dict[str, Any]
    secret: str = SECRET


FORMS = [
    Form("url userinfo", "valkey://:" + SECRET + "@{host}/0", {}),
    Form("url user and password", "valkey://app:" + SECRET + "@{host}/0", {}),
    Form("upper-case scheme", "VALKEY://:" + SECRET + "@{host}/0", {}),
    Form("rediss-style upper case", "Redis://:" + SECRET + "@{host}/0", {}),
    Form("query password", "valkey://{host}/0?password=" + SECRET, {}),
    Form("unescaped @ in the password", "valkey://:" + SECRET + "@x@{host}/0", {}, SECRET + "@x"),
    Form("OPTIONS PASSWORD", "valkey://{host}/0", {"PASSWORD": SECRET}),
    Form("misspelt PASSWROD", "valkey://{host}/0", {"PASSWROD": SECRET}),
    Form("pool kwargs password", "valkey://{host}/0", {"CONNECTION_POOL_KWARGS": {"password": SECRET}}),
    Form(
        "credential provider",
        "valkey://{host}/0",
        {"CONNECTION_POOL_KWARGS": {"credential_provider": LeakyProvider()}},
    ),
    Form("SIGNING_KEY", "valkey://{host}/0", {"SIGNING_KEY": SECRET * 4}, SECRET * 4),
]
SENTINEL_FORM = Form(
    "SENTINEL_KWARGS",
    "valkey://mymaster/0",
    {
        "CLIENT_CLASS": "valkey_cache.core.client.SentinelClient",
        "SENTINELS": [("127.0.0.1", 1)],
        "SENTINEL_KWARGS": {"password": SECRET},
    },
)


def texts_of(exc: BaseException) -> list[str]:
    """str and repr of ``exc`` and of every exception in its chain."""
    texts: list[str] = []
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        texts += [str(current), repr(current)]
        current = current.__cause__ or current.__context__
    return texts


def assert_hidden(secret: str, texts: list[str], where: str) -> None:
    for text in texts:
        assert secret not in text, f"{where} shows the secret: {text!r}"
