"""``NEAR_CACHE``: the client subclass that serves hot reads from process memory.

:func:`near_class` makes, once per client class, a subclass whose ``get``,
``get_many``, ``has_key`` and ``get_or_set`` go through the local layer (``drivers``)
and whose every command that writes keys (per its declaration's ``writes=``) drops
their local copies before returning. Clients without the option carry none of this.
"""

from __future__ import annotations

import functools
import os
import threading
import time
import weakref
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple, TypeVar

from ..commands import fanout, standard
from ..commands.declare import AsyncSide, Command, declared
from ..keys import CacheKey
from ..options import bool_option
from ..redaction import redact_url
from .cluster import Topology, listener_options
from .drivers import plain_get, served_method, spread_get_many
from .listener import PING_INTERVAL, RETRY_INTERVAL, Listener
from .settings import NearSettings, near_settings
from .store import NearStore

C = TypeVar("C", bound=type)

SERVED = ("get", "get_many", "has_key", "get_or_set")
#: Writes whose keys cannot be listed from their arguments: everything is dropped.
_DROP_ALL = frozenset({"incr_version", "decr_version"})

_LIVE: weakref.WeakSet[NearCache] = weakref.WeakSet()


class Owner:
    """The near cache a data connection's OPTIN tracking redirects to, while it runs."""

    __slots__ = ("alive",)

    def __init__(self) -> None:
        self.alive = True


class Source(NamedTuple):
    """How to reach one server's invalidation channel."""

    server: str
    make_connection: Callable[[], Any]
    still_current: Callable[[Any], bool] | None = None


class NearCache:
    """The local layer of one client: its store, one listener per server, their settings.

    The store serves only while every listener has tracking in place; losing any of
    them drops every copy. With ``discover`` (the cluster: ``discover(fresh)`` lists
    the current primaries' sources), the listeners are made on the first read and
    replaced whenever the servers listed change.
    """

    def __init__(
        self,
        settings: NearSettings,
        prefix: str,
        sources: list[Source],
        discover: Callable[[bool], list[Source]] | None = None,
        *,
        locations: tuple[str, ...] = (),
        replicated: bool = False,
        node_replicas: bool = False,
    ) -> None:
        self.settings = settings
        self.prefix = prefix
        self.optin = settings.mode == "optin"
        #: Marks the data connections whose OPTIN tracking redirects to this cache's listeners.
        self.token = Owner()
        self.store = NearStore(settings.max_entries, settings.max_bytes, settings.ttl)
        self._discover = discover
        self._up: set[Listener] = set()
        self._up_lock = threading.Lock()
        self._replace_lock = threading.Lock()
        self._started = self._closed = False
        #: True once every current listener's thread is started (reads then skip
        #: :meth:`ensure_started`).
        self.started = False
        self._next_discovery = 0.0
        self.listeners: list[Listener] = []
        #: The servers listened to: a fill from any other is not kept.
        self.servers: frozenset[str] = frozenset()
        #: The client's LOCATION entries (never shown: they may hold credentials).
        self.locations = locations
        #: Fills read from a replica (and its listener's invalidations keep them).
        self.replicated = replicated
        #: Cluster fills read from a slot's replicas too (READ_FROM_REPLICAS).
        self.node_replicas = node_replicas
        self._install(sources)
        _LIVE.add(self)

    def _listener(self, source: Source) -> Listener:
        still_current = source.still_current
        if self._discover is not None:
            still_current = self._still_listed
        return Listener(
            self.store,
            source.make_connection,
            mode=self.settings.mode,
            prefix=self.prefix,
            server=source.server,
            changed=self._changed,
            still_current=still_current,
        )

    def _install(self, sources: list[Source]) -> None:
        with self._up_lock:
            self._up = set()
            self.store.set_active(False)
            self.listeners = [self._listener(source) for source in sources]
            self.started = False
            self.servers = frozenset(source.server for source in sources)

    def _changed(self, listener: Listener, up: bool) -> None:
        with self._up_lock:
            if not any(listener is current for current in self.listeners):
                return  # a replaced listener, stopping
            if up:
                self._up.add(listener)
                serving = len(self._up) == len(self.listeners)
            else:
                self._up.discard(listener)
                serving = False
            self.store.set_active(serving)

    def _still_listed(self, conn: Any) -> bool:
        """Whether the listeners still match the servers ``discover`` lists (asked at most
        once per ping interval); when not, they are replaced and every copy dropped."""
        try:
            sources = self._discover(False)  # type: ignore[misc]
        except Exception:
            return True  # nothing answers: the listeners' own losses keep the store off
        if frozenset(source.server for source in sources) == self.servers:
            return True
        self._replace(sources)
        return False

    def _replace(self, sources: list[Source]) -> None:
        with self._replace_lock:
            if self._closed or frozenset(source.server for source in sources) == self.servers:
                return
            old = self.listeners
            self._install(sources)
            for listener in old:
                listener.stop()
            if self._started:
                for listener in self.listeners:
                    listener.ensure_started()

    @property
    def client_id(self) -> int | None:
        """The first listener's connection id, which OPTIN data connections redirect to."""
        listeners = self.listeners
        return listeners[0].client_id if listeners else None

    def client_id_for(self, index: int) -> int | None:
        """The connection id of the listener of server ``index``."""
        return self.listeners[index].client_id

    def client_id_at(self, server: str) -> int | None:
        """The connection id of the listener of ``server`` (a cluster node's ``host:port``)."""
        for listener in self.listeners:
            if listener.server == server:
                return listener.client_id
        return None

    def ensure_started(self) -> None:
        """Start the listeners (once); with ``discover``, list the servers first (retried
        on later reads, a few times a second at most, while nothing answers)."""
        self._started = True
        if self._discover is not None and not self.listeners and not self._closed:
            now = time.monotonic()
            if now < self._next_discovery:
                return
            self._next_discovery = now + RETRY_INTERVAL
            try:
                self._replace(self._discover(True))
            except Exception:
                return
        listeners = self.listeners
        for listener in listeners:
            listener.ensure_started()
        if listeners and listeners is self.listeners:
            self.started = True

    def covers(self, key: Any) -> bool:
        """Whether the server tracks ``key`` for this cache (BCAST: under the prefix)."""
        return isinstance(key, str) and (self.optin or key.startswith(self.prefix))

    def drop(self, key: Any) -> None:
        """Forget the local copy of a stored key."""
        self.store.drop(key)

    def flush(self) -> None:
        """Forget every local copy."""
        self.store.flush()

    def stats(self) -> dict[str, Any]:
        """Hits, misses, invalidations, evictions, entries, bytes, and whether it serves now."""
        return {**self.store.stats(), "mode": self.settings.mode}

    def wait_ready(self, timeout: float = 5.0) -> bool:
        """Start the listeners and wait until tracking is in place; False on timeout."""
        deadline = time.monotonic() + timeout
        while True:
            self.ensure_started()
            listeners = self.listeners
            if listeners and all(
                listener.ready.wait(max(deadline - time.monotonic(), 0)) for listener in listeners
            ):
                if listeners is self.listeners:
                    return True
            elif time.monotonic() >= deadline:
                return False
            else:
                time.sleep(0.01)

    def close(self) -> None:
        """Stop tracking: the listeners end, reads go to the server."""
        self.token.alive = False
        with self._replace_lock:
            self._closed = True
        for listener in self.listeners:
            listener.stop()

    def _after_fork(self) -> None:
        self.started = False
        self._up = set()
        self._up_lock = threading.Lock()
        self._replace_lock = threading.Lock()
        self.store.after_fork()
        for listener in self.listeners:
            listener.after_fork()

    def __repr__(self) -> str:
        servers = ", ".join(listener.server for listener in self.listeners)
        return f"<NearCache {servers} mode={self.settings.mode} prefix={self.prefix!r}>"


