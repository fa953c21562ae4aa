"""Client building blocks: the core's, with Django's choice of connection factory.

A client is ``BaseClient`` plus ``ClientCommands`` (blocking) or
``AsyncClientCommands`` (asyncio)::

    class DefaultClient(BaseClient[Valkey], ClientCommands[Valkey]):
        CONNECTION_FACTORY_PATH = "django_valkey.pool.ConnectionFactory"

``CONNECTION_FACTORY_PATH`` is used when neither ``OPTIONS["CONNECTION_FACTORY"]`` nor
the ``DJANGO_VALKEY_CONNECTION_FACTORY`` setting names a factory.
"""

from __future__ import annotations

import time
from typing import Any, ClassVar, TypeVar

from django.conf import settings

from valkey_cache.core.client.asynchronous import AsyncClientCommands
from valkey_cache.core.client.base import BaseClient as CoreBaseClient
from valkey_cache.core.client.herd import Marker as CoreMarker
from valkey_cache.core.client.sync import ClientCommands
from valkey_cache.core.commands import herd as herd_logic
from valkey_cache.core.keys import make_pattern
from valkey_cache.core.options import bool_option

from .settings import connection_factory_setting

Backend = TypeVar("Backend")


class Marker(CoreMarker):
    """Tags the values the herd clients pack (see ``valkey_cache.core.client.herd``).

    Pickle records this class as ``django_valkey.base_client.Marker``, the path
    django-valkey 0.4 packs and unpacks, so herd values written by either one are read
    by the other.
    """


class HerdPacking:
    """django-valkey 0.4's herd helpers: ``_pack`` and ``_unpack`` of stored tuples."""

    _backend: Any

    def _pack(self, value: Any, timeout: Any) -> tuple[Any, Any, float]:
        """``(marker, value, expiry)`` as the herd client stores ``value`` for ``timeout`` seconds."""
        return herd_logic.pack(self, value, int(time.time()) + (timeout or self._backend.default_timeout))  # type: ignore[arg-type]

    def _unpack(self, value: Any) -> tuple[Any, float | None]:
        """``(value, expiry)`` of a packed value; ``(value, None)`` for any other."""
        return herd_logic.unpack(self, value)  # type: ignore[arg-type]


class BaseClient(CoreBaseClient[Backend]):
    """Connection handling and encoding; mix in ``ClientCommands`` or ``AsyncClientCommands``."""

    CONNECTION_FACTORY_PATH: ClassVar[str] = "django_valkey.pool.ConnectionFactory"
    #: The ``DJANGO_VALKEY_CONNECTION_FACTORY`` setting applies to this client only
    #: when it names a subclass of this factory (None: any factory of the client's kind).
    GLOBAL_FACTORY_BASE: ClassVar[str | None] = None

    def connection_factory_path(self) -> str:
        return connection_factory_setting(self, self.GLOBAL_FACTORY_BASE) or self.CONNECTION_FACTORY_PATH

    def _close_requested(self) -> bool:
        """``CLOSE_CONNECTION`` as it stands at close time, as 0.4 reads it: this client's
        ``_options``, else the cache's ``OPTIONS``, else ``DJANGO_VALKEY_CLOSE_CONNECTION``."""
        for options in (self._options, getattr(self._backend, "_params", {}).get("OPTIONS") or {}):
            if "CLOSE_CONNECTION" in options:
                return bool_option(options, "CLOSE_CONNECTION", False)
        return bool(getattr(settings, "DJANGO_VALKEY_CLOSE_CONNECTION", False))

    def make_pattern(self, pattern: Any, version: Any = None, prefix: str | None = None) -> Any:
        # Patterns are not keys: build them with the key function as configured,
        # without the cache's memcached key warnings.
        backend = self._backend
        key_func = getattr(backend, "raw_key_func", None) or backend.key_func
        return make_pattern(
            pattern,
            key_func,
            backend.version if version is None else version,
            backend.key_prefix if prefix is None else prefix,
        )


__all__ = ["AsyncClientCommands", "BaseClient", "ClientCommands", "HerdPacking", "Marker"]
