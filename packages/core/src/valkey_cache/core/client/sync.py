"""Blocking commands: the ``logic`` generators run on a valkey-py ``Valkey`` client."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar

from ..exceptions import ConnectionInterrupted
from . import logic
from .binding import sync_command, sync_iterator
from .direct import DirectCommands
from .ops import CONNECTION_ERRORS, Op

Backend = TypeVar("Backend")


class ClientCommands(DirectCommands, Generic[Backend]):
    """Mix into a :class:`BaseClient` for the blocking command set."""

    _clients: list[Any]
    _server: list[str]
    _close_connection: bool
    _close_requested: Callable[[], bool]
    connection_factory: Any

    def get_next_client_index(self, write: bool = True, tried: list[int] | None = None) -> int:
        raise NotImplementedError

    def get_client(self, write: bool = True, tried: list[int] | None = None, key: Any = None) -> Backend:
        """The valkey-py client for a write or a read (``key`` matters to sharding clients)."""
        index = self.get_next_client_index(write=write, tried=tried)
        client = self._clients[index]
        if client is None:
            client = self._clients[index] = self.connect(index)
        return client  # type: ignore[no-any-return]

    def _get_client(
        self, write: bool = True, tried: list[int] | None = None, client: Any = None, **kwargs: Any
    ) -> Any:
        """``client`` when given, else ``get_client(write=write, tried=tried, **kwargs)``."""
        if client:
            return client
        return self.get_client(write=write, tried=tried, **kwargs)

    def get_client_with_index(
        self, write: bool = True, tried: list[int] | None = None
    ) -> tuple[Backend, int]:
        index = self.get_next_client_index(write=write, tried=tried)
        client = self._clients[index]
        if client is None:
            client = self._clients[index] = self.connect(index)
        return client, index

    def _direct_connection(self) -> Any:
        """The connected client when there is one location and the stock routing, else None."""
        clients = self._clients
        if len(clients) == 1 and type(self).get_client is _STOCK_GET_CLIENT:
            return clients[0]
        return None

    def _connection_for(self, op: Op) -> Any:
        conn = self._direct_connection()
        return self.get_client(write=op.write, key=op.route) if conn is None else conn

    def connect(self, index: int = 0) -> Backend:
        return self.connection_factory.connect(self._server[index])  # type: ignore[no-any-return]

    def disconnect(self, index: int = 0, client: Any = None) -> None:
        client = self._clients[index] if client is None else client
        if client is not None:
            self.connection_factory.disconnect(client)

    def close(self) -> None:
        """Disconnect the pools when ``CLOSE_CONNECTION`` is set; otherwise keep them."""
        if self._close_requested():
            self._close()

    def _close(self) -> None:
        try:
            for index in range(len(self._clients)):
                self.disconnect(index=index)
        except CONNECTION_ERRORS as exc:
            raise ConnectionInterrupted(server="(closing)") from exc
        self._clients = [None] * len(self._clients)

    def __contains__(self, key: Any) -> bool:
        return bool(self.has_key(key))

    get_many = sync_command(logic.cmd_get_many)
    mget = sync_command(logic.cmd_mget)
    set_many = sync_command(logic.cmd_set_many)
    mset = sync_command(logic.cmd_mset)
    delete_many = sync_command(logic.cmd_delete_many)
    delete_pattern = sync_command(logic.cmd_delete_pattern)
    clear = sync_command(logic.cmd_clear)
    has_key = sync_command(logic.cmd_has_key)
    incr_version = sync_command(logic.cmd_incr_version)
    decr_version = sync_command(logic.cmd_decr_version)
    touch = sync_command(logic.cmd_touch)
    ttl = sync_command(logic.cmd_ttl)
    pttl = sync_command(logic.cmd_pttl)
    expire = sync_command(logic.cmd_expire)
    pexpire = sync_command(logic.cmd_pexpire)
    expire_at = sync_command(logic.cmd_expire_at)
    pexpire_at = sync_command(logic.cmd_pexpire_at)
    persist = sync_command(logic.cmd_persist)
    keys = sync_command(logic.cmd_keys)
    iter_keys = sync_iterator(logic.cmd_iter_keys)
    get_lock = sync_command(logic.cmd_get_lock)
    sadd = sync_command(logic.cmd_sadd)
    scard = sync_command(logic.cmd_scard)
    sdiff = sync_command(logic.cmd_sdiff)
    sinter = sync_command(logic.cmd_sinter)
    sunion = sync_command(logic.cmd_sunion)
    sdiffstore = sync_command(logic.cmd_sdiffstore)
    sinterstore = sync_command(logic.cmd_sinterstore)
    sunionstore = sync_command(logic.cmd_sunionstore)
    smismember = sync_command(logic.cmd_smismember)
    sismember = sync_command(logic.cmd_sismember)
    smembers = sync_command(logic.cmd_smembers)
    smove = sync_command(logic.cmd_smove)
    spop = sync_command(logic.cmd_spop)
    srandmember = sync_command(logic.cmd_srandmember)
    srem = sync_command(logic.cmd_srem)
    sscan = sync_command(logic.cmd_sscan)
    sscan_iter = sync_iterator(logic.cmd_sscan_iter)
    hset = sync_command(logic.cmd_hset)
    hget = sync_command(logic.cmd_hget)
    hmget = sync_command(logic.cmd_hmget)
    hgetall = sync_command(logic.cmd_hgetall)
    hdel = sync_command(logic.cmd_hdel)
    hlen = sync_command(logic.cmd_hlen)
    hkeys = sync_command(logic.cmd_hkeys)
    hexists = sync_command(logic.cmd_hexists)
    zadd = sync_command(logic.cmd_zadd)
    zcard = sync_command(logic.cmd_zcard)
    zcount = sync_command(logic.cmd_zcount)
    zincrby = sync_command(logic.cmd_zincrby)
    zpopmax = sync_command(logic.cmd_zpopmax)
    zpopmin = sync_command(logic.cmd_zpopmin)
    zrange = sync_command(logic.cmd_zrange)
    zrevrange = sync_command(logic.cmd_zrevrange)
    zrangebyscore = sync_command(logic.cmd_zrangebyscore)
    zrevrangebyscore = sync_command(logic.cmd_zrevrangebyscore)
    zrank = sync_command(logic.cmd_zrank)
    zrem = sync_command(logic.cmd_zrem)
    zremrangebyscore = sync_command(logic.cmd_zremrangebyscore)
    zscore = sync_command(logic.cmd_zscore)
    get_or_set = sync_command(logic.cmd_get_or_set)
    lock = get_lock


_STOCK_GET_CLIENT = ClientCommands.get_client
