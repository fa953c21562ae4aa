"""The shard client (django-valkey 0.4's path): keys spread over the ``LOCATION``
servers by 0.4's consistent hash ring, see ``valkey_cache.core.client.shard``."""

from __future__ import annotations

from valkey import Valkey

from valkey_cache.core.client.shard import ShardClient as CoreShardClient

from ..base_client import BaseClient


class ShardClient(BaseClient[Valkey], CoreShardClient):
    CONNECTION_FACTORY_PATH = "django_valkey.pool.ConnectionFactory"


__all__ = ["ShardClient"]
