"""Types reach users: mypy sees each command's own result type through the facade, the
async facade (awaitables of the same types) and the Django backend."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

SNIPPET = """
from valkey_cache.core import AsyncCache, Cache
from django_valkey.cache import ValkeyCache

cache = Cache("valkey://127.0.0.1:6379/0")
reveal_type(cache.get_many(["a"]))
reveal_type(cache.has_key("a"))
reveal_type(cache.ttl("a"))
reveal_type(cache.iter_keys("*"))
reveal_type(cache.smembers("s"))
acache = AsyncCache("valkey://127.0.0.1:6379/0")
reveal_type(acache.get_many(["a"]))
reveal_type(acache.iter_keys("*"))
django_cache = ValkeyCache("valkey://127.0.0.1:6379/0", {})
reveal_type(django_cache.sadd("s", 1))
"""

EXPECTED = [
    "dict[Any, Any]",
    "bool",
    "int | None",
    "typing.Iterator[builtins.str]",
    "set[Any]",
    "typing.Coroutine[Any, Any, dict[Any, Any]]",
    "typing.AsyncIterator[builtins.str]",
    "builtins.int",
]


@pytest.mark.timeout(300)
def test_mypy_reveals_each_commands_type(tmp_path: Path) -> None:
    source = tmp_path / "uses_the_cache.py"
    source.write_text(SNIPPET)
    root = Path(__file__).resolve().parents[2]
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--config-file", str(root / "pyproject.toml"), str(source)],
        capture_output=True,
        text=True,
        cwd=root,
        check=False,
    )
    revealed = [
        line.split('Revealed type is "', 1)[1].rstrip('"')
        for line in result.stdout.splitlines()
        if "Revealed" in line
    ]
    normalized = [r.replace("builtins.", "") for r in revealed]
    assert normalized == [e.replace("builtins.", "") for e in EXPECTED], result.stdout
