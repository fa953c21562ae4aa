"""The ``valkey-cache`` command line, run in-process against real servers."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from valkey_cache.core.cli import main
from valkey_cache.core.embedded import running_servers


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


def test_demo_against_a_given_server(valkey_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--url", valkey_url, "--ops", "10"]) == 0
    out = capsys.readouterr().out
    assert "started an embedded" not in out
    assert "counter is now 10" in out


def test_demo_rejects_bad_ops() -> None:
    with pytest.raises(SystemExit):
        main(["demo", "--ops", "0"])


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
