"""Connection factories: from a URL and options to a valkey-py client on a shared pool.

Pools are shared by every client in the process that asks for the same URL with the
same options, and forgotten in a child after ``os.fork()`` so the child opens its own
sockets. The async factory (``async_pool``) keys pools by event loop as well.
"""

from __future__ import annotations

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
        return (params["url"], tls_identity(params), *self._pool_identity)

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

    def connect(self, url: str) -> Valkey:
        return self.get_connection(self.make_connection_params(url))

    def get_connection(self, params: dict[str, Any]) -> Valkey:
        pool = self.get_or_create_connection_pool(params)
        return self.base_client_cls(connection_pool=pool, **self.base_client_cls_kwargs)

    def disconnect(self, connection: Valkey) -> None:
        connection.connection_pool.disconnect()

    def get_parser_cls(self) -> type[Any]:
        path = self.options.get("PARSER_CLASS")
        if path:
            return resolve_class("PARSER_CLASS", path)
        from valkey.connection import DefaultParser

        return DefaultParser


def tls_identity(params: Mapping[str, Any]) -> str:
    """The TLS settings of ``params`` as part of a pool's identity."""
    return repr(sorted((name, params[name]) for name in SSL_NAMES if name in params))


def get_connection_factory(path: Any, options: Mapping[str, Any]) -> Any:
    """Instantiate the factory named by ``CONNECTION_FACTORY`` in options, else ``path``."""
    chosen = options.get("CONNECTION_FACTORY") or path
    return resolve_class("CONNECTION_FACTORY", chosen)(options)
