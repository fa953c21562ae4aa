"""Django cache backends for Valkey, a drop-in for django-valkey.

``BACKEND = "django_valkey.cache.ValkeyCache"`` serves sync and async code (native
async ``a``-methods); ``django_valkey.async_cache.cache.AsyncValkeyCache`` is the
all-coroutine backend of django-valkey 0.4.
"""

from __future__ import annotations

from typing import Any

from ._connection import valkey_connection

VERSION = (0, 5, 0)
__version__ = ".".join(map(str, VERSION))


def get_valkey_connection(alias: str = "default", write: bool = True, key: Any = None) -> Any:
    """The valkey-py client behind cache ``alias``, for commands the cache lacks.

    ``write`` picks the primary (True) or a replica; ``key`` picks the server for
    sharding clients. For ``AsyncValkeyCache`` this is a coroutine: await it, or use
    ``django_valkey.async_cache.get_valkey_connection``.
    """
    return valkey_connection(alias, write, key)


__all__ = ["VERSION", "__version__", "get_valkey_connection"]
