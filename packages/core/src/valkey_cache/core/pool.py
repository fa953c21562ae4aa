"""Connection factories: from a URL and options to a valkey-py client on a shared pool.

Pools are shared by every client in the process that asks for the same URL with the
same options, and forgotten in a child after ``os.fork()`` so the child opens its own
sockets. The async factory (``async_pool``) keys pools by event loop as well.
"""

from __future__ import annotations

import difflib
import inspect
import os
import threading
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar
from urllib.parse import urlparse

from .breaker import breaker_settings, install
from .connection_params import (
    CONNECTION_OPTIONS,
    SSL_NAMES,
    TLS_SCHEMES,
    base_connection_kwargs,
    check_tls_location,
    class_option,
    kwargs_option,
    retry_settings,
    split_ssl_query,
    ssl_connection_kwargs,
    ssl_sources,
)
from .exceptions import ConfigurationError
from .imports import resolve_class

if TYPE_CHECKING:
    from valkey import Valkey
    from valkey.connection import ConnectionPool  # noqa: F401  (named in a string annotation)

Base = TypeVar("Base")
Pool = TypeVar("Pool")

_POOLS: dict[tuple[Any, ...], Any] = {}
_POOLS_LOCK = threading.Lock()

if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_POOLS.clear)


class BaseConnectionFactory(Generic[Base, Pool]):
    """Turns a URL into a connected valkey-py client.

    Subclasses set ``path_pool_cls`` and ``path_base_cls`` and implement ``connect``,
    ``disconnect``, ``get_connection`` (sync or async) and ``get_parser_cls``.
    """

    path_pool_cls: ClassVar[str]
    path_base_cls: ClassVar[str]
    retry_cls_path: ClassVar[str] = "valkey.retry.Retry"
    OPTIONS: ClassVar[frozenset[str]] = frozenset(CONNECTION_OPTIONS)

    def __init__(self, options: Mapping[str, Any]) -> None:
        self.options: Mapping[str, Any] = options
        self.pool_cls: type[Pool] = class_option(options, "CONNECTION_POOL_CLASS", self.path_pool_cls)
        pool_kwargs = kwargs_option(options, "CONNECTION_POOL_KWARGS")
        self._ssl_given = ssl_sources(options, pool_kwargs)
        # Validated once here; a location's query may still add to them (tls_params).
        self._ssl_kwargs = ssl_connection_kwargs(self._ssl_given, pool_kwargs.get("ssl_password"))
        self._tls_by_url: dict[str, tuple[str, dict[str, Any]]] = {}
        #: True when the SSL options serve other connections too (the sentinels'), so a
        #: plaintext location is no error.
        self._tls_elsewhere = False
        self.pool_cls_kwargs: dict[str, Any] = {k: v for k, v in pool_kwargs.items() if k not in SSL_NAMES}
        check_pool_kwargs(self.pool_cls, self.pool_cls_kwargs)
        self.base_client_cls: type[Base] = class_option(options, "BASE_CLIENT_CLASS", self.path_base_cls)
        self.base_client_cls_kwargs: dict[str, Any] = kwargs_option(options, "BASE_CLIENT_KWARGS")
        self._connection_kwargs = base_connection_kwargs(options)
        self._retry = retry_settings(options)
        self._breaker = breaker_settings(options)
        self._pool_identity = (
            self._breaker,
            type(self),
            self.pool_cls,
            repr(sorted(self._connection_kwargs.items())),
            repr(sorted(self.pool_cls_kwargs.items())),
            self._retry,
            options.get("PARSER_CLASS"),
        )

    def tls_params(self, url: str) -> tuple[str, dict[str, Any]]:
        """``(url without ssl_* query parameters, TLS keyword arguments)`` for ``url``.

        Raises ConfigurationError for a bad TLS setting, or one given for a location
        that does not use TLS.
        """
        cached = self._tls_by_url.get(url)
        if cached is None:
            stripped, query = split_ssl_query(url)
            if urlparse(url).scheme.lower() not in TLS_SCHEMES:
                if not self._tls_elsewhere:
                    check_tls_location(url, {**self._ssl_given, **query})
                cached = (stripped, {})
            elif query:
                password = self.pool_cls_kwargs.get("ssl_password")
                cached = (stripped, ssl_connection_kwargs({**self._ssl_given, **query}, password))
            else:
                cached = (stripped, self._ssl_kwargs)
            self._tls_by_url[url] = cached
        return cached

    def check_locations(self, urls: Iterable[str]) -> None:
        """Validate what the factory reads from each location (its TLS settings)."""
        for url in urls:
            self.tls_params(url)

    def make_connection_params(self, url: str | None) -> dict[str, Any]:
        """All keyword arguments for the pool of ``url``; the URL's own settings win."""
        params = dict(self._connection_kwargs)
        if url is not None:
            url, tls = self.tls_params(url)
            params.update(tls)
        params["url"] = url
        params["parser_class"] = self.get_parser_cls()
        retries, base, cap, errors = self._retry
        if retries:
            from valkey.backoff import ExponentialBackoff

            retry_cls = resolve_class("retry", self.retry_cls_path)
            params["retry"] = retry_cls(ExponentialBackoff(cap=cap, base=base), retries, errors)
            # valkey-py retries only the errors listed here, whatever ``retry`` supports.
            params["retry_on_error"] = list(errors)
        return params

    def get_connection_pool(self, params: dict[str, Any]) -> Pool:
        """A new pool for ``params`` (``url`` plus keyword arguments)."""
        kwargs = dict(params)
        url = kwargs.pop("url")
        kwargs.update(self.pool_cls_kwargs)
        return install(self.pool_cls.from_url(url, **kwargs), self._breaker)  # type: ignore[attr-defined, no-any-return]

    def pool_key(self, params: Mapping[str, Any]) -> tuple[Any, ...]:
        """What makes a pool for ``params`` different: the factory's class, pool class,
        pool kwargs and options, and every connection argument (URL, TLS, parser...),
        so two factories that connect differently never share a pool."""
        return (params_identity(params), *self._pool_identity)

    def get_or_create_connection_pool(self, params: dict[str, Any]) -> Pool:
        """The process-wide pool for ``params``, created on first use."""
        key = self.pool_key(params)
        pool = _POOLS.get(key)
        if pool is None:
            with _POOLS_LOCK:
                pool = _POOLS.get(key)
                if pool is None:
                    pool = _POOLS[key] = self.get_connection_pool(params)
        return pool

    def connect(self, url: str) -> Any:
        raise NotImplementedError

    def disconnect(self, connection: Any) -> Any:
        raise NotImplementedError

    def get_connection(self, params: dict[str, Any]) -> Any:
        raise NotImplementedError

    def get_parser_cls(self) -> type[Any]:
        raise NotImplementedError


