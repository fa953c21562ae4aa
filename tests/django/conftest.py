"""Configures Django for tests/django, with CACHES on the session's Valkey server.

Every test here starts on an empty server (``valkey_url`` flushes it).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from servers import start_tcp_server

from valkey_cache.core.embedded import EmbeddedServer

HERE = Path(__file__).resolve().parent
# The settings, URLconf and helper modules of these tests import by plain name.
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test of this directory ``django`` (``pytest -m django`` selects them)."""
    for item in items:
        if HERE in Path(str(item.path)).resolve().parents:
            item.add_marker(pytest.mark.django)


@pytest.fixture(scope="session", autouse=True)
def django_configured(valkey_server: Any, tmp_path_factory: pytest.TempPathFactory) -> None:
    import django
    from django.conf import settings

    if settings.configured:
        return
    os.environ["DJANGO_VALKEY_TEST_URL"] = valkey_server.url
    os.environ["DJANGO_VALKEY_TEST_DB"] = str(tmp_path_factory.mktemp("db") / "db.sqlite3")
    os.environ["DJANGO_SETTINGS_MODULE"] = "django_settings"
    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


@pytest.fixture(autouse=True)
def empty_server(valkey_url: str) -> str:
    """The shared server, flushed before each test."""
    return valkey_url


@pytest.fixture
def url(valkey_url: str) -> str:
    return valkey_url


@pytest.fixture(scope="session")
def second_server() -> Iterator[EmbeddedServer]:
    """A second standalone server: the shard topology spans it and the shared one."""
    server = start_tcp_server()
    try:
        yield server
    finally:
        server.stop()
