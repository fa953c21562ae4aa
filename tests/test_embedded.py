"""Tests of the embedded-server rig itself, against real valkey-server processes."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
import valkey
from servers import (
    ACL_PASSWORD,
    ACL_USERNAME,
    AUTH_PASSWORD,
    SENTINEL_SERVICE,
    pid_exists,
    wait_until,
)
from valkey.cluster import ClusterNode, ValkeyCluster
from valkey.sentinel import Sentinel

from valkey_cache.core import embedded
from valkey_cache.core.embedded import (
    EmbeddedCluster,
    EmbeddedSentinel,
    EmbeddedServer,
    ServerStartError,
    find_free_port,
    find_server_binary,
    running_servers,
)

# -- helpers ------------------------------------------------------------------


def _child_env() -> dict[str, str]:
    # Make valkey_cache importable in a child interpreter whatever the install mode.
    src = str(Path(embedded.__file__).resolve().parents[3])
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (src, env.get("PYTHONPATH")) if p)
    return env


def _run_child(code: str, timeout: float = 30.0) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=_child_env(),
        check=False,
    )


def _pids_from(output: str) -> list[int]:
    return [int(line.split()[1]) for line in output.splitlines() if line.startswith("PID ")]


# -- binary and ports -----------------------------------------------------------


def test_find_server_binary_is_executable() -> None:
    path = find_server_binary()
    assert path.is_file()
    assert os.access(path, os.X_OK)


def test_free_port_has_free_cluster_bus() -> None:
    port = find_free_port(cluster_bus=True)
    assert port + 10000 <= 65535
    for candidate in (port, port + 10000):
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", candidate))
    assert find_free_port() != port  # never handed out twice


# -- one server ---------------------------------------------------------------------


def test_start_stop_leaves_no_process() -> None:
    server = EmbeddedServer()
    server.start()
    pid = server.pid
    assert pid is not None
    assert pid_exists(pid)
    assert server.is_running()
    assert server in running_servers()
    directory = server.directory
    assert directory is not None
    assert directory.is_dir()

    server.stop()

    assert not pid_exists(pid)
    assert not server.is_running()
    assert server.pid is None
    assert not directory.exists()
    assert server not in running_servers()
    server.stop()  # idempotent


def test_context_manager_url_and_ping() -> None:
    with EmbeddedServer() as server:
        assert server.url == f"valkey://127.0.0.1:{server.port}"
        assert server.host == "127.0.0.1"
        assert server.unix_socket is None
        client = valkey.Valkey.from_url(server.url)
        try:
            assert client.ping() is True
            info = client.info("persistence")
            assert info["aof_enabled"] == 0
            assert client.config_get("save")["save"] == ""
        finally:
            client.close()
        pid = server.pid
    assert pid is not None
    assert not pid_exists(pid)


def test_extra_config_directives() -> None:
    with EmbeddedServer({"maxmemory": "10mb", "maxmemory-policy": "allkeys-lru"}) as server:
        assert server.execute("CONFIG", "GET", "maxmemory-policy") == [
            b"maxmemory-policy",
            b"allkeys-lru",
        ]
        assert server.execute("CONFIG", "GET", "maxmemory") == [b"maxmemory", b"10485760"]


def test_startup_failure_reports_log_and_cleans_up() -> None:
    server = EmbeddedServer({"no-such-directive": "1"})
    with pytest.raises(ServerStartError) as info:
        server.start()
    assert "no-such-directive" in str(info.value)
    assert "no-such-directive" in info.value.log_tail
    assert not server.is_running()
    assert server not in running_servers()


def test_unix_socket(valkey_unix_server: EmbeddedServer, valkey_unix_url: str) -> None:
    path = valkey_unix_server.unix_socket
    assert path is not None
    assert Path(path).is_socket()
    assert valkey_unix_url == f"unix://{path}"
    assert valkey_unix_server.port == 0
    client = valkey.Valkey.from_url(valkey_unix_url)
    try:
        assert client.dbsize() == 0
        client.set("k", b"\x00\xff")
        assert client.get("k") == b"\x00\xff"
    finally:
        client.close()


def test_restart_keeps_port_and_socket() -> None:
    with EmbeddedServer(unix_socket=True, port=find_free_port()) as server:
        port, path, old_pid = server.port, server.unix_socket, server.pid
        assert path is not None
        server.execute("SET", "k", "v")
        server.restart()
        assert server.port == port
        assert server.unix_socket == path
        assert server.pid != old_pid
        assert old_pid is not None
        assert not pid_exists(old_pid)
        assert server.execute("GET", "k") is None  # persistence is off
        assert server.execute("PING") == "PONG"
        client = valkey.Valkey.from_url(f"unix://{path}")
        assert client.ping() is True
        client.close()


def test_kill_then_restart(fresh_server: EmbeddedServer) -> None:
    pid = fresh_server.pid
    assert pid is not None
    port = fresh_server.port
    fresh_server.kill()
    assert not fresh_server.is_running()
    assert not pid_exists(pid)
    fresh_server.restart()
    assert fresh_server.port == port
    assert fresh_server.execute("PING") == "PONG"


# -- shared fixtures ------------------------------------------------------------


@pytest.mark.parametrize("round_", [1, 2])
def test_valkey_url_is_flushed(valkey_url: str, round_: int) -> None:
    client = valkey.Valkey.from_url(valkey_url)
    try:
        assert client.dbsize() == 0
        client.set("leftover", round_)
    finally:
        client.close()


def test_raw_valkey_sees_raw_bytes(raw_valkey: valkey.Valkey, valkey_url: str) -> None:
    other = valkey.Valkey.from_url(valkey_url)
    try:
        other.set("raw", b"\x80\x04value")
    finally:
        other.close()
    assert raw_valkey.get("raw") == b"\x80\x04value"


def test_auth_server(valkey_auth_server: EmbeddedServer) -> None:
    host, port = valkey_auth_server.address
    anonymous = valkey.Valkey(host=host, port=port)
    with pytest.raises(valkey.exceptions.AuthenticationError):
        anonymous.ping()
    anonymous.close()

    default_user = valkey.Valkey(host=host, port=port, password=AUTH_PASSWORD)
    assert default_user.acl_whoami() == "default"
    default_user.close()

    app = valkey.Valkey.from_url(
        f"valkey://{ACL_USERNAME}:{ACL_PASSWORD}@{host}:{port}", decode_responses=True
    )
    assert app.acl_whoami() == ACL_USERNAME
    app.close()


# -- cluster --------------------------------------------------------------------------


def test_cluster_shape(valkey_cluster: EmbeddedCluster) -> None:
    assert len(valkey_cluster.nodes) == 6
    assert len(valkey_cluster.masters) == 3
    assert len(valkey_cluster.replicas) == 3
    assert valkey_cluster.startup_nodes == [n.address for n in valkey_cluster.nodes]
    assert valkey_cluster.url == valkey_cluster.nodes[0].url
    for node in valkey_cluster.nodes:
        info = node.info("cluster")
        assert info["cluster_enabled"] == "1"
        text = node.execute("CLUSTER", "INFO")
        assert isinstance(text, bytes)
        assert b"cluster_state:ok" in text
    for replica in valkey_cluster.replicas:
        assert replica.info("replication")["master_link_status"] == "up"


def test_cluster_routes_keys_across_slots(valkey_cluster: EmbeddedCluster) -> None:
    valkey_cluster.flushall()
    client = ValkeyCluster(startup_nodes=[ClusterNode(h, p) for h, p in valkey_cluster.startup_nodes])
    try:
        for i in range(300):
            client.set(f"key:{i}", i)
        assert [client.get(f"key:{i}") for i in range(300)] == [str(i).encode() for i in range(300)]
    finally:
        client.close()
    sizes = [master.execute("DBSIZE") for master in valkey_cluster.masters]
    assert all(isinstance(size, int) and size > 0 for size in sizes), sizes
    assert sum(s for s in sizes if isinstance(s, int)) == 300
    valkey_cluster.flushall()


@pytest.mark.slow
def test_cluster_failover_promotes_replica(fresh_cluster: EmbeddedCluster) -> None:
    victim = fresh_cluster.masters[0]
    (heir,) = fresh_cluster.replicas_of(victim)
    started = time.monotonic()
    fresh_cluster.kill_node(victim)
    fresh_cluster.wait_ok(timeout=15)
    elapsed = time.monotonic() - started
    assert heir.info("replication")["role"] == "master"
    assert heir in fresh_cluster.current_masters()
    print(f"cluster failover took {elapsed:.2f}s")
    client = ValkeyCluster(
        startup_nodes=[ClusterNode(*fresh_cluster.startup_nodes[1])],
    )
    try:
        for i in range(50):
            client.set(f"after:{i}", i)
    finally:
        client.close()


# -- sentinel -----------------------------------------------------------------------


def test_sentinel_reports_master(valkey_sentinel: EmbeddedSentinel) -> None:
    assert valkey_sentinel.service_name == SENTINEL_SERVICE
    assert len(valkey_sentinel.sentinels) == 3
    assert valkey_sentinel.current_master() == valkey_sentinel.master.address
    assert valkey_sentinel.current_master_server() is valkey_sentinel.master
    assert valkey_sentinel.replica.info("replication")["role"] == "slave"

    sentinel = Sentinel(valkey_sentinel.sentinels, socket_timeout=1.0)
    assert sentinel.discover_master(SENTINEL_SERVICE) == valkey_sentinel.master.address
    assert sentinel.discover_slaves(SENTINEL_SERVICE) == [valkey_sentinel.replica.address]


@pytest.mark.slow
@pytest.mark.timeout(60)
def test_sentinel_failover_promotes_replica(fresh_sentinel: EmbeddedSentinel) -> None:
    master, replica = fresh_sentinel.master, fresh_sentinel.replica
    master.execute("SET", "survivor", "yes")
    assert master.execute("WAIT", 1, 2000) == 1

    started = time.monotonic()
    master.kill()
    new_master = fresh_sentinel.wait_for_failover(timeout=15)
    elapsed = time.monotonic() - started

    assert new_master == replica.address
    assert replica.info("replication")["role"] == "master"
    assert replica.execute("GET", "survivor") == b"yes"
    print(f"sentinel failover took {elapsed:.2f}s")
    assert elapsed < 15


# -- no orphans -----------------------------------------------------------------------


def test_stop_all_stops_everything() -> None:
    # In a child interpreter, so the session's shared servers are not touched.
    result = _run_child(
        """
        from valkey_cache.core.embedded import EmbeddedServer, running_servers, stop_all
        servers = [EmbeddedServer().start(), EmbeddedServer(unix_socket=True).start()]
        for s in servers:
            print("PID", s.pid)
        stop_all()
        print("LEFT", len(running_servers()), sum(s.is_running() for s in servers))
        """
    )
    assert result.returncode == 0, result.stderr
    pids = _pids_from(result.stdout)
    assert len(pids) == 2
    assert "LEFT 0 0" in result.stdout
    assert not any(pid_exists(pid) for pid in pids)


def test_atexit_stops_forgotten_servers() -> None:
    result = _run_child(
        """
        from valkey_cache.core.embedded import EmbeddedServer
        server = EmbeddedServer().start()
        print("PID", server.pid, flush=True)
        # exits without stopping the server
        """
    )
    assert result.returncode == 0, result.stderr
    (pid,) = _pids_from(result.stdout)
    assert not pid_exists(pid)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux-only")
def test_servers_die_with_a_killed_parent() -> None:
    result = _run_child(
        """
        import os, signal
        from valkey_cache.core.embedded import EmbeddedServer
        server = EmbeddedServer().start()
        print("PID", server.pid, flush=True)
        os.kill(os.getpid(), signal.SIGKILL)  # no atexit, no cleanup
        """
    )
    assert result.returncode == -signal.SIGKILL
    (pid,) = _pids_from(result.stdout)
    assert wait_until(lambda: not pid_exists(pid), timeout=5.0)


def test_command_line_entry_point() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "valkey_cache.core.embedded"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_child_env(),
    )
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        assert url.startswith("valkey://127.0.0.1:")
        client = valkey.Valkey.from_url(url)
        assert client.ping() is True
        client.close()
        proc.send_signal(signal.SIGINT)
        # A bound on a hang, not a speed check: the stop itself gives the server 5 s
        # after SIGTERM, and a full suite on two CPUs once took the child past 10 s.
        assert proc.wait(timeout=30) == 0
        with pytest.raises(valkey.exceptions.ConnectionError):
            valkey.Valkey.from_url(url, socket_connect_timeout=0.5).ping()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stdout.close()  # type: ignore[union-attr]
        proc.stderr.close()  # type: ignore[union-attr]
