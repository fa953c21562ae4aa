"""The core's wheel, installed alone in a fresh virtualenv without Django, works.

Builds the wheel with ``uv build`` and installs it with ``uv pip`` (valkey-py comes
from the package index or uv's cache), then talks to the session's real server.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
UV = shutil.which("uv")

pytestmark = pytest.mark.skipif(UV is None, reason="needs uv on PATH")

SCRIPT = """
import sys
from valkey_cache.core import Cache, make_key, default_key_func
cache = Cache(sys.argv[1], key_prefix="wheel")
cache.set("k", {"ok": True}, timeout=5)
assert cache.get("k") == {"ok": True}
assert cache.incr("n", ignore_key_check=True) == 1
assert make_key("k", default_key_func, 1, "") == ":1:k"
assert "django" not in sys.modules, "the core imported Django"
print("core wheel works")
"""


@pytest.fixture(scope="module")
def core_wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [str(UV), "build", "--wheel", "--package", "valkey-cache-core", "--out-dir", str(out)],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    (wheel,) = out.glob("valkey_cache_core-*.whl")
    return wheel


def test_wheel_contents(core_wheel: Path) -> None:
    names = zipfile.ZipFile(core_wheel).namelist()
    assert "valkey_cache/core/__init__.py" in names
    assert "valkey_cache/core/py.typed" in names
    assert "valkey_cache/__init__.py" not in names, "valkey_cache must stay a namespace package"
    assert not any(n.startswith(("tests/", "django_valkey/")) for n in names)


def test_wheel_alone_in_fresh_venv(core_wheel: Path, tmp_path: Path, valkey_url: str) -> None:
    venv = tmp_path / "venv"
    subprocess.run([str(UV), "venv", "--python", sys.executable, str(venv)], check=True, capture_output=True)
    python = venv / "bin" / "python"
    subprocess.run(
        [str(UV), "pip", "install", "--python", str(python), str(core_wheel)], check=True, capture_output=True
    )
    listed = subprocess.run(
        [str(UV), "pip", "list", "--python", str(python)], check=True, capture_output=True, text=True
    ).stdout.lower()
    assert "django" not in listed
    result = subprocess.run(
        [str(python), "-c", SCRIPT, valkey_url], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert "core wheel works" in result.stdout