def _after_fork_in_child() -> None:
    for near in list(_LIVE):
        near._after_fork()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


# -- what to track --------------------------------------------------------------------------


def bcast_prefix(backend: Any) -> str:
    """The prefix covering every key the owner's key function makes: ``"<prefix>:"`` for
    the default (Django's) key format, else the empty prefix (every key)."""
    prefix = backend.key_prefix or ""
    try:
        probe = backend.key_func("k", prefix, 7)
    except Exception:
        return ""
    return f"{prefix}:" if probe == f"{prefix}:7:k" else ""


def replicated(client: Any) -> bool:
    """Whether fills read from replicas: several LOCATIONs holding the same data (not
    shards). Not with Sentinel: a replica location there is a pool over whichever
    replicas the sentinels name, so no one listener could follow the one a read reaches;
    its fills read from the master."""
    from ..client.sentinel import AsyncSentinelClient, SentinelClient

    if isinstance(client, (SentinelClient, AsyncSentinelClient)):
        return False
    return len(client._server) > 1 and not hasattr(client, "shard_index")


def _sources(client: Any) -> list[Source]:
    """One :class:`Source` per server taking writes, and per replica reads go to: the
    listener's (blocking) connection to it, and for Sentinel a check that it still is
    the master."""
    sharded = hasattr(client, "shard_index")
    indexes = range(len(client._server)) if sharded or replicated(client) else range(1)
    if isinstance(client, AsyncSide):
        from ..pool import ConnectionFactory
        from ..sentinel_pool import AsyncSentinelConnectionFactory, SentinelConnectionFactory

        options, factory_now, urls = client._options, client.connection_factory, client._server  # type: ignore[attr-defined]
        sentinel = isinstance(factory_now, AsyncSentinelConnectionFactory)
        # The listener is blocking: an asyncio parser is no use to it.
        blocking = {name: value for name, value in options.items() if name != "PARSER_CLASS"}
        factory = (SentinelConnectionFactory if sentinel else ConnectionFactory)(blocking)

        def primary(index: int) -> Any:
            return factory.connect(urls[index])

    else:
        owner = weakref.ref(client)

        def primary(index: int) -> Any:
            alive = owner()
            if alive is None:
                raise ConnectionError("the client is gone")
            if sharded:
                return alive._shard(index)
            if index == 0:
                return alive.get_client(write=True)
            clients = alive._clients
            if clients[index] is None:
                clients[index] = alive.connect(index)
            return clients[index]

    def maker(index: int) -> Callable[[], Any]:
        def make_connection() -> Any:
            return primary(index).connection_pool.make_connection()

        return make_connection

    return [Source(redact_url(client._server[i]), maker(i), _still_primary) for i in indexes]


