"""Clients for ``OPTIONS["CLIENT_CLASS"]`` of ``django_valkey.cache.ValkeyCache``."""

from .default import DefaultClient, HashClient
from .herd import HerdClient
from .sentinel import SentinelClient
from .sharded import ShardClient

__all__ = ["DefaultClient", "HashClient", "HerdClient", "SentinelClient", "ShardClient"]
