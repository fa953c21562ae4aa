"""A TCP proxy for the test rig: it stands between a client and a real server.

:class:`TcpProxy` listens on a free 127.0.0.1 port and forwards every connection to
``upstream``. Faults are switched on and off while it runs:

* ``latency``: seconds slept before each chunk is forwarded, both ways;
* ``mode = "blackhole"``: new connections are accepted and read, never answered, and
  nothing is forwarded (a hung server);
* ``mode = "reset"``: new connections are closed with a TCP reset at once;
* ``cut_next_reply()``: the next reply chunk from the server is forwarded only in
  part, then both sides are closed (a reply cut mid-way);
* ``reset_all()``: every open connection is reset now.

``upstream`` may be changed at any time; it applies to connections made afterwards
(as a DNS name moving to another host does). ``wrap`` turns an accepted socket into
another one before anything is read, e.g. an ``ssl`` server socket for a TLS proxy.
Everything it starts it stops: ``with TcpProxy(...) as proxy:``.
"""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
import time
from collections.abc import Callable
from types import TracebackType

_CHUNK = 65536


def _reset(sock: socket.socket) -> None:
    """Close ``sock`` with a TCP RST instead of a FIN."""
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    _close(sock)


def _close(sock: socket.socket) -> None:
    """Close ``sock`` even while another thread is blocked reading it."""
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)  # wakes the reader; close() alone would not
    with contextlib.suppress(OSError):
        sock.close()


class TcpProxy:
    """Forwards ``127.0.0.1:port`` to ``upstream``, with faults on request."""

    def __init__(
        self,
        upstream: tuple[str, int],
        *,
        wrap: Callable[[socket.socket], socket.socket] | None = None,
    ) -> None:
        self.upstream = upstream
        self.wrap = wrap
        self.latency = 0.0
        self.mode = "pass"
        self.accepted = 0
        self._cut = threading.Event()
        self._lock = threading.Lock()
        self._sockets: set[socket.socket] = set()
        self._threads: list[threading.Thread] = []
        self._listener: socket.socket | None = None
        self._stopped = threading.Event()

    # -- lifecycle ----------------------------------------------------------------------

    def start(self) -> TcpProxy:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", 0))
        listener.listen(128)
        listener.settimeout(0.1)
        self._listener = listener
        self._spawn(self._accept_loop)
        return self

    def stop(self) -> None:
        self._stopped.set()
        if self._listener is not None:
            with contextlib.suppress(OSError):
                self._listener.close()
        self.reset_all()
        for thread in self._threads:
            thread.join(timeout=2)
        self._threads.clear()

    def __enter__(self) -> TcpProxy:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self._listener is not None, "start() the proxy first"
        return int(self._listener.getsockname()[1])

    @property
    def address(self) -> tuple[str, int]:
        return ("127.0.0.1", self.port)

    def url(self, scheme: str = "valkey", db: int = 0) -> str:
        return f"{scheme}://127.0.0.1:{self.port}/{db}"

    # -- faults -------------------------------------------------------------------------

    def cut_next_reply(self) -> None:
        """Forward only part of the next server reply, then close both sides."""
        self._cut.set()

    def reset_all(self) -> None:
        """Reset every connection open through the proxy."""
        with self._lock:
            sockets = list(self._sockets)
            self._sockets.clear()
        for sock in sockets:
            _reset(sock)

    @property
    def open_connections(self) -> int:
        """Sockets currently open, client and server sides counted separately."""
        with self._lock:
            return len(self._sockets)

    # -- internals ----------------------------------------------------------------------

    def _spawn(self, target: Callable[..., None], *args: object) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)
        self._threads.append(thread)
        thread.start()

    def _track(self, sock: socket.socket) -> None:
        with self._lock:
            self._sockets.add(sock)

    def _untrack(self, sock: socket.socket) -> None:
        with self._lock:
            self._sockets.discard(sock)
        _close(sock)

    def _accept_loop(self) -> None:
        assert self._listener is not None
        while not self._stopped.is_set():
            try:
                client, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.accepted += 1
            if self.mode == "reset":
                _reset(client)
                continue
            self._track(client)
            self._spawn(self._serve, client)

    def _serve(self, client: socket.socket) -> None:
        client.settimeout(None)
        if self.wrap is not None:
            try:
                wrapped = self.wrap(client)
            except OSError:
                self._untrack(client)
                return
            with self._lock:
                self._sockets.discard(client)
                self._sockets.add(wrapped)
            client = wrapped
        if self.mode == "blackhole":
            self._swallow(client)
            return
        try:
            server = socket.create_connection(self.upstream, timeout=5)
        except OSError:
            self._untrack(client)
            return
        server.settimeout(None)
        self._track(server)
        self._spawn(self._pump, server, client, True)
        self._pump(client, server, False)

    def _swallow(self, client: socket.socket) -> None:
        while not self._stopped.is_set():
            try:
                if not client.recv(_CHUNK):
                    break
            except OSError:
                break
        self._untrack(client)

    def _pump(self, source: socket.socket, target: socket.socket, from_server: bool) -> None:
        while True:
            try:
                data = source.recv(_CHUNK)
            except OSError:
                break
            if not data:
                break
            if self.latency:
                time.sleep(self.latency)
            if from_server and self._cut.is_set():
                self._cut.clear()
                with contextlib.suppress(OSError):
                    target.sendall(data[: max(1, len(data) // 2)])
                break
            try:
                target.sendall(data)
            except OSError:
                break
        self._untrack(source)
        self._untrack(target)
