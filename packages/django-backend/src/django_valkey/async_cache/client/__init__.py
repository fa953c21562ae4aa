"""Clients for ``OPTIONS["CLIENT_CLASS"]`` of ``AsyncValkeyCache`` (and ``ASYNC_CLIENT_CLASS``)."""

from .default import AsyncDefaultClient, AsyncHashClient
from .herd import AsyncHerdClient
from .sentinel import AsyncSentinelClient
from .sharded import AsyncShardClient

__all__ = [
    "AsyncDefaultClient",
    "AsyncHashClient",
    "AsyncHerdClient",
    "AsyncSentinelClient",
    "AsyncShardClient",
]
