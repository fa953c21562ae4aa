"""The serializer base class, for custom serializers."""

from __future__ import annotations

from valkey_cache.core.serializer import BaseSerializer

__all__ = ["BaseSerializer"]
