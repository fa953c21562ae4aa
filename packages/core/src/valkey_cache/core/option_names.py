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


#: django-redis's names for options that are spelt differently here.
TRANSLATIONS = {"REDIS_CLIENT_CLASS": "BASE_CLIENT_CLASS", "REDIS_CLIENT_KWARGS": "BASE_CLIENT_KWARGS"}


def unknown_options(options: Mapping[str, Any], known: Iterable[str]) -> list[tuple[str, str | None]]:
    """``(name, the known name meant or None)`` for every option not in ``known``: the
    translation of another library's name, else the closest spelling."""
    known_list = sorted(known)
    unknown = []
    for name in options:
        if name not in known_list:
            meant = TRANSLATIONS.get(str(name))
            if meant is None:
                close = difflib.get_close_matches(str(name), known_list, n=1, cutoff=0.6)
                meant = close[0] if close else None
            unknown.append((str(name), meant))
    return unknown
