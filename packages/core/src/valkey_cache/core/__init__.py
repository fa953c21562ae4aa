"""valkey-cache core: a framework-agnostic Valkey cache.

``Cache`` / ``AsyncCache`` for applications; the clients, connection factories and the
key and value utilities for libraries built on top (such as the Django backend).
"""

from .client import (
    AsyncClientCommands,
    AsyncDefaultClient,
    BaseClient,
    ClientCommands,
    DefaultClient,
)
from .codec import decode, encode
from .compressor import BaseCompressor, IdentityCompressor
from .exceptions import (
    CompressorError,
    ConfigurationError,
    ConnectionInterrupted,
    DecompressionLimitExceeded,
    MissingDependencyError,
    SerializerError,
    ValkeyCacheError,
)
from .facade import AsyncCache, Cache
from .keys import CacheKey, default_key_func, default_reverse_key, make_key, make_pattern
from .pool import BaseConnectionFactory, ConnectionFactory
from .serializer import BaseSerializer, PickleSerializer
from .timeouts import DEFAULT_TIMEOUT

__all__ = [
    "DEFAULT_TIMEOUT",
    "AsyncCache",
    "AsyncClientCommands",
    "AsyncDefaultClient",
    "BaseClient",
    "BaseCompressor",
    "BaseConnectionFactory",
    "BaseSerializer",
    "Cache",
    "CacheKey",
    "ClientCommands",
    "CompressorError",
    "ConfigurationError",
    "ConnectionFactory",
    "ConnectionInterrupted",
    "DecompressionLimitExceeded",
    "DefaultClient",
    "IdentityCompressor",
    "MissingDependencyError",
    "PickleSerializer",
    "SerializerError",
    "ValkeyCacheError",
    "decode",
    "default_key_func",
    "default_reverse_key",
    "encode",
    "make_key",
    "make_pattern",
]
