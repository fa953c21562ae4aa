"""The blocking client: one or more standalone servers (the first takes writes)."""

from __future__ import annotations

from valkey import Valkey

from ..base_client import BaseClient, ClientCommands


class DefaultClient(BaseClient[Valkey], ClientCommands[Valkey]):
    CONNECTION_FACTORY_PATH = "django_valkey.pool.ConnectionFactory"


#: django-valkey 0.4's client with the hash commands; every client has them here.
HashClient = DefaultClient

__all__ = ["DefaultClient", "HashClient"]
