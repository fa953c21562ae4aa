"""Connection factories for Valkey Cluster (valkey-py's ``ValkeyCluster``, sync and asyncio).

A cluster client discovers the nodes, keeps a pool per node and follows MOVED/ASK and
failovers itself, so the "pool" shared process-wide (per event loop for asyncio) is the
cluster client: one per LOCATION and options. The connection options apply to every
node: password, user, socket timeouts, retries, health checks, TLS and the pool options.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

from valkey.exceptions import ConnectionError as ValkeyConnectionError
from valkey.exceptions import TimeoutError as ValkeyTimeoutError
from valkey.exceptions import ValkeyClusterException

from .async_pool import LOOP_POOLS, AsyncConnectionFactory
from .breaker import BreakerSettings, CircuitOpenError, guarded_class, install
from .connection_params import SSL_NAMES
from .drivers.errors import is_outage, refusal
from .exceptions import ConfigurationError
from .imports import resolve_class
from .options import bool_option
from .pool import BaseConnectionFactory, tls_identity
from .redaction import redact_url

if TYPE_CHECKING:
    from valkey.asyncio.cluster import ValkeyCluster as AsyncValkeyCluster
    from valkey.cluster import ValkeyCluster
    from valkey.connection import ConnectionPool  # noqa: F401  (named in a string annotation)

CLUSTER_OPTIONS: dict[str, str] = {
    "READ_FROM_REPLICAS": "send read commands to replicas too, round robin (bool, default False)",
}


def _address(url: str) -> tuple[str, int]:
    parsed = urlparse(url)
    return parsed.hostname or "127.0.0.1", parsed.port or 6379


def _configuration_error(url: str, exc: ValkeyClusterException, user: str | None = None) -> None:
    """Raise a ConfigurationError when the cluster client was refused for another reason
    than an unreachable node (no cluster at that URL, a database other than 0...)."""
    host, port = _address(url)
    refused = refusal(exc, server=f"{host}:{port}", user=urlparse(url).username or user or "default")
    if refused is not None:
        raise refused from exc
    if not is_outage(exc):
        raise ConfigurationError("LOCATION", redact_url(url), f"the URL of a cluster node ({exc})") from exc


try:  # a private class of valkey-py: without it, the stock behaviour stays
    from valkey._parsers import AsyncCommandsParser
except ImportError:  # pragma: no cover (valkey-py moved it)
    AsyncCommandsParser = None  # type: ignore[misc,assignment]


class _SteadyCommandTable(AsyncCommandsParser or object):  # type: ignore[misc]
    """After every topology reset the asyncio cluster client reloads the command table
    from its first primary and fails the reset if that node is down, which stops every
    command until a failover completes. The table does not change with the topology:
    keep the one already loaded."""

    async def initialize(self, node: Any = None) -> None:
        previous = getattr(self, "node", None)
        try:
            await super().initialize(node)
        except (ValkeyConnectionError, ValkeyTimeoutError, CircuitOpenError):
            if not self.commands or previous is None:
                raise
            self.node = previous


def _guarded_pool(pool_cls: Any, settings: BreakerSettings, **kwargs: Any) -> Any:
    """A node's pool (blocking cluster client) whose connections have a circuit breaker."""
    return install(pool_cls(**kwargs), settings)


def _guard_nodes(cluster: Any, settings: BreakerSettings) -> None:
    """Give every node of an asyncio cluster client, known now or discovered later,
    connections with a circuit breaker (before the first connection is made)."""
    kwargs = cluster.nodes_manager.connection_kwargs
    base = kwargs.get("connection_class") or _async_connection()
    kwargs["connection_class"] = guarded_class(base, settings, sends=True)
    for node in cluster.nodes_manager.startup_nodes.values():
        node.connection_class = guarded_class(node.connection_class, settings, sends=True)


def _async_connection() -> type[Any]:
    from valkey.asyncio.connection import Connection

    return Connection


class _ClusterSettings:
    options: Mapping[str, Any]
    _pool_identity: tuple[Any, ...]

    def _read_cluster_options(self) -> None:
        self.read_from_replicas = bool_option(self.options, "READ_FROM_REPLICAS", False)
        self._pool_identity = (*self._pool_identity, self.read_from_replicas)

    def pool_key(self, params: Mapping[str, Any]) -> tuple[Any, ...]:
        return (params["url"], params.get("startup_urls", ()), tls_identity(params), *self._pool_identity)


