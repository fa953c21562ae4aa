"""Clients for ``OPTIONS["CLIENT_CLASS"]`` of ``AsyncValkeyCache`` (and ``ASYNC_CLIENT_CLASS``)."""

from .default import AsyncDefaultClient, AsyncHashClient

__all__ = ["AsyncDefaultClient", "AsyncHashClient"]
