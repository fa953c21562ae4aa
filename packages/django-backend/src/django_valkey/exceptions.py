"""Exceptions, as django-valkey 0.4 named them (the core's classes).

django-valkey 0.4's own classes (its pickle serializer, its Sentinel factories) raised
Django's ``ImproperlyConfigured`` for a bad option. Ours raise
:class:`ImproperlyConfiguredOption`: the core's :class:`ConfigurationError`, with the
same message, that is also an ``ImproperlyConfigured``, so code catching either works.
The core itself knows nothing of Django and keeps raising ``ConfigurationError``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.core.exceptions import ImproperlyConfigured

from valkey_cache.core.exceptions import (
    CompressorError,
    ConfigurationError,
    ConnectionInterrupted,
    MissingDependencyError,
    SerializerError,
)


class ImproperlyConfiguredOption(ConfigurationError, ImproperlyConfigured):
    """A :class:`ConfigurationError` raised through django_valkey's classes."""

    @classmethod
    def from_error(cls, exc: ConfigurationError) -> ImproperlyConfiguredOption:
        """The same error (option, value, accepted and message) as this class."""
        error = cls.__new__(cls)
        error.__dict__.update(exc.__dict__)
        error.args = exc.args
        return error


@contextmanager
def as_improperly_configured() -> Iterator[None]:
    """Re-raise a :class:`ConfigurationError` as :class:`ImproperlyConfiguredOption`."""
    try:
        yield
    except ConfigurationError as exc:
        if isinstance(exc, ImproperlyConfigured):
            raise
        raise ImproperlyConfiguredOption.from_error(exc) from exc


__all__ = [
    "CompressorError",
    "ConfigurationError",
    "ConnectionInterrupted",
    "ImproperlyConfiguredOption",
    "MissingDependencyError",
    "SerializerError",
    "as_improperly_configured",
]
