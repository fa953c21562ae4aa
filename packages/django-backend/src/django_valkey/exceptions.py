"""Exceptions, as django-valkey 0.4 named them (the core's classes)."""

from __future__ import annotations

from valkey_cache.core.exceptions import (
    CompressorError,
    ConfigurationError,
    ConnectionInterrupted,
    MissingDependencyError,
    SerializerError,
)

__all__ = [
    "CompressorError",
    "ConfigurationError",
    "ConnectionInterrupted",
    "MissingDependencyError",
    "SerializerError",
]
