"""Reading typed values out of an OPTIONS mapping, once, with errors that name the option."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from .exceptions import ConfigurationError

_TRUE = frozenset({True, "1", "true", "yes", "on", "True"})
_FALSE = frozenset({False, "0", "false", "no", "off", "False"})


def int_option(
    options: Mapping[str, Any],
    name: str,
    default: int | None,
    minimum: int | None = None,
    maximum: int | None = None,
) -> int | None:
    value = options.get(name, default)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        try:
            value = int(value, 10) if isinstance(value, str) else None
        except ValueError:
            value = None
        if value is None:
            raise ConfigurationError(name, options.get(name), _int_range(minimum, maximum))
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        raise ConfigurationError(name, value, _int_range(minimum, maximum))
    return int(value)


def _int_range(minimum: int | None, maximum: int | None) -> str:
    if minimum is not None and maximum is not None:
        return f"an integer from {minimum} to {maximum}"
    if minimum is not None:
        return f"an integer >= {minimum}"
    return "an integer"


def number_option(
    options: Mapping[str, Any], name: str, default: float | None, minimum: float = 0.0
) -> float | None:
    """A finite number of seconds >= ``minimum`` (int or float), or None."""
    value = options.get(name, default)
    if value is None:
        return None
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or (isinstance(value, float) and not math.isfinite(value))
        or value < minimum
    ):
        raise ConfigurationError(name, value, f"a finite number >= {minimum} (seconds) or None")
    return float(value)


def bool_option(options: Mapping[str, Any], name: str, default: bool) -> bool:
    value = options.get(name, default)
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ConfigurationError(name, value, "True or False")


def choice_option(options: Mapping[str, Any], name: str, default: str, choices: tuple[str, ...]) -> str:
    value = options.get(name, default)
    if value not in choices:
        raise ConfigurationError(name, value, "one of " + ", ".join(repr(c) for c in choices))
    return str(value)


def mapping_option(options: Mapping[str, Any], name: str) -> dict[str, Any]:
    value = options.get(name)
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ConfigurationError(name, value, "a dict of keyword arguments")
    return dict(value)
