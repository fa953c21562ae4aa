"""Cache clients: a base with connection handling plus sync or async commands."""

from .asynchronous import AsyncClientCommands
from .base import BaseClient
from .default import AsyncDefaultClient, AsyncHashClient, DefaultClient, HashClient
from .sync import ClientCommands

__all__ = [
    "AsyncClientCommands",
    "AsyncDefaultClient",
    "AsyncHashClient",
    "BaseClient",
    "ClientCommands",
    "DefaultClient",
    "HashClient",
]
