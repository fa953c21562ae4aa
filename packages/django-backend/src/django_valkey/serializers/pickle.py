"""Pickle, the default (``PICKLE_VERSION``, default ``pickle.DEFAULT_PROTOCOL``)."""

from __future__ import annotations

from valkey_cache.core.serializer import PickleSerializer

__all__ = ["PickleSerializer"]
