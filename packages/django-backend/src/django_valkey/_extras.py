"""Import errors that say which extra of django-valkey to install."""

from __future__ import annotations

import importlib


def require(requester: str, extra: str, *libraries: str) -> None:
    """Raise ImportError naming ``pip install "django-valkey[extra]"`` if none of ``libraries`` imports."""
    for library in libraries:
        try:
            importlib.import_module(library)
        except ImportError:
            continue
        return
    raise missing(requester, extra, libraries[0] if libraries else extra)


def missing(requester: str, extra: str, what: str) -> ImportError:
    return ImportError(
        f'{requester} needs {what}, which is not installed: pip install "django-valkey[{extra}]"'
    )
