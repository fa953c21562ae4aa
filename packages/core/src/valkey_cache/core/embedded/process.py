"""One ``valkey-server`` process: :class:`EmbeddedServer`."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeAlias

from valkey_cache.core.embedded import registry
from valkey_cache.core.embedded.binary import find_server_binary
from valkey_cache.core.embedded.errors import EmbeddedError, ServerStartError
from valkey_cache.core.embedded.ports import find_free_port
from valkey_cache.core.embedded.resp import (
    Arg,
    Reply,
    ReplyError,
    RespConnection,
    as_text,
    parse_info,
)

if TYPE_CHECKING:
    import valkey

#: A config directive's value. ``None`` drops the directive, ``bool`` becomes
#: ``yes``/``no``, an empty string becomes ``""`` and a list or tuple writes the
#: directive once per item (for repeatable directives such as ``user``).
ConfigValue: TypeAlias = "str | int | bool | Sequence[str | int] | None"

_CONFIG_FILE = "valkey.conf"
_LOG_FILE = "server.log"
_SOCKET_FILE = "valkey.sock"
_POLL_INTERVAL = 0.02
# AF_UNIX paths are limited to ~104-108 bytes; macOS $TMPDIR is long.
_MAX_TEMP_BASE_LEN = 60


def _temp_base() -> str | None:
    base = tempfile.gettempdir()
    if len(base) > _MAX_TEMP_BASE_LEN and os.path.isdir("/tmp"):
        return "/tmp"
    return None


def _format_value(value: str | int | bool) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return str(value)
    return value if value != "" else '""'


def render_config(directives: Mapping[str, ConfigValue]) -> str:
    """Render directives as the text of a ``valkey.conf`` file."""
    lines: list[str] = []
    for name, value in directives.items():
        if value is None:
            continue
        if isinstance(value, str | int | bool):
            lines.append(f"{name} {_format_value(value)}")
        else:
            lines.extend(f"{name} {_format_value(item)}" for item in value)
    return "\n".join(lines) + "\n"


class EmbeddedServer:
    """A ``valkey-server`` child process bound to loopback, for tests and demos.

    By default it listens on a free TCP port of ``127.0.0.1``. With
    ``unix_socket=True`` (or a path) it listens on a unix socket, and on no TCP
    port unless ``port`` is given too. Persistence is off and the server works
    in its own temporary directory, removed by :meth:`stop`.

    ``config`` adds or overrides directives (``{"requirepass": "s3cret"}``,
    ``{"replicaof": "127.0.0.1 7001"}``); see :data:`ConfigValue`.
    """

    def __init__(
        self,
        config: Mapping[str, ConfigValue] | None = None,
        *,
        port: int | None = None,
        unix_socket: bool | str | os.PathLike[str] = False,
        host: str = "127.0.0.1",
        sentinel: bool = False,
        binary: str | os.PathLike[str] | None = None,
        startup_timeout: float = 10.0,
        stop_timeout: float = 5.0,
        name: str = "valkey",
    ) -> None:
        self._config: dict[str, ConfigValue] = {k.lower(): v for k, v in (config or {}).items()}
        self._host = host
        self._sentinel = sentinel
        self._binary = Path(binary) if binary is not None else None
        self.startup_timeout = startup_timeout
        self.stop_timeout = stop_timeout
        self._name = name
        self._dir: Path | None = None
        self._proc: subprocess.Popen[bytes] | None = None

        self._unix_socket: str | None
        if unix_socket is True:
            self._unix_socket = ""  # resolved to <temp dir>/valkey.sock on first start
        elif unix_socket is False:
            self._unix_socket = None
        else:
            self._unix_socket = os.fspath(unix_socket)

        self._auto_port = port is None and self._unix_socket is None
        if port is None:
            port = 0 if self._unix_socket is not None else find_free_port(host)
        elif port == 0 and self._unix_socket is None:
            raise ValueError("port=0 disables TCP; pass unix_socket=True as well")
        self._port = port

    # -- identity -------------------------------------------------------------

    @property
    def host(self) -> str:
        """Address the server binds to."""
        return self._host

    @property
    def port(self) -> int:
        """TCP port, or ``0`` for a unix-socket-only server."""
        return self._port

    @property
    def address(self) -> tuple[str, int]:
        """``(host, port)``."""
        return (self._host, self._port)

    @property
    def unix_socket(self) -> str | None:
        """Path of the unix socket, or ``None`` when the server has none."""
        if self._unix_socket == "":
            return str(self._ensure_dir() / _SOCKET_FILE)
        return self._unix_socket

    @property
    def url(self) -> str:
        """``valkey://host:port``, or ``unix:///path`` for a unix-socket-only server."""
        if self._port == 0:
            return f"unix://{self.unix_socket}"
        return f"valkey://{self._host}:{self._port}"

    @property
    def unix_url(self) -> str | None:
        """``unix:///path`` when the server has a unix socket."""
        path = self.unix_socket
        return None if path is None else f"unix://{path}"

    @property
    def pid(self) -> int | None:
        """PID of the running process, ``None`` when not running."""
        return self._proc.pid if self.is_running() and self._proc is not None else None

    @property
    def password(self) -> str | None:
        """The ``requirepass`` value, if the config sets one."""
        value = self._config.get("requirepass")
        return value if isinstance(value, str) and value else None

    @property
    def is_sentinel(self) -> bool:
        """True when the process runs in sentinel mode."""
        return self._sentinel

    @property
    def directory(self) -> Path | None:
        """The server's temporary working directory (``None`` before the first start)."""
        return self._dir

    @property
    def config_path(self) -> Path | None:
        """The generated ``valkey.conf`` (``None`` before the first start)."""
        return None if self._dir is None else self._dir / _CONFIG_FILE

    @property
    def log_path(self) -> Path | None:
        """Where the server's stdout/stderr go (``None`` before the first start)."""
        return None if self._dir is None else self._dir / _LOG_FILE

    def __repr__(self) -> str:
        state = f"pid={self.pid}" if self.is_running() else "stopped"
        return f"<EmbeddedServer {self._name} {self.url} {state}>"

    # -- lifecycle ------------------------------------------------------------

    def is_running(self) -> bool:
        """True while the child process is alive."""
        return self._proc is not None and self._proc.poll() is None

    def start(self) -> EmbeddedServer:
        """Start the process and wait until it answers ``PING``.

        Raises :class:`ServerStartError`, with the end of the server log, when
        the process exits or does not answer within ``startup_timeout``.
        """
        if self.is_running():
            return self
        attempts = 3 if self._auto_port else 1
        for attempt in range(attempts):
            self.launch()
            try:
                self.wait_ready()
            except ServerStartError as exc:
                port_taken = "Address already in use" in exc.log_tail
                if not (port_taken and attempt + 1 < attempts):
                    raise
                # Someone grabbed the port between probing and binding: retry.
                self._port = find_free_port(self._host)
            else:
                return self
        raise AssertionError("unreachable")  # pragma: no cover

    def launch(self) -> None:
        """Spawn the process without waiting for it (see :meth:`wait_ready`).

        Used to start many servers in parallel; :meth:`start` does both steps.
        """
        if self.is_running():
            return
        directory = self._ensure_dir()
        config_path = directory / _CONFIG_FILE
        # Kept across restart() so sentinels keep what they rewrote into it.
        if not config_path.exists():
            config_path.write_text(render_config(self._directives(directory)))
        binary = self._binary or find_server_binary()
        command = [os.fspath(binary), os.fspath(config_path)]
        if self._sentinel:
            command.append("--sentinel")
        with open(directory / _LOG_FILE, "ab") as log:
            self._proc = subprocess.Popen(
                command,
                cwd=directory,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                # Own session: Ctrl-C in the terminal reaches Python only, which
                # then stops the servers in order.
                start_new_session=True,
                # Only prctl() runs between fork and exec (resolved beforehand).
                preexec_fn=registry.child_preexec(),  # noqa: PLW1509
            )
        registry.register(self)

    def wait_ready(self, timeout: float | None = None) -> None:
        """Block until the server answers ``PING``; on failure stop it and raise."""
        deadline = time.monotonic() + (self.startup_timeout if timeout is None else timeout)
        while True:
            proc = self._proc
            if proc is None:
                raise EmbeddedError("server was not launched")
            code = proc.poll()
            if code is not None:
                tail = self.log_tail()
                self._cleanup()
                raise ServerStartError(
                    f"valkey-server ({self._name}) exited with code {code} during startup", tail
                )
            if self._answers_ping():
                return
            if time.monotonic() >= deadline:
                tail = self.log_tail()
                self.stop()
                raise ServerStartError(
                    f"valkey-server ({self._name}) did not answer PING at {self.url} "
                    f"within {self.startup_timeout:.1f}s",
                    tail,
                )
            time.sleep(_POLL_INTERVAL)

    def stop(self) -> None:
        """Stop the process (SIGTERM, then SIGKILL after ``stop_timeout``) and
        remove its temporary directory. Safe to call more than once."""
        self._terminate()
        self._cleanup()

    def kill(self) -> None:
        """SIGKILL the process (simulates a crash). The directory is kept so
        :meth:`restart` or :meth:`start` brings the same node back."""
        proc = self._proc
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.wait()
        registry.unregister(self)

    def restart(self) -> EmbeddedServer:
        """Stop (gracefully, if running) and start again on the same port or socket."""
        self._terminate()
        return self.start()

    def __enter__(self) -> EmbeddedServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- talking to the server ------------------------------------------------

    def connect(self, timeout: float = 2.0) -> RespConnection:
        """Open an authenticated :class:`RespConnection` to this server."""
        if self._port == 0:
            conn = RespConnection(unix_socket=self.unix_socket, timeout=timeout)
        else:
            conn = RespConnection(host=self._host, port=self._port, timeout=timeout)
        try:
            conn.authenticate(self.password)
        except BaseException:
            conn.close()
            raise
        return conn

    def execute(self, *args: Arg, timeout: float = 2.0) -> Reply:
        """Run one command on a fresh connection and return the raw reply."""
        with self.connect(timeout) as conn:
            return conn.execute(*args)

    def info(self, section: str | None = None) -> dict[str, str]:
        """``INFO [section]`` parsed into a dict of strings."""
        reply = self.execute("INFO", section) if section else self.execute("INFO")
        return parse_info(as_text(reply))

    def flushall(self) -> None:
        """Empty every database (``FLUSHALL``)."""
        self.execute("FLUSHALL")

    def connection_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for ``valkey.Valkey(...)`` that reach this server."""
        kwargs: dict[str, Any] = (
            {"unix_socket_path": self.unix_socket}
            if self._port == 0
            else {"host": self._host, "port": self._port}
        )
        if self.password is not None:
            kwargs["password"] = self.password
        return kwargs

    def client(self, **kwargs: Any) -> valkey.Valkey:
        """A ``valkey.Valkey`` client for this server (extra kwargs are passed on)."""
        import valkey

        return valkey.Valkey(**{**self.connection_kwargs(), **kwargs})

    def log_tail(self, lines: int = 40) -> str:
        """The last ``lines`` lines of the server's log ('' if there is none)."""
        if self._dir is None:
            return ""
        try:
            text = (self._dir / _LOG_FILE).read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    # -- internals ------------------------------------------------------------

    def _ensure_dir(self) -> Path:
        if self._dir is None:
            self._dir = Path(tempfile.mkdtemp(prefix=f"{self._name}-", dir=_temp_base()))
        else:
            self._dir.mkdir(parents=True, exist_ok=True)
        return self._dir

    def _directives(self, directory: Path) -> dict[str, ConfigValue]:
        directives: dict[str, ConfigValue] = {
            "bind": self._host,
            "port": self._port,
            "dir": str(directory),
            "daemonize": False,
            "logfile": "",
        }
        if not self._sentinel:
            directives.update(
                {
                    "save": "",
                    "appendonly": False,
                    # Full syncs start at once instead of waiting 5 s for more replicas.
                    "repl-diskless-sync-delay": 0,
                    "shutdown-timeout": 1,
                    "enable-debug-command": "local",
                }
            )
        socket_path = self.unix_socket
        if socket_path is not None:
            directives["unixsocket"] = socket_path
            directives["unixsocketperm"] = 700
        directives.update(self._config)
        return directives

    def _answers_ping(self) -> bool:
        try:
            with self.connect(timeout=0.5) as conn:
                conn.execute("PING")
        except ReplyError as exc:
            # NOAUTH/WRONGPASS etc. still prove the server is up; LOADING does not.
            return not str(exc).startswith("LOADING")
        except OSError:
            return False
        return True

    def _terminate(self) -> None:
        proc = self._proc
        if proc is not None and proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(proc.pid, signal.SIGTERM)
            try:
                proc.wait(self.stop_timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        registry.unregister(self)

    def _cleanup(self) -> None:
        registry.unregister(self)
        if self._dir is not None:
            shutil.rmtree(self._dir, ignore_errors=True)
