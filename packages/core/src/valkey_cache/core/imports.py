"""Turning dotted paths from settings into classes, with errors that name the option."""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Any

from .exceptions import ConfigurationError


def import_string(path: str) -> Any:
    """Import ``"package.module.Name"`` and return ``Name``."""
    module_path, _, name = path.rpartition(".")
    if not module_path:
        raise ImportError(f"{path!r} is not a dotted path")
    module = importlib.import_module(module_path)
    try:
        return getattr(module, name)
    except AttributeError as exc:
        raise ImportError(f"module {module_path!r} has no attribute {name!r}") from exc


def resolve_class(option: str, value: Any) -> type[Any]:
    """Return the class named by an option: a class, or a dotted path to one."""
    if isinstance(value, type):
        return value
    if not isinstance(value, str):
        raise ConfigurationError(option, value, "a dotted path to a class, or the class itself")
    try:
        cls = import_string(value)
    except ImportError as exc:
        raise ConfigurationError(option, value, f"an importable dotted path ({exc})") from exc
    if not isinstance(cls, type):
        raise ConfigurationError(option, value, "a path to a class")
    return cls


def build_component(option: str, value: Any, options: Mapping[str, Any], methods: tuple[str, ...]) -> Any:
    """Instantiate a serializer or compressor given as path, class or ready instance.

    ``methods`` are the ones the result must have (e.g. ``("dumps", "loads")``).
    """
    component = resolve_class(option, value)(options=options) if isinstance(value, (str, type)) else value
    if not all(callable(getattr(component, name, None)) for name in methods):
        wanted = " and ".join(f"{name}()" for name in methods)
        raise ConfigurationError(option, value, f"a dotted path, class or instance with {wanted}")
    return component
