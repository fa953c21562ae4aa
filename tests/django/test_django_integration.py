"""Django features on the Valkey cache: cache_page, CacheMiddleware, template fragment
caching, the cache and cached_db session engines, and closing at request_finished
under WSGI and ASGI."""

from __future__ import annotations

import asyncio
import gc
import subprocess
import sys
import uuid
import warnings
from pathlib import Path
from typing import Any

import django
import pytest
import valkey
from django.core.cache import caches
from django.http import HttpRequest, HttpResponse
from django.test import AsyncClient, Client, RequestFactory, override_settings

HERE = Path(__file__).resolve().parent


def default_with(url: str, name: str, **options: Any) -> dict[str, Any]:
    """Both test caches, their connections named ``name`` on the server."""
    options["CONNECTION_POOL_KWARGS"] = {"client_name": name}
    return {
        "default": {"BACKEND": "django_valkey.cache.ValkeyCache", "LOCATION": url, "OPTIONS": options},
        "async": {
            "BACKEND": "django_valkey.async_cache.cache.AsyncValkeyCache",
            "LOCATION": url,
            "KEY_PREFIX": "async",
            "OPTIONS": options,
        },
    }


# -- views and templates -----------------------------------------------------------------


def test_cache_page() -> None:
    from django_urls import CALLS

    client = Client()
    first = client.get("/cached/")
    second = client.get("/cached/")
    assert first.content == second.content
    assert first.content == f"call {CALLS['cached']}".encode()
    assert second.has_header("Expires")
    assert "max-age=60" in second["Cache-Control"]
    caches["default"].clear()
    third = client.get("/cached/")
    assert third.content != first.content


def test_cache_middleware_round_trip() -> None:
    from django.middleware.cache import CacheMiddleware

    calls: list[int] = []

    def view(request: HttpRequest) -> HttpResponse:
        calls.append(1)
        return HttpResponse(f"body {len(calls)}")

    middleware = CacheMiddleware(view, page_timeout=30, key_prefix="mw")
    factory = RequestFactory()
    assert middleware(factory.get("/page/")).content == b"body 1"
    assert middleware(factory.get("/page/")).content == b"body 1"
    assert calls == [1]
    assert any(k.startswith("views.decorators.cache.cache_page.mw") for k in caches["default"].keys("*"))


def test_template_fragment_caching() -> None:
    from django.core.cache.utils import make_template_fragment_key
    from django.template import engines

    template = engines["django"].from_string(
        "{% load cache %}{% cache 500 sidebar user %}{{ value }}{% endcache %}"
    )
    assert template.render({"value": "first", "user": "u1"}) == "first"
    assert template.render({"value": "second", "user": "u1"}) == "first"
    assert template.render({"value": "third", "user": "u2"}) == "third"
    key = make_template_fragment_key("sidebar", ["u1"])
    assert caches["default"].get(key) == "first"
    caches["default"].delete(key)
    assert template.render({"value": "fourth", "user": "u1"}) == "fourth"


# -- sessions ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "engine", ["django.contrib.sessions.backends.cache", "django.contrib.sessions.backends.cached_db"]
)
def test_session_engines(engine: str, raw_valkey: valkey.Valkey) -> None:
    from importlib import import_module

    store_class = import_module(engine).SessionStore
    session = store_class()
    session["cart"] = [1, 2]
    session.save()
    key = session.session_key
    assert key is not None
    assert raw_valkey.exists(f":1:{session.cache_key}") == 1
    again = store_class(session_key=key)
    assert again["cart"] == [1, 2]
    assert again.exists(key) is True
    again.delete()
    assert store_class(session_key=key).load() == {}
    assert raw_valkey.exists(f":1:{session.cache_key}") == 0


@pytest.mark.skipif(django.VERSION < (5, 0), reason="async session API is new in Django 5.0")
@pytest.mark.parametrize(
    "engine", ["django.contrib.sessions.backends.cache", "django.contrib.sessions.backends.cached_db"]
)
@pytest.mark.anyio
async def test_session_engines_async(engine: str) -> None:
    from importlib import import_module

    from django_helpers import disconnect_loop_pools

    store_class = import_module(engine).SessionStore
    session = store_class()
    await session.aset("cart", [3])
    await session.asave()
    key = session.session_key
    again = store_class(session_key=key)
    assert await again.aget("cart") == [3]
    assert await again.aexists(key) is True
    await again.adelete()
    assert await store_class(session_key=key).aload() == {}
    await disconnect_loop_pools()


def test_session_middleware_with_test_client() -> None:
    with override_settings(
        MIDDLEWARE=["django.contrib.sessions.middleware.SessionMiddleware"],
    ):
        client = Client()
        client.get("/sync/")
        session = client.session
        session["visits"] = 1
        session.save()
        assert client.session["visits"] == 1


