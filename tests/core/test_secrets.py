"""No secret reaches a repr, a str, a log record or an exception message of the core.

The forms are in tests/secret_forms.py; the Django twin is tests/django/test_django_secrets.py.
"""

from __future__ import annotations

from typing import Any

import pytest
from secret_forms import FORMS, SENTINEL_FORM, Form, assert_hidden, texts_of

from valkey_cache.core import AsyncCache, Cache
from valkey_cache.core.embedded import EmbeddedServer
from valkey_cache.core.embedded.ports import find_free_port
from valkey_cache.core.exceptions import ConfigurationError

pytestmark = pytest.mark.anyio


def _core_options(form: Form) -> dict[str, Any]:
    return {name.lower(): value for name, value in form.options.items()}


@pytest.mark.parametrize("form", [*FORMS, SENTINEL_FORM], ids=lambda form: form.name)
@pytest.mark.parametrize("where", ["refusing server", "nothing listening"])
def test_core_never_shows_the_secret(
    form: Form, where: str, refusing_server: EmbeddedServer, caplog_all: pytest.LogCaptureFixture
) -> None:
    port = refusing_server.port if where == "refusing server" else find_free_port()
    location = form.location.format(host=f"127.0.0.1:{port}")
    texts: list[str] = []
    # A bad option next to the secret: the configuration error must not show it either.
    with pytest.raises(ConfigurationError) as bad:
        Cache(location, socket_timeout="soon", **_core_options(form))
    texts += texts_of(bad.value)
    try:
        cache = Cache(
            location,
            socket_timeout=1,
            ignore_exceptions=True,
            log_ignored_exceptions=True,
            **_core_options(form),
        )
    except ConfigurationError as exc:  # the misspelt option is refused at once
        texts += texts_of(exc)
    else:
        texts += [repr(cache), str(cache), repr(cache.client), repr(cache.client.connection_factory)]
        try:
            cache.get("k")
            strict = Cache(location, socket_timeout=1, **_core_options(form))
            strict.set("k", 1)
        except Exception as exc:
            texts += texts_of(exc)
    texts += [record.getMessage() for record in caplog_all.records]
    texts += [str(record.exc_info) for record in caplog_all.records if record.exc_info]
    assert_hidden(form.secret, texts, f"{form.name} ({where})")


@pytest.mark.parametrize("form", FORMS[:3], ids=lambda form: form.name)
async def test_async_core_never_shows_the_secret(
    form: Form, refusing_server: EmbeddedServer, caplog_all: pytest.LogCaptureFixture
) -> None:
    location = form.location.format(host=f"127.0.0.1:{refusing_server.port}")
    cache = AsyncCache(location, socket_timeout=1, **_core_options(form))
    texts = [repr(cache)]
    with pytest.raises(Exception) as raised:  # noqa: PT011 - which error is another test's business
        await cache.set("k", 1)
    texts += texts_of(raised.value)
    texts += [record.getMessage() for record in caplog_all.records]
    assert_hidden(form.secret, texts, form.name)
