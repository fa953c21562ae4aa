"""django-valkey 0.4.1, from the package index, reads the values we sign.

The trailer (magic + MAC) comes after the pickle's STOP opcode, which ``pickle.loads``
ignores, so a deployment still running django-valkey 0.4 (or rolled back to it) reads
what a signing deployment wrote. One throwaway venv per session.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from valkey_cache.core import Cache
from valkey_cache.core.signing import MAGIC

UV = shutil.which("uv")
REQUIREMENT = "django-valkey==0.4.1"
PREFIX = "compat"

pytestmark = pytest.mark.skipif(UV is None, reason="needs uv on PATH")

READER = """
import json, sys
import django
from django.conf import settings

url, keys = sys.argv[1], json.loads(sys.argv[2])
settings.configure(
    CACHES={
        "plain": {
            "BACKEND": "django_valkey.cache.ValkeyCache",
            "LOCATION": url,
            "KEY_PREFIX": "compat",
        },
        "zlib": {
            "BACKEND": "django_valkey.cache.ValkeyCache",
            "LOCATION": url,
            "KEY_PREFIX": "compat",
            "OPTIONS": {"COMPRESSOR": "django_valkey.compressors.zlib.ZlibCompressor"},
        },
    },
)
django.setup()
from django.core.cache import caches

print(json.dumps({alias: {key: caches[alias].get(key) for key in names} for alias, names in keys.items()}))
"""

VALUES: dict[str, Any] = {
    "text": "signed text",
    "doc": {"list": [1, 2.5, None, True], "nested": {"s": "x" * 300}},
    "count": 12,
}


@pytest.fixture(scope="session")
def django_valkey_04(tmp_path_factory: pytest.TempPathFactory) -> Path:
    venv = tmp_path_factory.mktemp("django-valkey-04") / "venv"
    subprocess.run([str(UV), "venv", "--python", sys.executable, str(venv)], check=True, capture_output=True)
    python = venv / "bin" / "python"
    result = subprocess.run(
        [str(UV), "pip", "install", "--python", str(python), REQUIREMENT],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        unreachable = ("failed to fetch", "connect", "dns", "network", "offline", "timed out")
        if any(word in result.stderr.lower() for word in unreachable):
            pytest.skip(
                f"the package index cannot be reached to install {REQUIREMENT}: {result.stderr[-300:]}"
            )
        pytest.fail(result.stderr)
    return python


def test_django_valkey_04_reads_signed_values(django_valkey_04: Path, valkey_url: str) -> None:
    key = "a-signing-key-of-at-least-32-bytes"
    plain = Cache(valkey_url, key_prefix=PREFIX, signing_key=key)
    zlib = Cache(
        valkey_url,
        key_prefix=PREFIX,
        signing_key=key,
        compressor="valkey_cache.compressors.zlib.ZlibCompressor",
    )
    for name, value in VALUES.items():
        plain.set(name, value)
        zlib.set(f"z-{name}", value)
    raw = plain.client.get_client()
    assert raw.get(f"{PREFIX}:1:text")[-38:-32] == MAGIC
    assert raw.get(f"{PREFIX}:1:z-doc")[:1] == b"\x78"  # zlib stream of payload + trailer

    keys = {"plain": list(VALUES), "zlib": [f"z-{name}" for name in VALUES]}
    result = subprocess.run(
        [str(django_valkey_04), "-c", READER, valkey_url, json.dumps(keys)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    read = json.loads(result.stdout)
    assert read["plain"] == VALUES
    assert read["zlib"] == {f"z-{name}": value for name, value in VALUES.items()}
    plain.close()
    zlib.close()