# -- request_finished --------------------------------------------------------------------


@pytest.fixture
def name(request: pytest.FixtureRequest) -> str:
    """A connection name for this test's caches (their pools are new, too)."""
    return f"dv-{request.node.name}-{uuid.uuid4().hex[:8]}".replace("[", "-").replace("]", "")


def _cache_connections(raw: valkey.Valkey, name: str) -> int:
    """Connections on the server that the test's caches opened."""
    return sum(1 for c in raw.client_list() if c.get("name") == name)


def test_wsgi_request_closes_connections_when_asked(url: str, raw_valkey: valkey.Valkey, name: str) -> None:
    with override_settings(CACHES=default_with(url, name, CLOSE_CONNECTION=True)):
        response = Client().get("/sync/")
        assert response.content == b"sync"
        assert _cache_connections(raw_valkey, name) == 0


def test_wsgi_request_keeps_connections_by_default(url: str, raw_valkey: valkey.Valkey, name: str) -> None:
    with override_settings(CACHES=default_with(url, name)):
        assert Client().get("/sync/").content == b"sync"
        assert _cache_connections(raw_valkey, name) == 1
        assert Client().get("/sync/").content == b"sync"
        assert _cache_connections(raw_valkey, name) == 1


async def _settle() -> None:
    for _ in range(20):
        await asyncio.sleep(0.01)


@pytest.mark.anyio
async def test_asgi_request_closes_async_connections(url: str, raw_valkey: valkey.Valkey, name: str) -> None:
    from django_helpers import disconnect_loop_pools

    with override_settings(CACHES=default_with(url, name, CLOSE_CONNECTION=True)):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            response = await AsyncClient().get("/async/")
            assert response.content == b"async"
            await _settle()
            gc.collect()
        assert not [w for w in caught if "never awaited" in str(w.message)]
        assert _cache_connections(raw_valkey, name) == 0
    await disconnect_loop_pools()


@pytest.mark.anyio
async def test_asgi_handler_end_to_end(url: str, raw_valkey: valkey.Valkey, name: str) -> None:
    """Django's real ASGIHandler runs each request in its own task, so the cache
    instances of a request are not the ones ``request_finished`` closes: their
    connections go back to the event loop's pool and serve the next request."""
    from django.core.handlers.asgi import ASGIHandler
    from django_helpers import disconnect_loop_pools

    handler = ASGIHandler()

    async def request() -> list[dict[str, Any]]:
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "GET",
            "scheme": "http",
            "path": "/async/",
            "raw_path": b"/async/",
            "query_string": b"",
            "root_path": "",
            "headers": [(b"host", b"testserver")],
            "client": ("127.0.0.1", 1),
            "server": ("testserver", 80),
        }
        messages: list[dict[str, Any]] = []
        sent = asyncio.Event()

        async def receive() -> dict[str, Any]:
            if not sent.is_set():
                sent.set()
                return {"type": "http.request", "body": b"", "more_body": False}
            await asyncio.sleep(3600)
            return {"type": "http.disconnect"}

        async def send(message: dict[str, Any]) -> None:
            messages.append(message)

        await handler(scope, receive, send)
        return messages

    with override_settings(CACHES=default_with(url, name)):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            for _ in range(5):
                messages = await request()
                assert messages[0]["status"] == 200
                assert b"async" in b"".join(m.get("body", b"") for m in messages)
            await _settle()
            gc.collect()
        assert not [w for w in caught if "never awaited" in str(w.message)]
        # pooled and reused, not one per request
        assert 1 <= _cache_connections(raw_valkey, name) <= 2
    await disconnect_loop_pools()


def test_importing_the_package_changes_no_signal_receivers(url: str) -> None:
    script = f"""
import sys
sys.path.insert(0, {str(HERE)!r})
import django
django.setup()
from django.core import signals
from django.db.models import signals as model_signals
from django.test import signals as test_signals

def snapshot():
    found = {{}}
    for module in (signals, model_signals, test_signals):
        for name in dir(module):
            signal = getattr(module, name)
            if hasattr(signal, "receivers"):
                found[f"{{module.__name__}}.{{name}}"] = [r[0] for r in signal.receivers]
    return found

before = snapshot()
import pkgutil, importlib, django_valkey
for info in pkgutil.walk_packages(django_valkey.__path__, "django_valkey."):
    importlib.import_module(info.name)
from django.core.cache import caches
caches["default"].get("x")
caches["async"]
assert snapshot() == before, (before, snapshot())
print("unchanged")
"""
    env = {
        "DJANGO_SETTINGS_MODULE": "django_settings",
        "DJANGO_VALKEY_TEST_URL": url,
        "PATH": "/usr/bin:/bin",
    }
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "unchanged"
