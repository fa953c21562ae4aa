"""The Sentinel client (django-valkey 0.4's path): writes to the master the sentinels
name, reads from ``?is_master=0`` locations; see ``valkey_cache.core.client.sentinel``."""

from __future__ import annotations

from valkey import Valkey

from valkey_cache.core.client.sentinel import SentinelClient as CoreSentinelClient

from ..base_client import BaseClient


class SentinelClient(BaseClient[Valkey], CoreSentinelClient):
    CONNECTION_FACTORY_PATH = "django_valkey.pool.SentinelConnectionFactory"
    GLOBAL_FACTORY_BASE = "valkey_cache.core.sentinel_pool.SentinelConnectionFactory"


__all__ = ["SentinelClient"]
