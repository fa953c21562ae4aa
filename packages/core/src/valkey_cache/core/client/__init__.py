"""Cache clients: a base with connection handling plus sync or async commands."""

from .asynchronous import AsyncClientCommands
from .base import BaseClient
from .cluster import AsyncClusterClient, ClusterClient
from .default import AsyncDefaultClient, AsyncHashClient, DefaultClient, HashClient
from .hash_ring import HashRing
from .herd import AsyncHerdClient, HerdClient, Marker
from .sentinel import AsyncSentinelClient, SentinelClient
from .shard import AsyncShardClient, ShardClient
from .sync import ClientCommands

__all__ = [
    "AsyncClientCommands",
    "AsyncClusterClient",
    "AsyncDefaultClient",
    "AsyncHashClient",
    "AsyncHerdClient",
    "AsyncSentinelClient",
    "AsyncShardClient",
    "BaseClient",
    "ClientCommands",
    "ClusterClient",
    "DefaultClient",
    "HashClient",
    "HashRing",
    "HerdClient",
    "Marker",
    "SentinelClient",
    "ShardClient",
]
