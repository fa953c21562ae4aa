"""Clients for ``OPTIONS["CLIENT_CLASS"]`` of ``django_valkey.cache.ValkeyCache``."""

from .default import DefaultClient, HashClient

__all__ = ["DefaultClient", "HashClient"]
