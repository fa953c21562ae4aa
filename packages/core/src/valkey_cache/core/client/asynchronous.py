"""The asyncio client: the same commands, awaited on ``valkey.asyncio``.

Connections belong to an event loop, so clients are kept per running loop.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any, ClassVar, Generic, TypeVar

from ..commands.declare import AsyncSide
from ..commands.ops import Op
from ..commands.table import Commands
from ..drivers import asynchronous
from ..drivers.errors import CONNECTION_ERRORS
from ..exceptions import ConnectionInterrupted
from ..loop_local import LoopLocal

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


class AsyncClientCommands(AsyncSide, Commands, Generic[Backend]):
    """Mix into a :class:`BaseClient` for the asyncio command set (every method awaits;
    one per declaration in ``Commands``, made by ``drivers.asynchronous``).

    Every public method also answers to its ``a``-name (``aget``, ``aset``, ``aclose``...),
    subclasses' own methods included.
    """

    MATERIALIZE = asynchronous.methods
    _routes_itself: ClassVar[bool] = False

    #: Whether the generated methods may call the one connection directly
    #: (``drivers.inline``): the class routes neither by ``get_client`` nor by a
    #: ``_connection_for`` of its own.
    _inline_ok: ClassVar[bool] = True

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._routes_itself = cls.get_client is not AsyncClientCommands.get_client
        cls._inline_ok = not cls._routes_itself and cls._connection_for is AsyncClientCommands._connection_for
        add_async_names(cls)

    _server: list[str]
    _close_connection: bool
    _close_requested: Callable[[], bool]
    connection_factory: Any

    def get_next_client_index(self, write: bool = True, tried: list[int] | None = None) -> int:
        raise NotImplementedError

    #: Each event loop's clients. A plain attribute, made by ``BaseClient.__init__``'s
    #: assignment of ``_clients``: a ``cached_property`` would write the instance's
    #: ``__dict__``, and on CPython 3.11 every attribute read of an instance whose
    #: ``__dict__`` was touched stays unspecialised (about 0.02 µs each, dozens a call).
    _clients_by_loop: LoopLocal[list[Any]]

    def _clients_here(self) -> list[Any]:
        """This event loop's clients (connections belong to the loop that made them)."""
        return self._clients_by_loop.get()

    @property
    def _clients(self) -> list[Any]:
        """This loop's clients, under django-valkey 0.4's name for them."""
        return self._clients_here()

    @_clients.setter
    def _clients(self, clients: list[Any]) -> None:
        try:
            by_loop = self._clients_by_loop
        except AttributeError:  # ``BaseClient.__init__``: each loop starts with no clients
            by_loop = self._clients_by_loop = LoopLocal(lambda: [None] * len(self._server))
            if not any(clients):
                return
        by_loop.get()[:] = clients

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

    def _connection_for(self, op: Op[Any]) -> Any:
        """The client for ``op`` (see the sync client's), or a coroutine giving it when it
        must connect first."""
        clients = self._clients_by_loop.get()
        if len(clients) == 1 and not self._routes_itself:
            conn = clients[0]
            if conn is not None:
                return conn
        return self.get_client(write=op.write, key=op.route)

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


add_async_names(AsyncClientCommands)
