"""The Valkey Cluster backend (``ClusterValkeyCache``), its client and connection factory.

The all-async cluster backend is ``django_valkey.async_cache.cluster_cache``.
"""
