"""The near cache on Valkey Cluster: a listener per node, rebuilt when the nodes change.

A listener per primary (and per replica with ``READ_FROM_REPLICAS``, as fills then read
from replicas too). In BCAST mode tracking on every primary covers every key whichever
node holds its slot, so a slot moving between known primaries needs nothing; in OPTIN
mode each fill is tracked on the node that answers it, redirected to that node's
listener. A node set that changes (a failover, a node added or removed) drops every copy
and replaces the listeners; the set is read with ``CLUSTER SLOTS`` on a plain connection
(:class:`Topology`), at most once per ping interval, so a failover is seen without any
data traffic.

Fills are sent to the node of the key's slot on that node's own connections. A fill
answered MOVED or ASK (the slot is elsewhere now) drops every copy and the read goes
through the cluster client, which follows the redirection and learns the new layout.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from ..cluster_pool import CLUSTER_OPTIONS
from ..redaction import redact_url

#: Options of the cluster client that a plain connection to one of its nodes does not take.
_CLUSTER_ONLY = frozenset({*CLUSTER_OPTIONS, "PARSER_CLASS", "CONNECTION_FACTORY", "BASE_CLIENT_CLASS"})


def node_url(url: str, host: str, port: int) -> str:
    """``url`` (a LOCATION entry, credentials and query kept) pointing at ``host:port``."""
    parts = urlsplit(url)
    userinfo = parts.netloc.rpartition("@")[0]
    where = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    return urlunsplit(parts._replace(netloc=f"{userinfo}@{where}" if userinfo else where))


def listener_options(options: Mapping[str, Any]) -> dict[str, Any]:
    """The cluster client's options as a plain blocking connection to one node takes them."""
    return {name: value for name, value in options.items() if name not in _CLUSTER_ONLY}


class Topology:
    """The cluster's primaries (and, with ``replicas``, their replicas) as ``CLUSTER
    SLOTS`` reports them, read on a plain blocking connection (``connect(url)`` gives a
    client), cached for ``interval`` seconds.

    ``urls`` are the LOCATION entries; the nodes last seen are asked first.
    """

    def __init__(
        self, urls: list[str], connect: Callable[[str], Any], interval: float, replicas: bool = False
    ) -> None:
        self.urls = urls
        self._connect = connect
        self.interval = interval
        self.replicas = replicas
        self._lock = threading.Lock()
        self._seen: list[tuple[str, int]] = []
        self._read_at = -float("inf")

    def nodes(self, fresh: bool = False) -> list[tuple[str, int]]:
        """``(host, port)`` of every primary holding slots (and of their replicas), sorted;
        raises when no node answers."""
        with self._lock:
            if fresh or time.monotonic() - self._read_at >= self.interval:
                self._seen = self._read()
                self._read_at = time.monotonic()
            return self._seen

    def url_of(self, host: str, port: int) -> str:
        """The URL a listener of primary ``host:port`` connects with."""
        return node_url(self.urls[0], host, port)

    def _read(self) -> list[tuple[str, int]]:
        candidates = [self.url_of(host, port) for host, port in self._seen] + self.urls
        failure: Exception | None = None
        for url in candidates:
            try:
                reply = self._connect(url).execute_command("CLUSTER SLOTS")
            except Exception as exc:
                failure = exc
                continue
            asked = urlsplit(url).hostname or "127.0.0.1"
            found = set()
            for entry in reply:
                for node in entry[2:] if self.replicas else entry[2:3]:
                    host = node[0].decode() if isinstance(node[0], bytes) else str(node[0])
                    found.add((host or asked, int(node[1])))
            if found:
                return sorted(found)
        raise ConnectionError(f"no cluster node answered CLUSTER SLOTS ({failure})")

    def __repr__(self) -> str:
        return f"<Topology {', '.join(redact_url(u) for u in self.urls)}>"


# -- fills on the node of a slot ----------------------------------------------------------------


class NodeConnections:
    """A pool's ``get_connection``/``release`` over one node of ``valkey.asyncio``'s
    cluster client, which keeps the connections of each node itself."""

    __slots__ = ("node",)

    def __init__(self, node: Any) -> None:
        self.node = node

    async def get_connection(self, command: str) -> Any:
        return self.node.acquire_connection()

    async def release(self, conn: Any) -> None:
        self.node._free.append(conn)
