"""The invalidation channel: one connection per server, read by a daemon thread.

The connection speaks RESP2 Pub/Sub, subscribed to ``__redis__:invalidate``, which
works with valkey-py's pure-Python parser and with libvalkey's. In BCAST mode it also
turns tracking on for itself (``REDIRECT`` to its own id, ``BCAST PREFIX``), so data
connections need nothing; in OPTIN mode the data connections redirect to its id.

While the channel is down, or a PING goes unanswered for one interval, the store is
inactive (every copy dropped, reads go to the server); it is active again once the
channel is back. One log line marks each drop and each recovery.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from .store import NearStore

logger = logging.getLogger("valkey_cache")

CHANNEL = "__redis__:invalidate"
#: Seconds between PINGs when the channel is quiet; a PING unanswered this long is a loss.
PING_INTERVAL = 1.0
#: Seconds before the first attempt to re-establish a lost channel; doubled after each
#: failed attempt, up to :data:`RETRY_MAX`.
RETRY_INTERVAL = 0.2
RETRY_MAX = 5.0


class ChannelLost(Exception):
    """The channel stopped answering, or its server is no longer the one to track."""


class Listener:
    """Keeps ``store`` coherent with one server; ``client_id`` is the id to redirect to.

    ``changed(listener, up)`` is told when tracking is in place (``up``) or lost.
    ``still_current(conn)`` is asked while the channel is quiet, and between attempts to
    reconnect (``conn`` None then), whether its server is still one to track.
    """

    def __init__(
        self,
        store: NearStore,
        make_connection: Callable[[], Any],
        *,
        mode: str,
        prefix: str,
        server: str,
        changed: Callable[[Listener, bool], None],
        still_current: Callable[[Any], bool] | None = None,
    ) -> None:
        self.store = store
        self._changed = changed
        self.mode = mode
        self.prefix = prefix
        self.server = server
        self._make_connection = make_connection
        self._still_current = still_current
        self._stopped = threading.Event()
        self._start_lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._conn: Any = None
        self.client_id: int | None = None
        self.ping_interval = PING_INTERVAL
        self.ready = threading.Event()

    def ensure_started(self) -> None:
        """Start the thread once (reads call this; it returns at once)."""
        if self._thread is not None:
            return
        with self._start_lock:
            if self._thread is None and not self._stopped.is_set():
                thread = threading.Thread(
                    target=self._run, name=f"valkey-cache near {self.server}", daemon=True
                )
                self._thread = thread
                thread.start()

    def after_fork(self) -> None:
        """In a forked child: no thread, no connection (the next read starts them)."""
        self._thread = None
        self._conn = None
        self.client_id = None
        self._start_lock = threading.Lock()
        self.ready = threading.Event()

    def stop(self) -> None:
        """Stop the thread and close the connection."""
        self._stopped.set()
        conn = self._conn
        if conn is not None:
            try:
                conn.disconnect()
            except Exception:
                pass
        self._changed(self, False)

    def _run(self) -> None:
        lost = False
        retry = RETRY_INTERVAL
        while not self._stopped.is_set():
            try:
                conn = self._connect()
            except Exception as exc:
                if not lost:
                    logger.warning("valkey-cache: near cache off for %s: cannot track (%s)", self.server, exc)
                    lost = True
                if self._still_current is not None and not self._still_current(None):
                    break  # replaced: its server is not one to track any more
                self._stopped.wait(retry)
                retry = min(retry * 2, RETRY_MAX)
                continue
            retry = RETRY_INTERVAL
            self._changed(self, True)
            self.ready.set()
            if lost:
                logger.warning("valkey-cache: near cache back on for %s", self.server)
                lost = False
            try:
                self._listen(conn)
            except Exception as exc:
                if self._stopped.is_set():
                    break
                self.ready.clear()
                self.client_id = None
                self._changed(self, False)
                logger.warning(
                    "valkey-cache: near cache dropped for %s: invalidation channel lost (%s)",
                    self.server,
                    exc,
                )
                lost = True
            finally:
                self._close(conn)
        self._changed(self, False)

    def _connect(self) -> Any:
        conn = self._make_connection()
        # Its PING is answered the Pub/Sub way: valkey-py's health check would refuse that.
        conn.health_check_interval = 0
        self._conn = conn
        try:
            conn.connect()
            conn.send_command("CLIENT", "ID")
            client_id = int(conn.read_response())
            # BCAST: the tracking itself. OPTIN: the data connections' command, tried here
            # first, so a user not allowed it gets no near cache rather than failed reads.
            if self.mode == "bcast":
                conn.send_command(
                    "CLIENT", "TRACKING", "ON", "REDIRECT", client_id, "BCAST", "PREFIX", self.prefix
                )
            else:
                conn.send_command("CLIENT", "TRACKING", "ON", "REDIRECT", client_id, "OPTIN")
            conn.read_response()
            conn.send_command("SUBSCRIBE", CHANNEL)
            conn.read_response()
        except BaseException:
            self._close(conn)
            raise
        self.client_id = client_id
        return conn

    def _listen(self, conn: Any) -> None:
        awaiting_pong = False
        store = self.store
        checked = time.monotonic()
        while not self._stopped.is_set():
            if conn.can_read(timeout=self.ping_interval):
                message = conn.read_response()
                if isinstance(message, list) and len(message) >= 2:
                    kind = message[0]
                    if kind == b"message":
                        keys = message[2]
                        if keys is None:
                            store.flush()
                        else:
                            store.invalidate(k.decode("utf-8", "surrogateescape") for k in keys)
                    elif kind == b"pong":
                        awaiting_pong = False
                # A busy channel is checked as often as a quiet one.
                if time.monotonic() - checked >= self.ping_interval:
                    self._check_current(conn)
                    checked = time.monotonic()
                continue
            if awaiting_pong:
                raise ChannelLost(f"no answer to PING within {self.ping_interval}s")
            self._check_current(conn)
            checked = time.monotonic()
            conn.send_command("PING")
            awaiting_pong = True

    def _check_current(self, conn: Any) -> None:
        if self._still_current is not None and not self._still_current(conn):
            raise ChannelLost("the server is no longer one to track (a failover, or the primaries changed)")

    def _close(self, conn: Any) -> None:
        if self._conn is conn:
            self._conn = None
        try:
            conn.disconnect()
        except Exception:
            pass