def _cluster_discovery(client: Any, replicas: bool) -> Callable[[bool], list[Source]]:
    """``discover(fresh)``: a :class:`Source` per primary of the cluster (and per replica
    with ``READ_FROM_REPLICAS``, as fills then read from them too), each a plain blocking
    connection made with the client's options (asked with ``CLUSTER SLOTS``)."""
    from ..pool import ConnectionFactory

    factory = ConnectionFactory(listener_options(client._options))
    topology = Topology(list(client._server), factory.connect, PING_INTERVAL, replicas)

    def maker(url: str) -> Callable[[], Any]:
        def make_connection() -> Any:
            return factory.connect(url).connection_pool.make_connection()

        return make_connection

    def discover(fresh: bool) -> list[Source]:
        return [
            Source(f"{host}:{port}", maker(topology.url_of(host, port)))
            for host, port in topology.nodes(fresh)
        ]

    return discover


def _still_primary(conn: Any) -> bool:
    pool = getattr(conn, "connection_pool", None)
    if pool is None or not hasattr(pool, "get_master_address"):
        return True
    return bool(pool.get_master_address() == (conn.host, conn.port))


# -- the client subclass ----------------------------------------------------------------------

_NEAR: dict[type, type] = {}


def near_class(cls: C) -> C:
    """The subclass of client class ``cls`` with the near cache (made once per class)."""
    made = _NEAR.get(cls)
    if made is None:
        made = _NEAR[cls] = _near_class(cls)
    return made  # type: ignore[return-value]


def _near_class(cls: type) -> type:
    from ..client.cluster import AsyncClusterClient, ClusterClient

    is_async = issubclass(cls, AsyncSide)
    clustered = issubclass(cls, (ClusterClient, AsyncClusterClient))
    base_init: Callable[..., None] = cls.__init__  # type: ignore[misc]

    def __init__(self: Any, server: Any, params: Mapping[str, Any], backend: Any) -> None:
        base_init(self, server, params, backend)
        settings = near_settings(self._options) or NearSettings()
        shared = getattr(backend, "_near_cache", None)
        locations = tuple(self._server)
        if isinstance(shared, NearCache) and shared.locations == locations and shared.settings == settings:
            self.near_cache = shared  # the sync and async clients of one Django cache
            return
        from_replicas = clustered and bool_option(self._options, "READ_FROM_REPLICAS", False)
        discover = _cluster_discovery(self, from_replicas) if clustered else None
        near = self.near_cache = NearCache(
            settings,
            bcast_prefix(backend),
            [] if clustered else _sources(self),
            discover,
            locations=locations,
            replicated=not clustered and replicated(self),
            node_replicas=from_replicas,
        )
        weakref.finalize(self, near.close)
        try:
            backend._near_cache = near
        except AttributeError:
            pass

    namespace: dict[str, Any] = {"__module__": cls.__module__, "__doc__": cls.__doc__, "__init__": __init__}
    for name, declaration in declared(cls).items():
        if name == "get" and declaration.logic is standard.cmd_get:
            namespace[name] = plain_get(declaration, is_async)
        elif name == "get_many" and declaration.logic is fanout.cmd_get_many:
            namespace[name] = spread_get_many(declaration, is_async)
        elif name in SERVED:
            namespace[name] = served_method(declaration, is_async)
        elif declaration.writes and not declaration.iterator:
            method = getattr(cls, name, None)
            if method is not None:
                namespace[name] = _dropping(method, declaration, is_async)
    return type(cls.__name__, (cls,), namespace)


def _dropping(
    method: Callable[..., Any], declaration: Command[Any, Any], is_async: bool
) -> Callable[..., Any]:
    if is_async:

        @functools.wraps(method)
        async def async_call(self: Any, *args: Any, **kwargs: Any) -> Any:
            try:
                return await method(self, *args, **kwargs)
            finally:
                _forget(self, declaration, args, kwargs)

        return async_call

    @functools.wraps(method)
    def call(self: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return method(self, *args, **kwargs)
        finally:
            _forget(self, declaration, args, kwargs)

    return call


def _forget(
    client: Any, declaration: Command[Any, Any], args: tuple[Any, ...], kwargs: Mapping[str, Any]
) -> None:
    """Drop the local copies of what a call wrote (everything when that is not a key list)."""
    near: NearCache = client.near_cache
    if declaration.name in _DROP_ALL or any(spec.kind in ("pattern", "all") for spec in declaration.writes):
        near.flush()
        return
    try:
        arguments = declaration.bind(args, kwargs)
        version, prefix = arguments.get("version"), arguments.get("prefix")
        for spec in declaration.writes:
            for key in spec.of(arguments):
                nkey = (
                    key if isinstance(key, CacheKey) else client.make_key(key, version=version, prefix=prefix)
                )
                near.drop(nkey)
    except Exception:
        near.flush()