class ConnectionFactory(BaseConnectionFactory["Valkey", "ConnectionPool"]):
    """valkey-py's blocking client on a shared ``ConnectionPool``."""

    path_pool_cls = "valkey.connection.ConnectionPool"
    path_base_cls = "valkey.client.Valkey"

    def __init__(self, options: Mapping[str, Any]) -> None:
        super().__init__(options)
        parser_class(options, asynchronous=False)

    def connect(self, url: str) -> Valkey:
        return self.get_connection(self.make_connection_params(url))

    def get_connection(self, params: dict[str, Any]) -> Valkey:
        pool = self.get_or_create_connection_pool(params)
        return self.base_client_cls(connection_pool=pool, **self.base_client_cls_kwargs)

    def disconnect(self, connection: Valkey) -> None:
        connection.connection_pool.disconnect()

    def get_parser_cls(self) -> type[Any]:
        return parser_class(self.options, asynchronous=False) or _default_parser()


#: valkey-py classes whose ``__init__`` reads names out of its ``**kwargs``.
_READS_KWARGS = frozenset({"SentinelConnectionPool", "SentinelManagedConnection"})


def _default_parser() -> type[Any]:
    from valkey.connection import DefaultParser

    return DefaultParser


def parser_class(options: Mapping[str, Any], asynchronous: bool) -> type[Any] | None:
    """``PARSER_CLASS`` resolved, None when not given; raises :class:`ConfigurationError`
    for a parser of the other kind (a blocking one for asyncio, or the reverse)."""
    path = options.get("PARSER_CLASS")
    if not path:
        return None
    cls = resolve_class("PARSER_CLASS", path)
    if inspect.iscoroutinefunction(getattr(cls, "read_response", None)) != asynchronous:
        kind = (
            "an asyncio parser (e.g. valkey._parsers._AsyncRESP2Parser)"
            if asynchronous
            else "a blocking parser (e.g. valkey._parsers._RESP2Parser)"
        )
        raise ConfigurationError("PARSER_CLASS", path, f"{kind} whose read_response fits this client")
    return cls


