"""A local Valkey Cluster made of :class:`EmbeddedServer` nodes."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from types import TracebackType

from valkey_cache.core.embedded.errors import TopologyError
from valkey_cache.core.embedded.ports import find_free_port
from valkey_cache.core.embedded.process import ConfigValue, EmbeddedServer
from valkey_cache.core.embedded.resp import ReplyError, as_text, parse_info

CLUSTER_SLOTS = 16384
_POLL_INTERVAL = 0.05


def slot_ranges(masters: int) -> list[tuple[int, int]]:
    """Split the 16384 slots into ``masters`` contiguous inclusive ranges."""
    bounds = [CLUSTER_SLOTS * i // masters for i in range(masters + 1)]
    return [(bounds[i], bounds[i + 1] - 1) for i in range(masters)]


class ClusterNodeView:
    """One line of ``CLUSTER NODES``, parsed."""

    __slots__ = ("address", "flags", "link", "master_id", "node_id", "slots")

    def __init__(self, line: str) -> None:
        fields = line.split()
        self.node_id = fields[0]
        # "127.0.0.1:7000@17000[,hostname]"
        self.address = fields[1].split("@", 1)[0]
        self.flags = frozenset(fields[2].split(","))
        self.master_id = None if fields[3] == "-" else fields[3]
        self.link = fields[7]
        self.slots = tuple(f for f in fields[8:] if not f.startswith("["))

    @property
    def is_master(self) -> bool:
        return "master" in self.flags

    @property
    def failing(self) -> bool:
        return bool(self.flags & {"fail", "fail?", "handshake", "noaddr"})


class EmbeddedCluster:
    """``masters`` primaries with ``replicas_per_master`` replicas each.

    Built with ``CLUSTER ADDSLOTSRANGE``, ``CLUSTER MEET`` and
    ``CLUSTER REPLICATE``; :meth:`start` returns once every node reports
    ``cluster_state:ok``, all nodes agree on the slot map and every replica's
    link to its primary is up. ``node_timeout_ms`` is short so failover tests
    finish quickly.
    """

    def __init__(
        self,
        masters: int = 3,
        replicas_per_master: int = 1,
        *,
        config: Mapping[str, ConfigValue] | None = None,
        password: str | None = None,
        node_timeout_ms: int = 1500,
        host: str = "127.0.0.1",
        startup_timeout: float = 30.0,
    ) -> None:
        if masters < 1 or replicas_per_master < 0:
            raise ValueError("need at least one master and a non-negative replica count")
        self._host = host
        self._startup_timeout = startup_timeout
        node_config: dict[str, ConfigValue] = {
            "cluster-enabled": True,
            "cluster-config-file": "nodes.conf",
            "cluster-node-timeout": node_timeout_ms,
        }
        if password is not None:
            node_config["requirepass"] = password
            node_config["masterauth"] = password
        node_config.update(config or {})
        total = masters * (1 + replicas_per_master)
        self._nodes = [
            EmbeddedServer(
                node_config,
                port=find_free_port(host, cluster_bus=True),
                host=host,
                name=f"cluster-node{index}",
            )
            for index in range(total)
        ]
        self._masters = self._nodes[:masters]
        self._replicas = self._nodes[masters:]
        self._replica_of = {
            replica.port: self._masters[index % masters] for index, replica in enumerate(self._replicas)
        }

    # -- topology -------------------------------------------------------------

    @property
    def nodes(self) -> list[EmbeddedServer]:
        """Every node, initial masters first."""
        return list(self._nodes)

    @property
    def masters(self) -> list[EmbeddedServer]:
        """The nodes that were built as masters (roles change after a failover;
        see :meth:`current_masters`)."""
        return list(self._masters)

    @property
    def replicas(self) -> list[EmbeddedServer]:
        """The nodes that were built as replicas."""
        return list(self._replicas)

    @property
    def startup_nodes(self) -> list[tuple[str, int]]:
        """``(host, port)`` of every node."""
        return [node.address for node in self._nodes]

    @property
    def url(self) -> str:
        """URL of the first node (a cluster client discovers the rest)."""
        return self._nodes[0].url

    @property
    def password(self) -> str | None:
        return self._nodes[0].password

    def node_at(self, port: int) -> EmbeddedServer:
        """The node listening on ``port``."""
        for node in self._nodes:
            if node.port == port:
                return node
        raise KeyError(port)

    def replicas_of(self, master: EmbeddedServer) -> list[EmbeddedServer]:
        """Replicas initially attached to ``master``."""
        return [self.node_at(port) for port, m in self._replica_of.items() if m is master]

    def cluster_nodes(self, node: EmbeddedServer | None = None) -> list[ClusterNodeView]:
        """``CLUSTER NODES`` as seen by ``node`` (default: first running node)."""
        target = node or self._first_running()
        text = as_text(target.execute("CLUSTER", "NODES"))
        return [ClusterNodeView(line) for line in text.splitlines() if line.strip()]

    def current_masters(self) -> list[EmbeddedServer]:
        """Running nodes that currently serve slots as masters."""
        masters: list[EmbeddedServer] = []
        for view in self.cluster_nodes():
            if view.is_master and view.slots and not view.failing:
                port = int(view.address.rsplit(":", 1)[1])
                masters.append(self.node_at(port))
        return masters

    def master_for_slot(self, slot: int) -> EmbeddedServer:
        """The running node that currently owns ``slot``."""
        for view in self.cluster_nodes():
            if not view.is_master or view.failing:
                continue
            for item in view.slots:
                low, _, high = item.partition("-")
                if int(low) <= slot <= int(high or low):
                    return self.node_at(int(view.address.rsplit(":", 1)[1]))
        raise KeyError(slot)

    # -- lifecycle ------------------------------------------------------------

    def start(self) -> EmbeddedCluster:
        """Start every node, build the cluster and wait until it is healthy."""
        deadline = time.monotonic() + self._startup_timeout
        try:
            for node in self._nodes:
                node.launch()
            for node in self._nodes:
                node.wait_ready(max(0.1, deadline - time.monotonic()))
            self._build(deadline)
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Stop every node and remove their directories."""
        for node in reversed(self._nodes):
            node.stop()

    def kill_node(self, node: EmbeddedServer | int) -> EmbeddedServer:
        """SIGKILL a node, given as an :class:`EmbeddedServer` or its port."""
        target = node if isinstance(node, EmbeddedServer) else self.node_at(node)
        target.kill()
        return target

    def flushall(self) -> None:
        """``FLUSHALL`` on every running master."""
        for node in self.current_masters():
            node.flushall()

    def wait_ok(self, timeout: float = 15.0) -> None:
        """Wait until every running node reports ``cluster_state:ok``, all of
        them agree on which address serves each slot range, and every slot is
        served by a running node (so after :meth:`kill_node` on a master this
        waits for its replica to take over)."""
        deadline = time.monotonic() + timeout
        self._poll(deadline, self._healthy, "cluster_state:ok on every running node")

    def __enter__(self) -> EmbeddedCluster:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- internals ------------------------------------------------------------

    def _first_running(self) -> EmbeddedServer:
        for node in self._nodes:
            if node.is_running():
                return node
        raise TopologyError("no cluster node is running")

    def _build(self, deadline: float) -> None:
        # Distinct config epochs avoid the collision-resolution dance.
        for epoch, node in enumerate(self._nodes, start=1):
            node.execute("CLUSTER", "SET-CONFIG-EPOCH", epoch)
        for master, (low, high) in zip(self._masters, slot_ranges(len(self._masters)), strict=True):
            master.execute("CLUSTER", "ADDSLOTSRANGE", low, high)
        first = self._nodes[0]
        for node in self._nodes[1:]:
            first.execute("CLUSTER", "MEET", node.host, node.port)
        self._poll(deadline, self._all_met, "every node to know every other node")
        ids = {node.port: as_text(node.execute("CLUSTER", "MYID")) for node in self._nodes}
        for replica in self._replicas:
            master = self._replica_of[replica.port]
            replica.execute("CLUSTER", "REPLICATE", ids[master.port])
        self._poll(deadline, self._started, "cluster_state:ok and replicas in sync")

    def _poll(self, deadline: float, check: Callable[[], bool], what: str) -> None:
        last_error = ""
        while True:
            try:
                if check():
                    return
            except (OSError, ValueError, TypeError, ReplyError) as exc:
                last_error = f" (last error: {exc})"
            if time.monotonic() >= deadline:
                raise TopologyError(f"timed out waiting for {what}{last_error}")
            time.sleep(_POLL_INTERVAL)

    def _all_met(self) -> bool:
        total = len(self._nodes)
        for node in self._nodes:
            views = self.cluster_nodes(node)
            if len(views) != total or any(view.failing for view in views):
                return False
        return True

    def _started(self) -> bool:
        if not self._healthy():
            return False
        for node in self._nodes:
            views = self.cluster_nodes(node)
            if sum(1 for view in views if view.master_id is not None) != len(self._replicas):
                return False
        return all(
            replica.info("replication").get("master_link_status") == "up" for replica in self._replicas
        )

    def _healthy(self) -> bool:
        signatures: set[tuple[tuple[str, tuple[str, ...]], ...]] = set()
        for node in self._nodes:
            if not node.is_running():
                continue
            info = parse_info(as_text(node.execute("CLUSTER", "INFO")))
            if info.get("cluster_state") != "ok":
                return False
            owners = sorted(
                (view.address, view.slots)
                for view in self.cluster_nodes(node)
                if view.is_master and view.slots and not view.failing
            )
            signatures.add(tuple(owners))
        if len(signatures) != 1:
            return False
        (agreed,) = signatures
        running = {f"{node.host}:{node.port}" for node in self._nodes if node.is_running()}
        covered = 0
        for address, slots in agreed:
            if address not in running:
                return False  # a dead master still owns slots: failover pending
            for item in slots:
                low, _, high = item.partition("-")
                covered += int(high or low) - int(low) + 1
        return covered == CLUSTER_SLOTS
