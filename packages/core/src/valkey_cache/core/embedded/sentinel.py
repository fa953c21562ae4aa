"""A local Sentinel topology: one master, one replica, several sentinels."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from types import TracebackType

from valkey_cache.core.embedded.errors import TopologyError
from valkey_cache.core.embedded.process import ConfigValue, EmbeddedServer
from valkey_cache.core.embedded.resp import ReplyError, as_list, as_text, pairs_to_dict

_POLL_INTERVAL = 0.05


class EmbeddedSentinel:
    """A master, a replica (``replicaof``) and ``sentinels`` sentinel processes
    monitoring them as ``service_name`` with the given ``quorum``.

    ``down_after_ms`` and ``failover_timeout_ms`` are short so a failover
    (kill :attr:`master`, then :meth:`wait_for_failover`) takes a few seconds.
    ``password`` protects the data nodes (``requirepass``/``masterauth``, and
    ``sentinel auth-pass`` for the sentinels); the sentinels themselves need no
    password.
    """

    def __init__(
        self,
        service_name: str = "mymaster",
        *,
        sentinels: int = 3,
        quorum: int = 2,
        down_after_ms: int = 1000,
        failover_timeout_ms: int = 5000,
        password: str | None = None,
        config: Mapping[str, ConfigValue] | None = None,
        host: str = "127.0.0.1",
        startup_timeout: float = 30.0,
    ) -> None:
        if sentinels < 1 or not 1 <= quorum <= sentinels:
            raise ValueError("need at least one sentinel and 1 <= quorum <= sentinels")
        self._service_name = service_name
        self._host = host
        self._quorum = quorum
        self._startup_timeout = startup_timeout
        data_config: dict[str, ConfigValue] = {}
        if password is not None:
            data_config["requirepass"] = password
            # The master becomes a replica if it comes back after a failover.
            data_config["masterauth"] = password
        data_config.update(config or {})
        self._master = EmbeddedServer(data_config, host=host, name="sentinel-master")
        self._replica = EmbeddedServer(
            {**data_config, "replicaof": f"{host} {self._master.port}"},
            host=host,
            name="sentinel-replica",
        )
        monitor = [
            f"monitor {service_name} {host} {self._master.port} {quorum}",
            f"down-after-milliseconds {service_name} {down_after_ms}",
            f"failover-timeout {service_name} {failover_timeout_ms}",
            f"parallel-syncs {service_name} 1",
        ]
        if password is not None:
            monitor.append(f"auth-pass {service_name} {password}")
        self._sentinels = [
            EmbeddedServer({"sentinel": monitor}, host=host, sentinel=True, name=f"sentinel{index}")
            for index in range(sentinels)
        ]

    # -- topology -------------------------------------------------------------

    @property
    def service_name(self) -> str:
        """Name the sentinels monitor the master under."""
        return self._service_name

    @property
    def quorum(self) -> int:
        return self._quorum

    @property
    def master(self) -> EmbeddedServer:
        """The node started as master (after a failover see :meth:`current_master`)."""
        return self._master

    @property
    def replica(self) -> EmbeddedServer:
        """The node started as replica."""
        return self._replica

    @property
    def data_nodes(self) -> list[EmbeddedServer]:
        """``[master, replica]`` as initially built."""
        return [self._master, self._replica]

    @property
    def sentinels(self) -> list[tuple[str, int]]:
        """``(host, port)`` of every sentinel."""
        return [sentinel.address for sentinel in self._sentinels]

    @property
    def sentinel_servers(self) -> list[EmbeddedServer]:
        """The sentinel processes themselves."""
        return list(self._sentinels)

    @property
    def password(self) -> str | None:
        """Password of the data nodes, if any."""
        return self._master.password

    def current_master(self) -> tuple[str, int]:
        """Ask the sentinels (``SENTINEL GET-MASTER-ADDR-BY-NAME``) for the master."""
        last: Exception | None = None
        for sentinel in self._sentinels:
            if not sentinel.is_running():
                continue
            try:
                reply = as_list(sentinel.execute("SENTINEL", "GET-MASTER-ADDR-BY-NAME", self._service_name))
                return as_text(reply[0]), int(as_text(reply[1]))
            except (OSError, ReplyError, TypeError, IndexError) as exc:
                last = exc
        raise TopologyError(f"no sentinel could name the master: {last}")

    def current_master_server(self) -> EmbeddedServer:
        """The :class:`EmbeddedServer` the sentinels currently name as master."""
        _, port = self.current_master()
        for node in self.data_nodes:
            if node.port == port:
                return node
        raise TopologyError(f"sentinels name an unknown master on port {port}")

    # -- lifecycle ------------------------------------------------------------

    def start(self) -> EmbeddedSentinel:
        """Start master, replica and sentinels; return once :meth:`wait_ready` holds."""
        deadline = time.monotonic() + self._startup_timeout
        try:
            self._master.start()
            self._replica.start()
            # Sentinels learn about replicas from the master's INFO, which they
            # fetch at once on connect and then only every 10 s: make sure the
            # replica is attached before they look.
            self._poll(deadline, self._replica_in_sync, "the replica to sync with the master")
            for sentinel in self._sentinels:
                sentinel.launch()
            for sentinel in self._sentinels:
                sentinel.wait_ready(max(0.1, deadline - time.monotonic()))
            self.wait_ready(max(0.1, deadline - time.monotonic()))
        except BaseException:
            self.stop()
            raise
        return self

    def wait_ready(self, timeout: float = 15.0) -> None:
        """Wait until every running sentinel sees the master as up, knows the
        replica and knows all the other sentinels (needed to elect a leader)."""
        deadline = time.monotonic() + timeout
        self._poll(deadline, self._sentinels_ready, "the sentinels to see master and replica")

    def wait_for_failover(
        self, previous: tuple[str, int] | None = None, timeout: float = 15.0
    ) -> tuple[str, int]:
        """Wait until the sentinels name a master other than ``previous``
        (default: the initial master) and that node reports ``role:master``.
        Returns the new master's ``(host, port)``."""
        old = previous or self._master.address
        deadline = time.monotonic() + timeout
        found: list[tuple[str, int]] = []

        def switched() -> bool:
            address = self.current_master()
            if address == old:
                return False
            node = self.current_master_server()
            if node.info("replication").get("role") != "master":
                return False
            found.append(address)
            return True

        self._poll(deadline, switched, f"a failover away from {old[0]}:{old[1]}")
        return found[-1]

    def stop(self) -> None:
        """Stop sentinels first (so they start no failover), then the data nodes."""
        for sentinel in self._sentinels:
            sentinel.stop()
        self._replica.stop()
        self._master.stop()

    def __enter__(self) -> EmbeddedSentinel:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- internals ------------------------------------------------------------

    def _poll(self, deadline: float, check: Callable[[], bool], what: str) -> None:
        last_error = ""
        while True:
            try:
                if check():
                    return
            except (OSError, ValueError, TypeError, ReplyError, TopologyError) as exc:
                last_error = f" (last error: {exc})"
            if time.monotonic() >= deadline:
                raise TopologyError(f"timed out waiting for {what}{last_error}")
            time.sleep(_POLL_INTERVAL)

    def _replica_in_sync(self) -> bool:
        return self._replica.info("replication").get("master_link_status") == "up"

    def _sentinels_ready(self) -> bool:
        running = [s for s in self._sentinels if s.is_running()]
        if not running:
            raise TopologyError("no sentinel is running")
        for sentinel in running:
            state = pairs_to_dict(sentinel.execute("SENTINEL", "MASTER", self._service_name))
            if state.get("flags") != "master":
                return False
            if int(state.get("num-slaves", "0")) < 1:
                return False
            if int(state.get("num-other-sentinels", "0")) < len(self._sentinels) - 1:
                return False
            replicas = as_list(sentinel.execute("SENTINEL", "REPLICAS", self._service_name))
            if not any(pairs_to_dict(r).get("flags") == "slave" for r in replicas):
                return False
        return True
