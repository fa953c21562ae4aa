"""The herd client (django-valkey 0.4's path): a stale value is served while one caller
refreshes it. ``HERD_TIMEOUT`` (or the ``CACHE_HERD_TIMEOUT`` setting), see
``valkey_cache.core.client.herd``; values are tagged with 0.4's ``Marker`` class."""

from __future__ import annotations

from valkey import Valkey

from valkey_cache.core.client.herd import HerdClient as CoreHerdClient

from ..base_client import BaseClient, HerdPacking, Marker


class HerdClient(HerdPacking, BaseClient[Valkey], CoreHerdClient):
    CONNECTION_FACTORY_PATH = "django_valkey.pool.ConnectionFactory"
    MARKER_CLASS = Marker


__all__ = ["HerdClient"]
