"""Asyncio commands: the same ``logic`` generators, awaited on ``valkey.asyncio``.

Connections belong to an event loop, so clients are kept per running loop.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from functools import cached_property
from typing import Any, Generic, TypeVar

from ..exceptions import ConnectionInterrupted
from ..loop_local import LoopLocal
from . import logic
from .binding import async_command, async_iterator
from .direct import AsyncDirectCommands
from .ops import CONNECTION_ERRORS, Op

Backend = TypeVar("Backend")


class AsyncName:
    """``a<name>``: the client's own ``<name>`` (django-valkey 0.4's async spelling)."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __get__(self, obj: Any, owner: type[Any] | None = None) -> Any:
        return getattr(owner if obj is None else obj, self.name)


def add_async_names(cls: type[Any]) -> None:
    """Give each public method of ``cls`` that lacks one an ``a``-name (``aset``, ``aclose``...)."""
    for name in dir(cls):
        if name.startswith("_") or not name.islower() or hasattr(cls, "a" + name):
            continue
        if callable(inspect.getattr_static(cls, name)):
            setattr(cls, "a" + name, AsyncName(name))


class AsyncClientCommands(AsyncDirectCommands, Generic[Backend]):
    """Mix into a :class:`BaseClient` for the asyncio command set (every method awaits).

    Every public method also answers to its ``a``-name (``aget``, ``aset``, ``aclose``...),
    subclasses' own methods included.
    """

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        add_async_names(cls)

    _server: list[str]
    _close_connection: bool
    _close_requested: Callable[[], bool]
    connection_factory: Any

    def get_next_client_index(self, write: bool = True, tried: list[int] | None = None) -> int:
        raise NotImplementedError

    @cached_property
    def _clients_by_loop(self) -> LoopLocal[list[Any]]:
        return LoopLocal(lambda: [None] * len(self._server))

    def _clients_here(self) -> list[Any]:
        """This event loop's clients (connections belong to the loop that made them)."""
        return self._clients_by_loop.get()

    @property
    def _clients(self) -> list[Any]:
        """This loop's clients, under django-valkey 0.4's name for them."""
        return self._clients_here()

    @_clients.setter
    def _clients(self, clients: list[Any]) -> None:
        if "_clients_by_loop" not in self.__dict__ and not any(clients):
            return  # ``__init__``: each loop starts with no clients anyway
        self._clients_here()[:] = clients

    async def get_client(
        self, write: bool = True, tried: list[int] | None = None, key: Any = None
    ) -> Backend:
        index = self.get_next_client_index(write=write, tried=tried)
        clients = self._clients_here()
        client = clients[index]
        if client is None:
            client = clients[index] = await self.connect(index)
        return client  # type: ignore[no-any-return]

    async def _get_client(
        self, write: bool = True, tried: list[int] | None = None, client: Any = None, **kwargs: Any
    ) -> Any:
        """``client`` when given, else ``await get_client(write=write, tried=tried, **kwargs)``."""
        if client:
            return client
        return await self.get_client(write=write, tried=tried, **kwargs)

    async def get_client_with_index(
        self, write: bool = True, tried: list[int] | None = None
    ) -> tuple[Backend, int]:
        index = self.get_next_client_index(write=write, tried=tried)
        clients = self._clients_here()
        client = clients[index]
        if client is None:
            client = clients[index] = await self.connect(index)
        return client, index

    def _direct_connection(self) -> Any:
        """This loop's connected client when there is one location and the stock routing."""
        clients = self._clients_here()
        if len(clients) == 1 and type(self).get_client is _STOCK_GET_CLIENT:
            return clients[0]
        return None

    def _connection_for(self, op: Op) -> Any:
        """The client for ``op``, or a coroutine giving it when it must connect first."""
        conn = self._direct_connection()
        return self.get_client(write=op.write, key=op.route) if conn is None else conn

    async def connect(self, index: int = 0) -> Backend:
        return await self.connection_factory.connect(self._server[index])  # type: ignore[no-any-return]

    async def disconnect(self, index: int = 0, client: Any = None) -> None:
        client = self._clients_here()[index] if client is None else client
        if client is not None:
            await self.connection_factory.disconnect(client)

    async def close(self) -> None:
        """Disconnect this loop's pools when ``CLOSE_CONNECTION`` is set."""
        if self._close_requested():
            await self._close()

    async def _close(self) -> None:
        clients = self._clients_here()
        try:
            for index, client in enumerate(clients):
                if client is not None:
                    await self.connection_factory.disconnect(client)
                    clients[index] = None
        except CONNECTION_ERRORS as exc:
            raise ConnectionInterrupted(server="(closing)") from exc

    get_many = async_command(logic.cmd_get_many)
    mget = async_command(logic.cmd_mget)
    set_many = async_command(logic.cmd_set_many)
    mset = async_command(logic.cmd_mset)
    delete_many = async_command(logic.cmd_delete_many)
    delete_pattern = async_command(logic.cmd_delete_pattern)
    clear = async_command(logic.cmd_clear)
    has_key = async_command(logic.cmd_has_key)
    incr_version = async_command(logic.cmd_incr_version)
    decr_version = async_command(logic.cmd_decr_version)
    touch = async_command(logic.cmd_touch)
    ttl = async_command(logic.cmd_ttl)
    pttl = async_command(logic.cmd_pttl)
    expire = async_command(logic.cmd_expire)
    pexpire = async_command(logic.cmd_pexpire)
    expire_at = async_command(logic.cmd_expire_at)
    pexpire_at = async_command(logic.cmd_pexpire_at)
    persist = async_command(logic.cmd_persist)
    keys = async_command(logic.cmd_keys)
    iter_keys = async_iterator(logic.cmd_iter_keys)
    get_lock = async_command(logic.cmd_get_lock)
    sadd = async_command(logic.cmd_sadd)
    scard = async_command(logic.cmd_scard)
    sdiff = async_command(logic.cmd_sdiff)
    sinter = async_command(logic.cmd_sinter)
    sunion = async_command(logic.cmd_sunion)
    sdiffstore = async_command(logic.cmd_sdiffstore)
    sinterstore = async_command(logic.cmd_sinterstore)
    sunionstore = async_command(logic.cmd_sunionstore)
    smismember = async_command(logic.cmd_smismember)
    sismember = async_command(logic.cmd_sismember)
    smembers = async_command(logic.cmd_smembers)
    smove = async_command(logic.cmd_smove)
    spop = async_command(logic.cmd_spop)
    srandmember = async_command(logic.cmd_srandmember)
    srem = async_command(logic.cmd_srem)
    sscan = async_command(logic.cmd_sscan)
    sscan_iter = async_iterator(logic.cmd_sscan_iter)
    hset = async_command(logic.cmd_hset)
    hget = async_command(logic.cmd_hget)
    hmget = async_command(logic.cmd_hmget)
    hgetall = async_command(logic.cmd_hgetall)
    hdel = async_command(logic.cmd_hdel)
    hlen = async_command(logic.cmd_hlen)
    hkeys = async_command(logic.cmd_hkeys)
    hexists = async_command(logic.cmd_hexists)
    zadd = async_command(logic.cmd_zadd)
    zcard = async_command(logic.cmd_zcard)
    zcount = async_command(logic.cmd_zcount)
    zincrby = async_command(logic.cmd_zincrby)
    zpopmax = async_command(logic.cmd_zpopmax)
    zpopmin = async_command(logic.cmd_zpopmin)
    zrange = async_command(logic.cmd_zrange)
    zrevrange = async_command(logic.cmd_zrevrange)
    zrangebyscore = async_command(logic.cmd_zrangebyscore)
    zrevrangebyscore = async_command(logic.cmd_zrevrangebyscore)
    zrank = async_command(logic.cmd_zrank)
    zrem = async_command(logic.cmd_zrem)
    zremrangebyscore = async_command(logic.cmd_zremrangebyscore)
    zscore = async_command(logic.cmd_zscore)
    get_or_set = async_command(logic.cmd_get_or_set)
    lock = get_lock


add_async_names(AsyncClientCommands)
_STOCK_GET_CLIENT = AsyncClientCommands.get_client
