"""The blocking client: every declared command runs on a valkey-py ``Valkey`` client."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar, Generic, TypeVar

from ..commands.ops import Op
from ..commands.table import Commands
from ..drivers import sync
from ..drivers.errors import CONNECTION_ERRORS
from ..exceptions import ConnectionInterrupted

Backend = TypeVar("Backend")


class ClientCommands(Commands, Generic[Backend]):
    """Mix into a :class:`BaseClient` for the blocking command set (one method per
    declaration in ``Commands``, made by ``drivers.sync``)."""

    MATERIALIZE = sync.methods
    #: Whether a subclass routes by its own ``get_client`` (then always asked).
    _routes_itself: ClassVar[bool] = False

    #: Whether the generated methods may call the one connection directly
    #: (``drivers.inline``): the class routes neither by ``get_client`` nor by a
    #: ``_connection_for`` of its own.
    _inline_ok: ClassVar[bool] = True

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._routes_itself = cls.get_client is not ClientCommands.get_client
        cls._inline_ok = not cls._routes_itself and cls._connection_for is ClientCommands._connection_for

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

    def _connection_for(self, op: Op[Any]) -> Any:
        """The connection for ``op``. With one location it takes everything (the usual
        case costs one check); with replicas ``get_client`` picks one, as it does for a
        subclass with a ``get_client`` of its own."""
        clients = self._clients
        if len(clients) == 1 and not self._routes_itself:
            conn = clients[0]
            if conn is not None:
                return conn
        return self.get_client(write=op.write, key=op.route)

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
