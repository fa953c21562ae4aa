"""The Django part of ``valkey-cache demo``: a ``cache_page`` view and ``manage.py valkey info``.

:func:`run` sets up a minimal project in code (``CACHES`` on ``django_valkey.cache.ValkeyCache``,
this module as ``ROOT_URLCONF``), requests the cached view twice through ``django.test.Client``
and prints both responses, then the output of ``manage.py valkey info``. In a process where
Django is already configured (a test run, a project shell) it runs under ``override_settings``
and leaves the settings as it found them.
"""

from __future__ import annotations

import contextlib
import io
import itertools
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, path

from valkey_cache.core.redaction import redact_url

KEY_PREFIX = "demo-django"
PAGE_TIMEOUT = 60
_builds = itertools.count(1)


def page(request: HttpRequest) -> HttpResponse:
    """A page that says when, and how many times, it was built."""
    built = datetime.now().strftime("%H:%M:%S.%f")
    return HttpResponse(f"page built at {built} (build #{next(_builds)})", content_type="text/plain")


def __getattr__(name: str) -> Any:
    # cache_page reads the settings when it decorates, so the URLconf's patterns are
    # built when Django first asks for them, once the demo has configured it.
    if name == "urlpatterns":
        from django.views.decorators.cache import cache_page

        patterns: list[URLPattern] = [path("", cache_page(PAGE_TIMEOUT)(page))]
        return patterns
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def demo_settings(url: str) -> dict[str, Any]:
    """The settings the demo runs with: one Valkey cache at ``url`` and the cached page."""
    return {
        "CACHES": {
            "default": {
                "BACKEND": "django_valkey.cache.ValkeyCache",
                "LOCATION": url,
                "KEY_PREFIX": KEY_PREFIX,
            }
        },
        "ROOT_URLCONF": __name__,
        "MIDDLEWARE": [],
        "ALLOWED_HOSTS": ["testserver"],
    }


@contextlib.contextmanager
def _configured(url: str, write: Callable[[str], None]) -> Iterator[None]:
    import django
    from django.conf import settings

    overrides = demo_settings(url)
    if not settings.configured:
        settings.configure(
            DEBUG=False,
            SECRET_KEY="valkey-cache-demo",
            USE_TZ=True,
            INSTALLED_APPS=["django_valkey"],
            **overrides,
        )
        django.setup()
        yield
        return
    from django.apps import apps
    from django.test.utils import override_settings

    if not apps.ready:
        django.setup()
    if not apps.is_installed("django_valkey"):
        overrides["INSTALLED_APPS"] = [*settings.INSTALLED_APPS, "django_valkey"]
    write("  (Django is already configured in this process: running under override_settings)")
    with override_settings(**overrides):
        yield


def run(url: str, write: Callable[[str], None] = print) -> bool:
    """Serve the cached page twice and print ``manage.py valkey info`` for the cache at ``url``.

    Returns whether the second response came from the cache.
    """
    write(f"\nDjango: django_valkey.cache.ValkeyCache at {redact_url(url)}, KEY_PREFIX {KEY_PREFIX!r}")
    with _configured(url, write):
        from django.core.cache import caches
        from django.core.management import call_command
        from django.test import Client

        cache: Any = caches["default"]
        cache.delete_pattern("*")
        try:
            client = Client()
            bodies = []
            for attempt in ("1st", "2nd"):
                started = time.perf_counter()
                response = client.get("/")
                elapsed = time.perf_counter() - started
                body = response.content.decode()
                bodies.append(body)
                write(f"  GET / ({attempt})  {response.status_code}  {elapsed * 1000:6.1f} ms  {body!r}")
            stored = sum(1 for _ in cache.iter_keys("*"))
            cached = bodies[0] == bodies[1]
            if cached:
                write(
                    f"  the responses match: cache_page({PAGE_TIMEOUT}) served the 2nd from Valkey "
                    f"({stored} keys stored)"
                )
            else:
                write("  the responses differ: the 2nd was not served from the cache")
            output = io.StringIO()
            call_command("valkey", "info", stdout=output)
            write("\nmanage.py valkey info")
            for line in output.getvalue().splitlines():
                write(f"  {line}" if line else "")
        finally:
            cache.delete_pattern("*")
            cache.close()
    return cached
