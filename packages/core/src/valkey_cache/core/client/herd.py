"""Herd clients: a stale value is served while one caller computes the new one.

Stored values are packed like django-valkey 0.4's herd client (see ``commands.herd``):
``(Marker(), value, expiry)``, pickled by the serializer. Pickle names the marker's
class by module path, so which class a client packs with decides who can read its
values: :attr:`HerdSettings.MARKER_CLASS`. The core packs ``valkey_cache.core.client.herd.Marker``;
the Django package packs a subclass at ``django_valkey.base_client.Marker``, the path
0.4 writes and reads, so both can share a server. Reading accepts either class.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, TypeVar

from valkey import Valkey
from valkey.asyncio import Valkey as AsyncValkey

from ..commands.herd import HerdCommands
from ..options import int_option
from .asynchronous import AsyncClientCommands
from .base import BaseClient
from .sync import ClientCommands

Backend = TypeVar("Backend")

HERD_OPTIONS: dict[str, str] = {
    "HERD_TIMEOUT": "seconds a stale value is still served while one caller refreshes it (int, default 60)",
}


class Marker:
    """Tags a value packed by a herd client."""


class HerdSettings(BaseClient[Backend]):
    #: The class whose instance tags the values this client packs.
    MARKER_CLASS: ClassVar[type[Any]] = Marker
    OPTIONS = BaseClient.OPTIONS | frozenset(HERD_OPTIONS)

    def __init__(self, server: Any, params: Mapping[str, Any], backend: Any) -> None:
        super().__init__(server, params, backend)
        self._herd_timeout: int = int_option(self._options, "HERD_TIMEOUT", 60, 0) or 0

    def is_herd_marker(self, value: Any) -> bool:
        return isinstance(value, (Marker, self.MARKER_CLASS))


class HerdClient(HerdCommands, HerdSettings[Valkey], ClientCommands[Valkey]):
    CONNECTION_FACTORY_PATH = "valkey_cache.core.pool.ConnectionFactory"


class AsyncHerdClient(HerdCommands, HerdSettings[AsyncValkey], AsyncClientCommands[AsyncValkey]):
    CONNECTION_FACTORY_PATH = "valkey_cache.core.async_pool.AsyncConnectionFactory"
