"""Clients for ``OPTIONS["CLIENT_CLASS"]`` of ``ClusterValkeyCache``."""

from .default import DefaultClusterClient

__all__ = ["DefaultClusterClient"]
