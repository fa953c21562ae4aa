"""The serializer and compressor distributions, each installed alone in a fresh venv.

Without an extra, the stdlib codecs work and a codec whose library is missing fails at
construction with the exact pip line; with the extra installed, it works. Libraries come
from the package index (or uv's cache).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
UV = shutil.which("uv")

pytestmark = pytest.mark.skipif(UV is None, reason="needs uv on PATH")


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    for package in ("valkey-cache-core", "valkey-cache-serializers", "valkey-cache-compressors"):
        subprocess.run(
            [str(UV), "build", "--wheel", "--package", package, "--out-dir", str(out)],
            cwd=ROOT,
            check=True,
            capture_output=True,
        )
    return out


def fresh_venv(tmp_path: Path, dist: Path, *requirements: str) -> Path:
    venv = tmp_path / "venv"
    subprocess.run([str(UV), "venv", "--python", sys.executable, str(venv)], check=True, capture_output=True)
    python = venv / "bin" / "python"
    wheels = {w.name.split("-")[0]: w for w in dist.glob("*.whl")}
    resolved = []
    for req in requirements:
        name, _, extra = req.partition("[")
        wheel = wheels[name.replace("-", "_")]
        resolved.append(f"{wheel}[{extra}" if extra else str(wheel))
    subprocess.run(
        [
            str(UV),
            "pip",
            "install",
            "--python",
            str(python),
            "--find-links",
            str(dist),
            str(wheels["valkey_cache_core"]),
            *resolved,
        ],
        check=True,
        capture_output=True,
    )
    return python


def run(python: Path, code: str) -> str:
    result = subprocess.run([str(python), "-c", code], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    return result.stdout


MISSING = """
from valkey_cache.core import MissingDependencyError
from {module} import {cls}
try:
    {cls}({{}})
except MissingDependencyError as exc:
    print(exc)
else:
    raise SystemExit("constructed without its library")
"""

WORKS = """
from valkey_cache.core import decode, encode
from valkey_cache.core.serializer import PickleSerializer
from valkey_cache.core.compressor import IdentityCompressor
from {module} import {cls}
codec = {cls}({{}})
value = {{"a": [1, 2, "x" * 100]}}
if hasattr(codec, "dumps"):
    assert decode(encode(value, codec, IdentityCompressor()), codec, IdentityCompressor()) == value
else:
    s = PickleSerializer()
    assert decode(encode(value, s, codec), s, codec) == value
print("ok")
"""


def test_serializers_alone_and_with_extra(dist: Path, tmp_path: Path) -> None:
    bare = fresh_venv(tmp_path / "bare", dist, "valkey-cache-serializers")
    assert run(bare, WORKS.format(module="valkey_cache.serializers.json", cls="JSONSerializer")) == "ok\n"
    message = run(bare, MISSING.format(module="valkey_cache.serializers.msgpack", cls="MSGPackSerializer"))
    assert 'pip install "valkey-cache-serializers[msgpack]"' in message
    assert "django" not in run(bare, "import sys, valkey_cache.serializers.json; print(sorted(sys.modules))")
    extra = fresh_venv(tmp_path / "extra", dist, "valkey-cache-serializers[msgpack]")
    assert (
        run(extra, WORKS.format(module="valkey_cache.serializers.msgpack", cls="MSGPackSerializer")) == "ok\n"
    )


def test_compressors_alone_and_with_extra(dist: Path, tmp_path: Path) -> None:
    bare = fresh_venv(tmp_path / "bare", dist, "valkey-cache-compressors")
    assert run(bare, WORKS.format(module="valkey_cache.compressors.zlib", cls="ZlibCompressor")) == "ok\n"
    message = run(bare, MISSING.format(module="valkey_cache.compressors.lz4", cls="Lz4Compressor"))
    assert 'pip install "valkey-cache-compressors[lz4]"' in message
    extra = fresh_venv(tmp_path / "extra", dist, "valkey-cache-compressors[lz4]")
    assert run(extra, WORKS.format(module="valkey_cache.compressors.lz4", cls="Lz4Compressor")) == "ok\n"
