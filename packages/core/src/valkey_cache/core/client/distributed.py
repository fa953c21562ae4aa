"""Clients whose keys live on several servers: the routing hooks and the split commands."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any, ClassVar, TypeVar

from ..commands.routes import Node
from ..exceptions import ConnectionInterrupted
from ..options import bool_option
from .base import BaseClient

Backend = TypeVar("Backend")

#: ``(route, batches)``: the connection to use and the key lists one command may take.
KeyGroups = list[tuple[Any, list[list[Any]]]]


class DistributedClient(BaseClient[Backend]):
    """A :class:`BaseClient` whose keys are spread over servers (shards, cluster slots).

    Subclasses say how made keys split (:meth:`key_groups`); the commands in ``commands.fanout``
    use that to send one round trip per connection and merge the replies.
    """

    #: Whether a connection can run MULTI/EXEC over the keys of one batch.
    TRANSACTIONS: ClassVar[bool] = True

    def __init__(self, server: Any, params: Mapping[str, Any], backend: Any) -> None:
        super().__init__(server, params, backend)
        self._ignore_unreachable = bool_option(self._options, "IGNORE_EXCEPTIONS", False)
        self._unreachable_logger: logging.Logger | None = None
        if bool_option(self._options, "LOG_IGNORED_EXCEPTIONS", False):
            self._unreachable_logger = logging.getLogger(self._options.get("LOGGER") or "valkey_cache")

    def key_groups(self, keys: list[Any]) -> KeyGroups:
        """Split non-empty ``keys``: per connection route, the batches of keys one command may take."""
        raise NotImplementedError

    def node_key_groups(self, node: Any, keys: list[Any]) -> KeyGroups:
        """Split keys found on server ``node`` (by SCAN) for deleting them there."""
        return [(Node(node), [keys])]

    def same_place(self, *keys: Any) -> bool:
        """True when one command may take all ``keys`` (same shard, same cluster slot)."""
        if len(keys) < 2:
            return True
        groups = self.key_groups(list(keys))
        return len(groups) == 1 and len(groups[0][1]) == 1

    def tolerate(self, error: ConnectionInterrupted, command: str) -> None:
        """Re-raise ``error`` unless IGNORE_EXCEPTIONS lets ``command`` go on without that server."""
        if not self._ignore_unreachable:
            raise error
        if self._unreachable_logger is not None:
            self._unreachable_logger.warning("valkey-cache: %s went on without a server: %s", command, error)
