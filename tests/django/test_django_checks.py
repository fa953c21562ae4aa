"""System checks: each Valkey cache's options validated by ``manage.py check``."""

from __future__ import annotations

from io import StringIO
from typing import Any

from django.core.checks import Error, Warning
from django.core.management import call_command
from django.test import override_settings

from django_valkey.checks import check_valkey_caches


def caches_with(url: str, **entry: Any) -> dict[str, Any]:
    return {
        "default": {"BACKEND": "django_valkey.cache.ValkeyCache", "LOCATION": url, **entry},
        "local": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    }


def run(url: str, **entry: Any) -> list[Any]:
    with override_settings(CACHES=caches_with(url, **entry)):
        return check_valkey_caches()


def test_valid_configuration_passes(url: str) -> None:
    options = {
        "SERIALIZER": "django_valkey.serializers.pickle.PickleSerializer",
        "PICKLE_VERSION": 4,
        "COMPRESSOR": "django_valkey.compressors.zlib.ZlibCompressor",
        "COMPRESS_LEVEL": 5,
        "COMPRESS_ZLIB_WBITS": 15,
        "SOCKET_TIMEOUT": 1,
        "CONNECTION_POOL_KWARGS": {"max_connections": 10},
        "IGNORE_EXCEPTIONS": True,
        "LOG_IGNORE_EXCEPTIONS": True,
        "ASYNC_CLIENT_CLASS": "django_valkey.async_cache.client.AsyncDefaultClient",
        "MAX_ENTRIES": 1000,
    }
    assert run(url, OPTIONS=options) == []
    assert run(url, BACKEND="django_valkey.async_cache.cache.AsyncValkeyCache") == []


def test_bad_value_is_an_error_naming_alias_option_and_accepted(url: str) -> None:
    [message] = run(url, OPTIONS={"SCAN_ITERSIZE": 0})
    assert isinstance(message, Error)
    assert message.id == "django_valkey.E001"
    assert "CACHES['default']" in message.msg
    assert "SCAN_ITERSIZE=0" in message.msg
    assert "an integer >= 1" in message.hint


def test_unimportable_dotted_path_is_an_error(url: str) -> None:
    [message] = run(url, OPTIONS={"COMPRESSOR": "django_valkey.compressors.nope.NopeCompressor"})
    assert isinstance(message, Error)
    assert "COMPRESSOR='django_valkey.compressors.nope.NopeCompressor'" in message.msg
    assert "importable dotted path" in message.hint


def test_unknown_option_is_a_warning_with_the_closest_name(url: str) -> None:
    [message] = run(url, OPTIONS={"SCAN_ITERSISE": 10})
    assert isinstance(message, Warning)
    assert message.id == "django_valkey.W001"
    assert "'SCAN_ITERSISE'" in message.msg
    assert message.hint == "Did you mean 'SCAN_ITERSIZE'?"


def test_compressor_options_are_known_only_with_their_compressor(url: str) -> None:
    [message] = run(url, OPTIONS={"COMPRESS_ZLIB_WBITS": 15})
    assert message.id == "django_valkey.W001"


def test_sync_only_pool_class_is_reported_for_the_async_methods(url: str) -> None:
    options = {"CONNECTION_POOL_CLASS": "django_helpers.SyncOnlyPool"}
    [message] = run(url, OPTIONS=options)
    assert message.id == "django_valkey.W002"
    assert "ASYNC_CONNECTION_POOL_CLASS" in message.hint
    options["ASYNC_CONNECTION_POOL_CLASS"] = "valkey.asyncio.connection.ConnectionPool"
    assert run(url, OPTIONS=options) == []


def test_password_is_not_shown(url: str) -> None:
    [message] = run("valkey://:hunter2@127.0.0.1:1", OPTIONS={"PASSWORD": "hunter2", "RETRIES": "x"})
    assert "hunter2" not in message.msg + str(message.hint)


def test_manage_py_check_runs_the_checks(url: str) -> None:
    out, err = StringIO(), StringIO()
    with override_settings(CACHES=caches_with(url, OPTIONS={"SCAN_ITERSISE": 10})):
        call_command("check", stdout=out, stderr=err)
    assert "django_valkey.W001" in err.getvalue() + out.getvalue()
