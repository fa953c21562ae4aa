"""Exceptions raised by the embedded Valkey server manager."""

from __future__ import annotations


class EmbeddedError(Exception):
    """Base class for every error raised by :mod:`valkey_cache.core.embedded`."""


class BinaryNotFoundError(EmbeddedError):
    """No ``valkey-server`` executable could be located."""


class ServerStartError(EmbeddedError):
    """A ``valkey-server`` process exited early or did not answer in time.

    ``log_tail`` holds the last lines the server wrote, to explain why.
    """

    def __init__(self, message: str, log_tail: str = "") -> None:
        full = f"{message}\n--- last lines of the server log ---\n{log_tail}" if log_tail else message
        super().__init__(full)
        self.log_tail = log_tail


class TopologyError(EmbeddedError):
    """A cluster or sentinel topology did not reach the expected state in time."""
