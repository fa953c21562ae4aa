"""Connection factories for Sentinel-managed servers (sync and asyncio).

A LOCATION such as ``valkey://mymaster/0`` names the service the sentinels monitor
(``SENTINELS``: ``[(host, port), ...]``). Its pool asks them for the current master on
every new connection, and drops connections to a master that was demoted; with
``?is_master=0`` the pool connects to a replica instead (the master if none is up).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import parse_qsl, urlencode, urlparse, urlunparse

from .async_pool import AsyncConnectionFactory
from .breaker import BreakerSettings, install
from .connection_params import SSL_NAMES, TLS_SCHEMES, ssl_connection_kwargs
from .exceptions import ConfigurationError
from .imports import resolve_class
from .loop_local import LoopLocal
from .options import bool_option, mapping_option
from .pool import ConnectionFactory

if TYPE_CHECKING:
    from valkey.asyncio.sentinel import Sentinel as AsyncSentinel
    from valkey.sentinel import Sentinel

SENTINEL_OPTIONS: dict[str, str] = {
    "SENTINELS": "list of (host, port) of the sentinels",
    "SENTINEL_KWARGS": "dict of connection arguments for the sentinels themselves",
}


def url_role(url: str) -> tuple[str, bool]:
    """``(url without is_master, is_master)``; a location is a master unless ``is_master=0``."""
    parsed = urlparse(url)
    query = parse_qsl(parsed.query, keep_blank_values=True)
    roles = [value for name, value in query if name == "is_master"]
    if not roles:
        return url, True
    is_master = bool_option({"is_master": roles[-1]}, "is_master", True)
    kept = urlencode([(name, value) for name, value in query if name != "is_master"])
    return urlunparse(parsed._replace(query=kept)), is_master


def sentinel_addresses(options: Mapping[str, Any]) -> list[tuple[str, int]]:
    value = options.get("SENTINELS")
    accepted = "a non-empty list of (host, port) pairs"
    if not value or isinstance(value, (str, bytes)):
        raise ConfigurationError("SENTINELS", value, accepted)
    addresses = []
    for item in value:
        try:
            host, port = item
            addresses.append((str(host), int(port)))
        except (TypeError, ValueError):
            raise ConfigurationError("SENTINELS", value, accepted) from None
    return addresses


class _SentinelSettings:
    """What both factories read from the options and put in the pool identity."""

    options: Mapping[str, Any]
    pool_cls: type[Any]
    pool_cls_kwargs: dict[str, Any]
    _pool_identity: tuple[Any, ...]
    _connection_kwargs: dict[str, Any]
    _breaker: BreakerSettings | None
    _ssl_given: dict[str, tuple[str, Any]]
    _tls_elsewhere: bool
    sentinel_pool_base: ClassVar[str]

    def _read_sentinel_options(self) -> None:
        base = resolve_class("CONNECTION_POOL_CLASS", self.sentinel_pool_base)
        if not issubclass(self.pool_cls, base):
            raise ConfigurationError(
                "CONNECTION_POOL_CLASS", self.pool_cls, f"a subclass of {self.sentinel_pool_base}"
            )
        self.sentinels = sentinel_addresses(self.options)
        self.sentinel_kwargs: dict[str, Any] | None = mapping_option(self.options, "SENTINEL_KWARGS") or None
        if self.sentinel_kwargs and bool_option(self.sentinel_kwargs, "ssl", False):
            # The SSL options apply to the sentinels as well; SENTINEL_KWARGS' own ssl_* win.
            own = {
                name: (f"SENTINEL_KWARGS[{name!r}]", value)
                for name, value in self.sentinel_kwargs.items()
                if name in SSL_NAMES
            }
            password = self.sentinel_kwargs.get("ssl_password")
            tls = ssl_connection_kwargs({**self._ssl_given, **own}, password)
            self.sentinel_kwargs = {**self.sentinel_kwargs, **tls}
            self._tls_elsewhere = True
        self._pool_identity = (
            *self._pool_identity,
            tuple(self.sentinels),
            repr(sorted((self.sentinel_kwargs or {}).items())),
        )

    def _sentinel_args(self) -> dict[str, Any]:
        """Keyword arguments of the Sentinel manager: without SENTINEL_KWARGS the
        sentinels get the socket timeouts of the data connections."""
        kwargs = {k: v for k, v in self._connection_kwargs.items() if k.startswith("socket_")}
        return {"sentinel_kwargs": self.sentinel_kwargs, **kwargs}

    def _pool_from(self, params: dict[str, Any], manager: Any) -> Any:
        kwargs = dict(params)
        url, is_master = url_role(kwargs.pop("url"))
        parsed = urlparse(url)
        if parsed.scheme.lower() in TLS_SCHEMES:
            # From a valkeys:// URL valkey-py would make plain SSL connections to the
            # service name; ssl=True makes sentinel-managed ones.
            url = urlunparse(parsed._replace(scheme="valkey"))
            kwargs["ssl"] = True
        kwargs.update(self.pool_cls_kwargs)
        pool = self.pool_cls.from_url(
            url,
            service_name=urlparse(url).hostname,
            sentinel_manager=manager,
            is_master=is_master,
            **kwargs,
        )
        return install(pool, self._breaker)


class SentinelConnectionFactory(_SentinelSettings, ConnectionFactory):
    """Blocking clients on ``valkey.sentinel.SentinelConnectionPool``."""

    path_pool_cls = "valkey.sentinel.SentinelConnectionPool"
    sentinel_pool_base = "valkey.sentinel.SentinelConnectionPool"
    OPTIONS = ConnectionFactory.OPTIONS | frozenset(SENTINEL_OPTIONS)

    def __init__(self, options: Mapping[str, Any]) -> None:
        super().__init__(options)
        self._read_sentinel_options()
        self._manager: Sentinel | None = None

    def sentinel_manager(self) -> Sentinel:
        if self._manager is None:
            from valkey.sentinel import Sentinel

            manager_cls: Any = Sentinel
            self._manager = manager_cls(self.sentinels, **self._sentinel_args())
        return self._manager

    def get_connection_pool(self, params: dict[str, Any]) -> Any:
        return self._pool_from(params, self.sentinel_manager())


class AsyncSentinelConnectionFactory(_SentinelSettings, AsyncConnectionFactory):
    """Asyncio clients on ``valkey.asyncio.sentinel.SentinelConnectionPool``; the sentinel
    connections, like the pools, belong to one event loop."""

    path_pool_cls = "valkey.asyncio.sentinel.SentinelConnectionPool"
    sentinel_pool_base = "valkey.asyncio.sentinel.SentinelConnectionPool"
    OPTIONS = AsyncConnectionFactory.OPTIONS | frozenset(SENTINEL_OPTIONS)

    def __init__(self, options: Mapping[str, Any]) -> None:
        super().__init__(options)
        self._read_sentinel_options()
        self._managers: LoopLocal[AsyncSentinel] = LoopLocal(self._new_manager, _close_sentinels)

    def _new_manager(self) -> AsyncSentinel:
        from valkey.asyncio.sentinel import Sentinel

        manager_cls: Any = Sentinel
        return manager_cls(self.sentinels, **self._sentinel_args())  # type: ignore[no-any-return]

    def sentinel_manager(self) -> AsyncSentinel:
        return self._managers.get()

    def get_connection_pool(self, params: dict[str, Any]) -> Any:
        return self._pool_from(params, self.sentinel_manager())


async def _close_sentinels(manager: AsyncSentinel) -> None:
    for sentinel in manager.sentinels:
        await sentinel.aclose()
