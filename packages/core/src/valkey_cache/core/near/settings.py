"""The ``NEAR_CACHE`` option: True, False, or a dict of limits and the tracking mode."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, NamedTuple

from ..exceptions import ConfigurationError

OPTION = "NEAR_CACHE"
MODES = ("bcast", "optin")
_KEYS = frozenset({"MAX_ENTRIES", "MAX_BYTES", "TTL", "MODE"})
_ACCEPTED = (
    'True, False or a dict {"MAX_ENTRIES": int >= 1, "MAX_BYTES": int >= 1, "TTL": seconds > 0, '
    '"MODE": "bcast" or "optin"}'
)


class NearSettings(NamedTuple):
    """Limits of the local layer and how the server tracks what it holds."""

    max_entries: int = 10_000
    max_bytes: int = 64 * 1024 * 1024
    ttl: float = 300.0
    mode: str = "bcast"


def near_settings(options: Mapping[str, Any]) -> NearSettings | None:
    """The ``NEAR_CACHE`` option read from ``options``: settings, or None when off."""
    value = options.get(OPTION, False)
    if value is None or value is False:
        return None
    if value is True:
        return NearSettings()
    if not isinstance(value, Mapping):
        raise ConfigurationError(OPTION, value, _ACCEPTED)
    unknown = sorted(str(name) for name in value if name not in _KEYS)
    if unknown:
        raise ConfigurationError(f"{OPTION}[{unknown[0]!r}]", value[unknown[0]], _ACCEPTED)
    defaults = NearSettings()
    entries = _integer(value, "MAX_ENTRIES", defaults.max_entries)
    size = _integer(value, "MAX_BYTES", defaults.max_bytes)
    ttl = value.get("TTL", defaults.ttl)
    if isinstance(ttl, bool) or not isinstance(ttl, (int, float)) or not math.isfinite(ttl) or ttl <= 0:
        raise ConfigurationError(f"{OPTION}['TTL']", ttl, "a number of seconds > 0")
    mode = value.get("MODE", defaults.mode)
    if not isinstance(mode, str) or mode.lower() not in MODES:
        raise ConfigurationError(f"{OPTION}['MODE']", mode, "'bcast' or 'optin'")
    return NearSettings(entries, size, float(ttl), mode.lower())


def _integer(value: Mapping[str, Any], name: str, default: int) -> int:
    number = value.get(name, default)
    if isinstance(number, bool) or not isinstance(number, int) or number < 1:
        raise ConfigurationError(f"{OPTION}[{name!r}]", number, "an integer >= 1")
    return number
