"""The serializer protocol's base class and the default pickle serializer."""

from __future__ import annotations

import pickle
from collections.abc import Mapping
from typing import Any, ClassVar

from .options import int_option


class BaseSerializer:
    """Turns values into bytes and back. Subclasses take their settings from ``options``.

    ``OPTIONS`` lists the option names a serializer reads, so configuration checks can
    tell a misspelt option from one that belongs to a serializer.
    """

    OPTIONS: ClassVar[frozenset[str]] = frozenset()

    def __init__(self, options: Mapping[str, Any] | None = None) -> None:
        self._options: Mapping[str, Any] = options or {}

    def dumps(self, value: Any) -> bytes:
        raise NotImplementedError

    def loads(self, value: bytes) -> Any:
        raise NotImplementedError


class PickleSerializer(BaseSerializer):
    """Pickle with ``PICKLE_VERSION`` (default: ``pickle.DEFAULT_PROTOCOL``)."""

    OPTIONS: ClassVar[frozenset[str]] = frozenset({"PICKLE_VERSION"})

    def __init__(self, options: Mapping[str, Any] | None = None) -> None:
        super().__init__(options)
        protocol = int_option(
            self._options, "PICKLE_VERSION", pickle.DEFAULT_PROTOCOL, -1, pickle.HIGHEST_PROTOCOL
        )
        self._pickle_version: int = pickle.DEFAULT_PROTOCOL if protocol is None else protocol

    def dumps(self, value: Any) -> bytes:
        return pickle.dumps(value, self._pickle_version)

    def loads(self, value: bytes) -> Any:
        return pickle.loads(value)
