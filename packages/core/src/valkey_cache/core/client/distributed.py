"""Clients whose keys live on several servers: the routing hooks and the split commands."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any, ClassVar, TypeVar

from ..exceptions import ConnectionInterrupted
from ..options import bool_option
from . import fanout
from .base import BaseClient
from .binding import async_command, async_iterator, sync_command, sync_iterator
from .routes import Node

Backend = TypeVar("Backend")

#: ``(route, batches)``: the connection to use and the key lists one command may take.
KeyGroups = list[tuple[Any, list[list[Any]]]]


class DistributedClient(BaseClient[Backend]):
    """A :class:`BaseClient` whose keys are spread over servers (shards, cluster slots).

    Subclasses say how made keys split (:meth:`key_groups`); the commands in ``fanout``
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


class DistributedCommands:
    """Blocking split commands; list before ``ClientCommands`` in the bases."""

    get_many = sync_command(fanout.cmd_get_many)
    mget = sync_command(fanout.cmd_mget)
    set_many = sync_command(fanout.cmd_set_many)
    mset = sync_command(fanout.cmd_mset)
    delete_many = sync_command(fanout.cmd_delete_many)
    delete_pattern = sync_command(fanout.cmd_delete_pattern)
    clear = sync_command(fanout.cmd_clear)
    keys = sync_command(fanout.cmd_keys)
    iter_keys = sync_iterator(fanout.cmd_iter_keys)
    incr_version = sync_command(fanout.cmd_incr_version)
    decr_version = sync_command(fanout.cmd_decr_version)
    sdiff = sync_command(fanout.cmd_sdiff)
    sinter = sync_command(fanout.cmd_sinter)
    sunion = sync_command(fanout.cmd_sunion)
    sdiffstore = sync_command(fanout.cmd_sdiffstore)
    sinterstore = sync_command(fanout.cmd_sinterstore)
    sunionstore = sync_command(fanout.cmd_sunionstore)
    smove = sync_command(fanout.cmd_smove)


class AsyncDistributedCommands:
    """Asyncio split commands; list before ``AsyncClientCommands`` in the bases."""

    get_many = async_command(fanout.cmd_get_many)
    mget = async_command(fanout.cmd_mget)
    set_many = async_command(fanout.cmd_set_many)
    mset = async_command(fanout.cmd_mset)
    delete_many = async_command(fanout.cmd_delete_many)
    delete_pattern = async_command(fanout.cmd_delete_pattern)
    clear = async_command(fanout.cmd_clear)
    keys = async_command(fanout.cmd_keys)
    iter_keys = async_iterator(fanout.cmd_iter_keys)
    incr_version = async_command(fanout.cmd_incr_version)
    decr_version = async_command(fanout.cmd_decr_version)
    sdiff = async_command(fanout.cmd_sdiff)
    sinter = async_command(fanout.cmd_sinter)
    sunion = async_command(fanout.cmd_sunion)
    sdiffstore = async_command(fanout.cmd_sdiffstore)
    sinterstore = async_command(fanout.cmd_sinterstore)
    sunionstore = async_command(fanout.cmd_sunionstore)
    smove = async_command(fanout.cmd_smove)
