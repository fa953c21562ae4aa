"""Find free TCP ports on the loopback interface."""

from __future__ import annotations

import socket
import threading

from valkey_cache.core.embedded.errors import EmbeddedError

#: Offset of the cluster bus port from the client port (Valkey's default).
CLUSTER_BUS_OFFSET = 10000
_MAX_PORT = 65535

_lock = threading.Lock()
# Ports already handed out by this process: the kernel may offer the same
# ephemeral port twice in a row once the probing socket is closed.
_handed_out: set[int] = set()


def _bindable(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def _probe(host: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
    return port


def find_free_port(host: str = "127.0.0.1", *, cluster_bus: bool = False) -> int:
    """Return a TCP port on ``host`` that nothing listens on right now.

    With ``cluster_bus=True`` the port ``port + 10000`` (the cluster bus) is
    checked as well. A port is never returned twice by the same process.
    """
    with _lock:
        for _ in range(200):
            port = _probe(host)
            if port in _handed_out:
                continue
            if cluster_bus:
                bus = port + CLUSTER_BUS_OFFSET
                if bus > _MAX_PORT or bus in _handed_out or not _bindable(host, bus):
                    continue
                _handed_out.add(bus)
            _handed_out.add(port)
            return port
    raise EmbeddedError(f"could not find a free port on {host}")


def find_free_ports(count: int, host: str = "127.0.0.1", *, cluster_bus: bool = False) -> list[int]:
    """Return ``count`` distinct free ports (see :func:`find_free_port`)."""
    return [find_free_port(host, cluster_bus=cluster_bus) for _ in range(count)]
