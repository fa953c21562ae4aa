"""Builders and helpers for the embedded Valkey servers used by the test suite.

The fixtures in ``conftest.py`` are thin wrappers around these functions, so a
test that needs a private topology with special settings can build one the
same way (and must stop it itself, e.g. with ``with start_cluster() as c:``).
"""

from __future__ import annotations

import errno
import os
import time
from collections.abc import Callable

from valkey_cache.core.embedded import (
    EmbeddedCluster,
    EmbeddedSentinel,
    EmbeddedServer,
)

#: ``requirepass`` of the auth server (the ``default`` user's password).
AUTH_PASSWORD = "default-secret"
#: An extra ACL user on the auth server, for username + password tests.
ACL_USERNAME = "app"
ACL_PASSWORD = "app-secret"
#: Service name monitored by the sentinel topologies.
SENTINEL_SERVICE = "mymaster"


def start_tcp_server() -> EmbeddedServer:
    """A standalone server on a free 127.0.0.1 port."""
    return EmbeddedServer(name="tcp").start()


def start_unix_server() -> EmbeddedServer:
    """A standalone server listening on a unix socket only."""
    return EmbeddedServer(unix_socket=True, name="unix").start()


def start_auth_server() -> EmbeddedServer:
    """A server with ``requirepass`` and an ACL user ``app``."""
    config = {
        "requirepass": AUTH_PASSWORD,
        "user": f"{ACL_USERNAME} on >{ACL_PASSWORD} ~* &* +@all",
    }
    return EmbeddedServer(config, name="auth").start()


def start_cluster() -> EmbeddedCluster:
    """3 masters + 3 replicas, healthy."""
    return EmbeddedCluster(masters=3, replicas_per_master=1).start()


def start_sentinel() -> EmbeddedSentinel:
    """Master, replica and 3 sentinels (quorum 2), ready."""
    return EmbeddedSentinel(SENTINEL_SERVICE, sentinels=3, quorum=2).start()


def pid_exists(pid: int) -> bool:
    """True if a live process with this PID exists (zombies count as gone)."""
    try:
        os.kill(pid, 0)
    except OSError as exc:
        if exc.errno != errno.EPERM:
            return False
    try:
        with open(f"/proc/{pid}/stat") as stat:
            # "pid (comm) S ...": the state letter follows the last ')'.
            return stat.read().rpartition(")")[2].split()[0] != "Z"
    except (OSError, IndexError):
        return True  # no procfs (macOS): trust kill(0)


def wait_until(predicate: Callable[[], bool], timeout: float = 5.0, interval: float = 0.02) -> bool:
    """Poll ``predicate`` until it is true or ``timeout`` elapses; return its last value."""
    deadline = time.monotonic() + timeout
    while True:
        if predicate():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(interval)


def command_calls(cluster: EmbeddedCluster, command: str, replicas: bool) -> int:
    """How many times ``command`` ran on the cluster's replicas (or on its primaries)."""
    masters = {node.port for node in cluster.current_masters()}
    total = 0
    for node in cluster.nodes:
        if (node.port not in masters) == replicas:
            stats = node.info("commandstats").get(f"cmdstat_{command}", "calls=0")
            total += int(stats.split(",")[0].split("=")[1])
    return total
