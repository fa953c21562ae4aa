"""Helpers shared by the serializers: hook options, missing libraries, errors."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from valkey_cache.core.exceptions import ConfigurationError, MissingDependencyError, SerializerError
from valkey_cache.core.imports import import_string


def callable_option(options: Mapping[str, Any], name: str) -> Callable[..., Any] | None:
    """A function given as itself or as a dotted path, or None."""
    value = options.get(name)
    if value is None:
        return None
    if isinstance(value, str):
        try:
            value = import_string(value)
        except ImportError as exc:
            raise ConfigurationError(name, options.get(name), f"an importable dotted path ({exc})") from exc
    if not callable(value):
        raise ConfigurationError(name, options.get(name), "a function or the dotted path of one")
    return value  # type: ignore[no-any-return]


def missing(cls: type, extra: str) -> MissingDependencyError:
    return MissingDependencyError(
        "SERIALIZER", f"{cls.__module__}.{cls.__qualname__}", f'"valkey-cache-serializers[{extra}]"'
    )


class Unencodable(TypeError):
    """Raised inside encoder hooks for a value of an unsupported type."""

    def __init__(self, value: Any) -> None:
        self.type_name = type_name(value)
        super().__init__(f"cannot encode {self.type_name}")


def type_name(value: Any) -> str:
    cls = type(value)
    module = cls.__module__
    return cls.__qualname__ if module == "builtins" else f"{module}.{cls.__qualname__}"


def encode_error(serializer: Any, value: Any, exc: BaseException, hook: str) -> SerializerError:
    name = type(serializer).__name__
    if isinstance(exc, Unencodable):
        return SerializerError(
            f"{name} cannot encode a value of type {exc.type_name}; convert it first or set "
            f"{hook} to a function that returns something it can encode"
        )
    return SerializerError(f"{name} cannot encode this {type_name(value)}: {exc}")


def decode_error(serializer: Any, exc: BaseException) -> SerializerError:
    return SerializerError(f"{type(serializer).__name__} could not decode the value: {exc}")
