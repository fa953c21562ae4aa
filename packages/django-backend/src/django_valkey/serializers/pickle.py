"""Pickle, the default (``PICKLE_VERSION``, default ``pickle.DEFAULT_PROTOCOL``)."""

from __future__ import annotations

import pickle
from collections.abc import Mapping
from typing import Any

from valkey_cache.core.exceptions import ConfigurationError
from valkey_cache.core.serializer import PickleSerializer as CorePickleSerializer

from ..exceptions import ImproperlyConfiguredOption


class PickleSerializer(CorePickleSerializer):
    """The core's pickle serializer; a bad ``PICKLE_VERSION`` is ``ImproperlyConfigured``
    (an :class:`ImproperlyConfiguredOption`), worded as django-valkey 0.4 words it."""

    def __init__(self, options: Mapping[str, Any] | None = None) -> None:
        try:
            super().__init__(options)
        except ConfigurationError as exc:
            raise ImproperlyConfiguredOption(exc.option, exc.value, _accepted(exc)) from exc


def _accepted(exc: ConfigurationError) -> str:
    try:
        version = int(exc.value)
    except (TypeError, ValueError):
        return f"{exc.accepted} (PICKLE_VERSION value must be an integer)"
    if version > pickle.HIGHEST_PROTOCOL:
        highest = pickle.HIGHEST_PROTOCOL
        return f"{exc.accepted} (PICKLE_VERSION can't be higher than pickle.HIGHEST_PROTOCOL: {highest})"
    return exc.accepted


__all__ = ["PickleSerializer"]