def check_pool_kwargs(pool_cls: type[Any], kwargs: Mapping[str, Any]) -> None:
    """Raise :class:`ConfigurationError` for a ``CONNECTION_POOL_KWARGS`` name that
    neither valkey-py's pool nor its connections take (valkey-py would raise TypeError
    on the first connection). Pools whose ``__init__`` is not valkey-py's are not checked:
    their own ``**kwargs`` may take anything."""
    found = _init_names(pool_cls)
    if found is None:
        return
    accepted, open_ended = found
    if open_ended:
        connection = kwargs.get("connection_class")
        for cls in (connection,) if isinstance(connection, type) else _connection_classes(pool_cls):
            names = _init_names(cls)
            if names is None or names[1]:
                return
            accepted |= names[0]
    unknown = sorted(name for name in kwargs if name not in accepted)
    if unknown:
        raise ConfigurationError(
            "CONNECTION_POOL_KWARGS",
            dict(kwargs),
            f"keyword arguments of {pool_cls.__name__} or its connections, not {unknown}"
            f" (close matches: {_close_names(unknown, accepted)})",
        )


def _init_names(cls: type[Any]) -> tuple[set[str], bool] | None:
    """``(keyword names, open-ended)`` of ``cls(...)`` through valkey-py's ``__init__``
    chain (open-ended: the last one takes ``**kwargs``); None if an ``__init__`` outside
    valkey-py takes part."""
    names: set[str] = set()
    for owner in cls.__mro__[:-1]:  # not object
        init = owner.__dict__.get("__init__")
        if init is None:
            continue
        if not getattr(owner, "__module__", "").startswith("valkey.") or owner.__name__ in _READS_KWARGS:
            return None
        try:
            parameters = list(inspect.signature(init).parameters.values())
        except (TypeError, ValueError):
            return None
        names.update(p.name for p in parameters[1:] if p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL))
        if all(p.kind is not p.VAR_KEYWORD for p in parameters):
            return names, False
    return names, True


def _connection_classes(pool_cls: type[Any]) -> tuple[type[Any], ...]:
    """The connection classes a URL may choose for a pool of ``pool_cls``."""
    from valkey import connection
    from valkey.asyncio import connection as async_connection

    module: Any = async_connection if issubclass(pool_cls, async_connection.ConnectionPool) else connection
    return (module.Connection, module.SSLConnection, module.UnixDomainSocketConnection)


def _close_names(unknown: list[str], accepted: set[str]) -> str:
    matches = sorted({match for name in unknown for match in difflib.get_close_matches(name, accepted, 3)})
    return ", ".join(matches) or "none"


def params_identity(params: Mapping[str, Any]) -> tuple[Any, ...]:
    """The connection arguments of ``params`` as a hashable value (the ``retry`` object,
    made anew per call, is left out: its settings are in the factory's identity)."""
    return tuple(
        sorted(((name, _hashable(value)) for name, value in params.items() if name != "retry"), key=repr)
    )


def _hashable(value: Any) -> Any:
    if isinstance(value, Mapping):
        return tuple(sorted(((k, _hashable(v)) for k, v in value.items()), key=repr))
    if isinstance(value, (list, tuple, set, frozenset)):
        return tuple(_hashable(item) for item in value)
    try:
        hash(value)
    except TypeError:
        return ("unhashable", id(value))
    return value


def tls_identity(params: Mapping[str, Any]) -> str:
    """The TLS settings of ``params`` as part of a pool's identity."""
    return repr(sorted((name, params[name]) for name in SSL_NAMES if name in params))


def get_connection_factory(path: Any, options: Mapping[str, Any]) -> Any:
    """Instantiate the factory named by ``CONNECTION_FACTORY`` in options, else ``path``."""
    chosen = options.get("CONNECTION_FACTORY") or path
    return resolve_class("CONNECTION_FACTORY", chosen)(options)
