"""The all-async Valkey Cluster backend (new: django-valkey 0.4 had none).

``BACKEND = "django_valkey.async_cache.cluster_cache.AsyncClusterValkeyCache"`` (also at
``...cluster_cache.cache.AsyncClusterValkeyCache``): every method a coroutine, as on
``AsyncValkeyCache``. ``ClusterValkeyCache`` serves sync and async code alike.
"""

from .cache import AsyncClusterValkeyCache

__all__ = ["AsyncClusterValkeyCache"]
