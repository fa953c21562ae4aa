"""``manage.py valkey``, run with call_command against the real server."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
import valkey
from django.core.cache import caches
from django.core.management import CommandError, call_command
from django.test import override_settings


def valkey_command(*args: str, **options: Any) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("valkey", *args, stdout=out, stderr=err, **options)
    return out.getvalue(), err.getvalue()


def test_ping(url: str) -> None:
    out, _ = valkey_command("ping")
    assert out.startswith("PONG from 127.0.0.1:")
    assert out.rstrip().endswith("ms")


def test_info(url: str) -> None:
    caches["default"].set_many({"a": 1, "b": 2})
    out, _ = valkey_command("info")
    assert "server: valkey" in out
    assert "keys: 2 in db 0" in out
    assert "django_valkey.cache.ValkeyCache" in out
    assert "PickleSerializer" in out


def test_keys(url: str) -> None:
    cache = caches["default"]
    cache.set_many({"user:1": 1, "user:2": 2, "other": 3})
    cache.set("user:3", 3, version=2)
    out, err = valkey_command("keys", "user:*")
    assert sorted(out.split()) == ["user:1", "user:2"]
    assert err.strip() == "2 keys"
    out, _ = valkey_command("keys", "user:*", raw=True, key_version=2)
    assert out.split() == [":2:user:3"]


def test_delete_pattern_dry_run_then_delete(url: str, raw_valkey: valkey.Valkey) -> None:
    cache = caches["default"]
    cache.set_many({f"session:{i}": i for i in range(250)})
    cache.set("keep", 1)
    out, _ = valkey_command("delete_pattern", "session:*", dry_run=True)
    assert "Would delete 250 keys matching ':1:session:*'" in out
    assert raw_valkey.dbsize() == 251
    out, err = valkey_command("delete_pattern", "session:*", interactive=False, itersize=20, progress=True)
    assert "Deleted 250 keys" in out
    assert raw_valkey.dbsize() == 1
    assert cache.get("keep") == 1
    assert "delete_pattern [" in err
    assert "100%" in err
    assert "matched 250" in err


def test_delete_pattern_asks_first(url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from django_valkey.management.commands import valkey as command

    cache = caches["default"]
    cache.set("x:1", 1)
    questions: list[str] = []

    def answer(question: str) -> str:
        questions.append(question)
        return "no"

    monkeypatch.setattr(command, "_ask", answer)
    out, _ = valkey_command("delete_pattern", "x:*")
    assert "Cancelled." in out
    assert "':1:x:*'" in questions[0]
    assert cache.get("x:1") == 1
    monkeypatch.setattr(command, "_ask", lambda question: "yes")
    out, _ = valkey_command("delete_pattern", "x:*")
    assert "Deleted 1 keys" in out


def test_clear(url: str, raw_valkey: valkey.Valkey) -> None:
    caches["default"].set_many({"a": 1, "b": 2})
    raw_valkey.set("foreign", b"x")
    out, _ = valkey_command("clear", dry_run=True)
    assert "Would remove all 3 keys" in out
    out, _ = valkey_command("clear", interactive=False)
    assert "Removed 3 keys" in out
    assert raw_valkey.dbsize() == 0


def test_async_cache_alias(url: str, raw_valkey: valkey.Valkey) -> None:
    raw_valkey.set("async:1:job:1", b"1")
    raw_valkey.set("async:1:job:2", b"2")
    raw_valkey.set(":1:job:3", b"3")
    out, _ = valkey_command("keys", "job:*", alias="async")
    assert sorted(out.split()) == ["job:1", "job:2"]
    out, _ = valkey_command("delete_pattern", "job:*", alias="async", interactive=False)
    assert "Deleted 2 keys" in out
    assert raw_valkey.keys() == [b":1:job:3"]
    out, _ = valkey_command("ping", alias="async")
    assert out.startswith("PONG")


def test_errors(url: str) -> None:
    with pytest.raises(CommandError, match="needs a PATTERN"):
        valkey_command("keys")
    with pytest.raises(CommandError, match="No cache 'nope'"):
        valkey_command("ping", alias="nope")
    local = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    dead = {"BACKEND": "django_valkey.cache.ValkeyCache", "LOCATION": "valkey://127.0.0.1:1"}
    with override_settings(CACHES={"default": local, "dead": dead}):
        with pytest.raises(CommandError, match="not a Valkey cache"):
            valkey_command("ping")
        with pytest.raises(CommandError, match="cannot reach Valkey"):
            valkey_command("ping", alias="dead")


def test_advise_samples_values_through_the_cache(url: str, raw_valkey: valkey.Valkey) -> None:
    cache = caches["default"]
    cache.set_many({f"page:{i}": {"html": "<p>" + "word " * 40 + "</p>", "id": i} for i in range(30)})
    cache.set("other", "x")
    raw_valkey.hset("a-hash", "f", "v")  # not a string value: skipped
    out, err = valkey_command("advise", "page:*", sample=12)
    assert "measuring 12 values" in err
    assert "| pickle | identity |" in out
    assert "| serializer | compressor | bytes |" in out


def test_advise_without_values(url: str) -> None:
    with pytest.raises(CommandError, match="No values to sample"):
        valkey_command("advise", "nothing:*")
    with pytest.raises(CommandError, match="--sample"):
        valkey_command("advise", sample=0)