class ClusterConnectionFactory(_ClusterSettings, BaseConnectionFactory["ValkeyCluster", "ConnectionPool"]):
    """Blocking ``ValkeyCluster``; ``connect`` takes extra LOCATION entries as startup nodes."""

    path_pool_cls = "valkey.connection.ConnectionPool"
    path_base_cls = "valkey.cluster.ValkeyCluster"
    OPTIONS = BaseConnectionFactory.OPTIONS | frozenset(CLUSTER_OPTIONS)

    def __init__(self, options: Mapping[str, Any]) -> None:
        super().__init__(options)
        self._read_cluster_options()

    def connect(self, url: str, startup_urls: Sequence[str] = ()) -> ValkeyCluster:
        params = self.make_connection_params(url)
        params["startup_urls"] = tuple(startup_urls)
        return self.get_connection(params)

    def get_connection(self, params: dict[str, Any]) -> ValkeyCluster:
        return self.get_or_create_connection_pool(params)  # type: ignore[return-value]

    def get_connection_pool(self, params: dict[str, Any]) -> Any:
        """A new cluster client for ``params``; it makes a pool per node."""
        from valkey.cluster import ClusterNode as Node

        node_cls: Any = Node
        kwargs = dict(params)
        url = kwargs.pop("url")
        startup = [node_cls(*_address(u)) for u in kwargs.pop("startup_urls", ())]
        kwargs.pop("parser_class", None)  # the cluster client sets its own parser
        # ValkeyCluster drops keyword arguments it does not know; the node pools take them.
        node_kwargs: dict[str, Any] = {
            k: kwargs.pop(k) for k in ("health_check_interval", "retry_on_error", *SSL_NAMES) if k in kwargs
        }
        node_kwargs.update(self.pool_cls_kwargs)
        pool_cls: Any = self.pool_cls
        if self._breaker is not None:
            pool_cls = functools.partial(_guarded_pool, pool_cls, self._breaker)
        if node_kwargs:
            pool_cls = functools.partial(pool_cls, **node_kwargs)
        kwargs["connection_pool_class"] = pool_cls
        kwargs["read_from_replicas"] = self.read_from_replicas
        kwargs.update(self.base_client_cls_kwargs)
        try:
            return self.base_client_cls(url=url, startup_nodes=startup, **kwargs)
        except ValkeyClusterException as exc:
            _configuration_error(url, exc, kwargs.get("username"))
            raise

    def disconnect(self, connection: ValkeyCluster) -> None:
        connection.disconnect_connection_pools()  # type: ignore[no-untyped-call]

    def get_parser_cls(self) -> type[Any]:
        from valkey.connection import DefaultParser

        return DefaultParser


class AsyncClusterConnectionFactory(_ClusterSettings, AsyncConnectionFactory):
    """``valkey.asyncio.ValkeyCluster``, one per event loop; initialized on connect.

    The asyncio cluster client keeps its own connections per node: of the pool options
    only ``CONNECTION_POOL_KWARGS={"max_connections": n}`` applies.
    """

    path_base_cls = "valkey.asyncio.cluster.ValkeyCluster"
    OPTIONS = AsyncConnectionFactory.OPTIONS | frozenset(CLUSTER_OPTIONS)

    def __init__(self, options: Mapping[str, Any]) -> None:
        super().__init__(options)
        if options.get("CONNECTION_POOL_CLASS"):
            raise ConfigurationError(
                "CONNECTION_POOL_CLASS",
                options["CONNECTION_POOL_CLASS"],
                "no value: the asyncio cluster client manages its connections per node",
            )
        extra = sorted(set(self.pool_cls_kwargs) - {"max_connections"})
        if extra:
            raise ConfigurationError(
                "CONNECTION_POOL_KWARGS", self.pool_cls_kwargs, f"only max_connections here, not {extra}"
            )
        self._read_cluster_options()

    async def connect(self, url: str, startup_urls: Sequence[str] = ()) -> Any:
        """The initialized ``valkey.asyncio.ValkeyCluster`` of this event loop."""
        params = self.make_connection_params(url)
        params["startup_urls"] = tuple(startup_urls)
        return await self.get_connection(params)

    async def get_connection(self, params: dict[str, Any]) -> Any:
        cluster: AsyncValkeyCluster = self.get_or_create_connection_pool(params)  # type: ignore[assignment]
        try:
            await cluster.initialize()
        except ValkeyClusterException as exc:
            _configuration_error(params["url"], exc, params.get("username"))
            raise
        return cluster

    def get_connection_pool(self, params: dict[str, Any]) -> Any:
        from valkey.asyncio.cluster import ClusterNode

        kwargs = dict(params)
        url = kwargs.pop("url")
        startup = [ClusterNode(*_address(u)) for u in kwargs.pop("startup_urls", ())]
        kwargs.pop("parser_class", None)
        kwargs.pop("retry_on_timeout", None)  # already in retry_on_error when asked for
        kwargs.update(self.pool_cls_kwargs)
        kwargs["read_from_replicas"] = self.read_from_replicas
        # Keep serving the slots of the live primaries while another one fails over.
        kwargs["require_full_coverage"] = False
        kwargs.update(self.base_client_cls_kwargs)
        cls: Any = self.base_client_cls
        try:
            cluster = cls.from_url(url, startup_nodes=startup, **kwargs)
        except ValkeyClusterException as exc:
            _configuration_error(url, exc, kwargs.get("username"))
            raise
        if self._breaker is not None:
            _guard_nodes(cluster, self._breaker)
        if type(getattr(cluster, "commands_parser", None)) is AsyncCommandsParser:
            cluster.commands_parser = _SteadyCommandTable()
        return cluster

    async def disconnect(self, connection: Any) -> None:
        """Close the cluster client and forget it: once closed it cannot reconnect."""
        pools = LOOP_POOLS.find(asyncio.get_running_loop()) or {}
        for key in [key for key, cluster in pools.items() if cluster is connection]:
            del pools[key]
        await connection.aclose()

    def get_parser_cls(self) -> type[Any]:
        return resolve_class("PARSER_CLASS", "valkey.asyncio.connection.DefaultParser")
