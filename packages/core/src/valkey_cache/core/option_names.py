"""Which option names a configuration may use, and the closest name for a misspelt one."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from typing import Any


def known_options(*components: Any) -> frozenset[str]:
    """Union of the ``OPTIONS`` declared by the given classes or instances."""
    names: set[str] = set()
    for component in components:
        names |= set(getattr(component, "OPTIONS", ()))
    return frozenset(names)


def unknown_options(options: Mapping[str, Any], known: Iterable[str]) -> list[tuple[str, str | None]]:
    """``(name, closest known name or None)`` for every option not in ``known``."""
    known_list = sorted(known)
    unknown = []
    for name in options:
        if name not in known_list:
            close = difflib.get_close_matches(str(name), known_list, n=1, cutoff=0.6)
            unknown.append((str(name), close[0] if close else None))
    return unknown
