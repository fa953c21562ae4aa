"""No secret reaches a repr, an error, a log record or ``manage.py check`` output.

The forms are in tests/secret_forms.py; the core's twin is tests/core/test_secrets.py.
"""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.test import override_settings
from secret_forms import (
    FORMS,
    SECRET,
    SENTINEL_FORM,
    Form,
    assert_hidden,
    texts_of,
)

from django_valkey.cache import ValkeyCache
from valkey_cache.core.embedded import EmbeddedServer


@pytest.mark.parametrize("form", [*FORMS, SENTINEL_FORM], ids=lambda form: form.name)
def test_django_never_shows_the_secret(
    form: Form, refusing_server: EmbeddedServer, caplog_all: pytest.LogCaptureFixture
) -> None:
    location = form.location.format(host=f"127.0.0.1:{refusing_server.port}")
    texts: list[str] = []
    bad_options = {**form.options, "SOCKET_TIMEOUT": "soon"}
    with pytest.raises(ImproperlyConfigured) as bad:
        ValkeyCache(location, {"OPTIONS": bad_options})
    texts += texts_of(bad.value)
    options = {**form.options, "SOCKET_TIMEOUT": 1}
    cache = ValkeyCache(location, {"OPTIONS": options})
    texts += [repr(cache), repr(cache._config), repr(cache.client), repr(cache.client._serializer)]
    try:
        cache.set("k", 1)
    except Exception as exc:
        texts += texts_of(exc)
    for entry_options in (bad_options, options):
        out, err = StringIO(), StringIO()
        entry = {"BACKEND": "django_valkey.cache.ValkeyCache", "LOCATION": location, "OPTIONS": entry_options}
        with override_settings(CACHES={"default": entry}):
            try:
                call_command("check", stdout=out, stderr=err)
            except Exception as exc:  # SystemCheckError carries the report
                texts += texts_of(exc)
        texts += [out.getvalue(), err.getvalue()]
    texts += [record.getMessage() for record in caplog_all.records]
    assert_hidden(form.secret, texts, form.name)


def test_repr_with_a_port_that_is_not_a_number() -> None:
    location = "valkey://:" + SECRET + "@127.0.0.1:notaport/0"
    try:
        text = repr(ValkeyCache(location, {}))
    except ImproperlyConfigured as exc:  # refused when built: fine, if it hides the secret
        text = str(exc)
    assert SECRET not in text
    assert "notaport" in text
