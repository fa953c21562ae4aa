"""The ``valkey-cache`` command line against real servers: in-process, and in subprocesses
for the Django part (it configures Django, which this test process must not do)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from servers import AUTH_PASSWORD

from valkey_cache.core.cli import DJANGO_HINT, main
from valkey_cache.core.embedded import EmbeddedServer, running_servers

#: Stops ``import django`` (and so django_valkey) in the process that runs it.
BLOCK_DJANGO = """
import sys

class BlockDjango:
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in ("django", "django_valkey"):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None

sys.meta_path.insert(0, BlockDjango())
"""

#: Django configured before the demo runs, as in a test process or a project shell.
PRECONFIGURED = """
import sys
import django
from django.conf import settings

settings.configure(
    CACHES={"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}},
    INSTALLED_APPS=[],
    ROOT_URLCONF="no_such_urlconf",
)
django.setup()
from valkey_cache.core.cli import main

code = main(["demo", "--url", sys.argv[1], "--ops", "5"])
print("settings after the demo:", settings.CACHES["default"]["BACKEND"], settings.ROOT_URLCONF)
sys.exit(code)
"""

RST_MARKUP = re.compile(r"``|:[a-z]+:`|`[^`]+`_")
BATCH_LINE = re.compile(
    r"^  (set_many|get_many|iter_keys|delete_pattern)\b.* (\d[\d,]*) keys +[\d.]+ ms +[\d.,]+ \u00b5s/key$"
)
LOOP_LINE = re.compile(r"^  (set|get|incr)\b.* [\d,]+ ops +[\d.]+ ms +[\d,]+ ops/s +[\d.,]+ \u00b5s/op$")


def run_python(*args: str, timeout: float = 90) -> subprocess.CompletedProcess[str]:
    """``python ARGS`` in a fresh process with a UTF-8 stdout and no Django settings module."""
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env["PYTHONIOENCODING"] = "utf-8"
    return subprocess.run(
        [sys.executable, *args], check=False, capture_output=True, encoding="utf-8", env=env, timeout=timeout
    )


@pytest.fixture(autouse=True)
def without_django_part(monkeypatch: pytest.MonkeyPatch) -> None:
    """In-process demos run without their Django part: it would configure Django in this
    process (tests/django configures it its own way). The subprocess tests run it."""
    monkeypatch.setitem(sys.modules, "django_valkey.demo", None)
    package = sys.modules.get("django_valkey")
    if package is not None:
        monkeypatch.delattr(package, "demo", raising=False)


@pytest.mark.parametrize(
    "argv", [[], ["demo"], ["server"], ["advise"]], ids=["main", "demo", "server", "advise"]
)
def test_help_is_plain_text(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main([*argv, "--help"])
    assert exited.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: valkey-cache")
    assert not RST_MARKUP.search(out), out
    assert len(out.split("\n\n")) >= 3  # usage, a description, the options


def test_importing_the_cli_does_not_import_django() -> None:
    probe = "import sys, valkey_cache.core.cli; print(sorted(m for m in sys.modules if 'django' in m))"
    result = run_python("-c", probe)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_demo_on_its_own_embedded_server(capsys: pytest.CaptureFixture[str]) -> None:
    before = len(running_servers())
    assert main(["demo", "--ops", "60"]) == 0
    out = capsys.readouterr().out
    assert re.search(r"started an embedded valkey-server at valkey://127\.0\.0\.1:\d+", out)
    assert "counter is now 60, stored as b'60'" in out
    assert "scan found 60 user keys" in out
    assert "deleted 100 page keys" in out
    assert "every value read back matched" in out
    assert len(running_servers()) == before


def test_demo_prints_per_op_and_per_key_figures(valkey_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--url", valkey_url, "--ops", "30"]) == 0
    lines = capsys.readouterr().out.splitlines()
    batches = {m[1]: m[2] for m in map(BATCH_LINE.match, lines) if m}
    assert batches == {"set_many": "100", "get_many": "100", "iter_keys": "30", "delete_pattern": "100"}
    assert {m[1] for m in map(LOOP_LINE.match, lines) if m} == {"set", "get", "incr"}
    assert not any(" 1 ops" in line for line in lines)
    timed = [line for line in lines if line.endswith(("/op", "/key"))]
    assert len(timed) == 8
    for column in (" ms ", "\u00b5s/"):
        assert len({line.index(column) for line in timed}) == 1, "\n".join(timed)


def test_demo_without_django_prints_the_hint(capsys: pytest.CaptureFixture[str], valkey_url: str) -> None:
    assert main(["demo", "--url", valkey_url, "--ops", "5"]) == 0
    out = capsys.readouterr().out
    assert DJANGO_HINT in out
    assert "Django:" not in out


def test_demo_against_a_given_server(valkey_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--url", valkey_url, "--ops", "10"]) == 0
    out = capsys.readouterr().out
    assert "started an embedded" not in out
    assert "counter is now 10" in out


def test_demo_rejects_bad_ops(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["demo", "--ops", "0"])
    assert "--ops must be a whole number of at least 1, not 0" in capsys.readouterr().err


def test_demo_shows_django_in_a_fresh_process() -> None:
    before = len(running_servers())
    result = run_python("-m", "valkey_cache.core.cli", "demo", "--ops", "20")
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert re.search(r"^  set_many .* 100 keys .* \u00b5s/key$", out, re.MULTILINE)
    responses = re.findall(r"^  GET / \((?:1st|2nd)\)  200 .*  '(page built at .*)'$", out, re.MULTILINE)
    assert len(responses) == 2
    assert responses[0] == responses[1]
    assert "the responses match: cache_page(60) served the 2nd from Valkey (2 keys stored)" in out
    info = out.split("\nmanage.py valkey info\n", 1)[1]
    assert re.search(r"^ +backend: django_valkey\.cache\.ValkeyCache$", info, re.MULTILINE)
    assert re.search(r"^ +keys made as: prefix 'demo-django'", info, re.MULTILINE)
    assert re.search(r"^ +keys: 2 in db 0$", info, re.MULTILINE)
    assert "override_settings" not in out
    assert out.rstrip().endswith("every value read back matched what was written")
    assert len(running_servers()) == before


def test_demo_under_configured_django_overrides_and_restores(valkey_auth_server: EmbeddedServer) -> None:
    url = f"valkey://:{AUTH_PASSWORD}@{valkey_auth_server.host}:{valkey_auth_server.port}/0"
    result = run_python("-c", PRECONFIGURED, url)
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "running under override_settings" in out
    assert "the responses match" in out
    assert re.search(r"^ +backend: django_valkey\.cache\.ValkeyCache$", out, re.MULTILINE)
    assert "settings after the demo: django.core.cache.backends.locmem.LocMemCache no_such_urlconf" in out
    assert AUTH_PASSWORD not in out + result.stderr
    assert valkey_auth_server.client().dbsize() == 0  # the demo cleaned up after itself


def test_demo_without_django_installed_still_succeeds(valkey_url: str) -> None:
    script = BLOCK_DJANGO + "from valkey_cache.core.cli import main\nsys.exit(main(sys.argv[1:]))\n"
    result = run_python("-c", script, "demo", "--url", valkey_url, "--ops", "5")
    assert result.returncode == 0, result.stdout + result.stderr
    assert DJANGO_HINT in result.stdout
    assert "Django:" not in result.stdout
    assert "every value read back matched" in result.stdout


def test_advise_from_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("valkey_cache.compressors.advisor")
    sample = tmp_path / "values.json"
    sample.write_text(json.dumps([{"id": i, "name": f"user {i}", "tags": ["a", "b"]} for i in range(20)]))
    assert main(["advise", "--file", str(sample)]) == 0
    out = capsys.readouterr().out
    assert "measuring 20 values" in out
    assert "| pickle | identity |" in out or "| pickle |" in out


def test_advise_from_server(valkey_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("valkey_cache.compressors.advisor")
    from valkey_cache.core import Cache

    cache = Cache(valkey_url)
    cache.set_many({f"page:{i}": "<p>" + "text " * 50 + "</p>" for i in range(30)})
    assert main(["advise", "--url", valkey_url, "--pattern", "*page:*", "--sample", "10"]) == 0
    assert "measuring 10 values" in capsys.readouterr().out


def test_advise_needs_a_source() -> None:
    with pytest.raises(SystemExit, match="--url"):
        main(["advise"])
