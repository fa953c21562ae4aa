"""A circuit breaker per server: stop waiting on a server that keeps failing.

After ``FAILURES`` consecutive connection failures or timeouts on one server (a
``host:port``, a unix socket, a cluster node, a sentinel service), calls to that
server fail at once with :class:`CircuitOpenError` instead of touching the network.
``RESET_TIMEOUT`` seconds later one call is let through as a probe: a reply closes the
circuit, a failure opens it again for another ``RESET_TIMEOUT``. Any reply, error
replies included, resets the count.

The breaker lives in the valkey-py connection: :func:`install` swaps a pool's
``connection_class`` for a subclass that consults the server's :class:`Breaker`, so a
shard or cluster keeps serving from its other servers. While the circuit is closed a
command costs an attribute check or two. State is per process: a forked child starts
with closed circuits.
"""

from __future__ import annotations

import inspect
import logging
import os
import ssl
import threading
import time
from collections.abc import Awaitable, Mapping
from typing import Any, NamedTuple

from valkey.exceptions import AuthenticationError, AuthorizationError, BusyLoadingError, ResponseError
from valkey.exceptions import ConnectionError as ValkeyConnectionError
from valkey.exceptions import TimeoutError as ValkeyTimeoutError

from .exceptions import ConfigurationError, ValkeyCacheError

logger = logging.getLogger("valkey_cache")

OPTION = "CIRCUIT_BREAKER"
_ACCEPTED = 'True, False or a dict {"FAILURES": int >= 1, "RESET_TIMEOUT": seconds > 0}'

#: Errors read from a socket that mean the server failed (not a reply it gave).
_FAILURES = (ValkeyConnectionError, ValkeyTimeoutError)
#: Errors that are the server's answer (WRONGTYPE, NOSCRIPT, a refused password, LOADING).
_REPLIES = (ResponseError, AuthenticationError, AuthorizationError, BusyLoadingError)


class BreakerSettings(NamedTuple):
    failures: int = 3
    reset_timeout: float = 1.0


_DEFAULT = BreakerSettings()


def breaker_settings(options: Mapping[str, Any]) -> BreakerSettings | None:
    """The ``CIRCUIT_BREAKER`` option: settings, or None when turned off."""
    value = options.get(OPTION, True)
    if value is True or value is None:
        return _DEFAULT
    if value is False:
        return None
    if not isinstance(value, Mapping):
        raise ConfigurationError(OPTION, value, _ACCEPTED)
    unknown = sorted(str(name) for name in value if name not in ("FAILURES", "RESET_TIMEOUT"))
    if unknown:
        raise ConfigurationError(f"{OPTION}[{unknown[0]!r}]", value[unknown[0]], _ACCEPTED)
    failures = value.get("FAILURES", _DEFAULT.failures)
    if isinstance(failures, bool) or not isinstance(failures, int) or failures < 1:
        raise ConfigurationError(f"{OPTION}['FAILURES']", failures, "an integer >= 1")
    reset = value.get("RESET_TIMEOUT", _DEFAULT.reset_timeout)
    if isinstance(reset, bool) or not isinstance(reset, (int, float)) or not reset > 0:
        raise ConfigurationError(f"{OPTION}['RESET_TIMEOUT']", reset, "a number of seconds > 0")
    return BreakerSettings(failures, float(reset))


class CircuitOpenError(ValkeyCacheError):
    """A call refused without touching the network: the server's circuit is open.

    Not a ``valkey.exceptions.ConnectionError``, so valkey-py neither retries it nor
    rediscovers a cluster for it; the client turns it into ``ConnectionInterrupted``.
    """

    def __init__(self, server: str, failures: int, retry_in: float) -> None:
        self.server = server
        super().__init__(
            f"circuit breaker open for {server} after {failures} consecutive failures; "
            f"next probe in {max(retry_in, 0.0):.2f}s"
        )


class Breaker:
    """Consecutive-failure state of one server, shared by threads (and event loops).

    ``failures`` is read without the lock on the hot path: a reply only takes the lock
    when something failed since the last one.
    """

    __slots__ = ("_lock", "_retry_at", "failures", "is_open", "reset_timeout", "server", "threshold")

    def __init__(self, server: str, settings: BreakerSettings) -> None:
        self.server = server
        self.threshold = settings.failures
        self.reset_timeout = settings.reset_timeout
        self.failures = 0
        self.is_open = False
        self._retry_at = 0.0
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        state = "open" if self.is_open else "closed"
        return f"<Breaker {self.server} {state} failures={self.failures}>"

    def admit(self, lease: float) -> None:
        """Let one probe through when the reset timeout has passed, else raise.

        The probe holds the half-open slot until it reports, or ``lease`` seconds at
        most (a probe that never reports must not keep the circuit open for ever).
        """
        now = time.monotonic()
        with self._lock:
            if not self.is_open:
                return
            retry_at = self._retry_at
            if now >= retry_at:
                self._retry_at = now + lease
                return
            failures = self.failures
        raise CircuitOpenError(self.server, failures, retry_at - now)

    def failure(self) -> None:
        """Count a connection failure or timeout; open the circuit at the threshold."""
        with self._lock:
            self.failures += 1
            if self.failures < self.threshold:
                return
            self._retry_at = time.monotonic() + self.reset_timeout
            opened = not self.is_open
            self.is_open = True
        if opened:
            logger.warning(
                "valkey-cache: circuit breaker open for %s after %d consecutive failures",
                self.server,
                self.threshold,
            )

    def success(self) -> None:
        """A reply: reset the count and close the circuit."""
        with self._lock:
            self.failures = 0
            closed = self.is_open
            self.is_open = False
        if closed:
            logger.warning("valkey-cache: circuit breaker closed for %s", self.server)


_BREAKERS: dict[tuple[str, BreakerSettings], Breaker] = {}
_BREAKERS_LOCK = threading.Lock()


def _forget_breakers() -> None:
    global _BREAKERS_LOCK
    _BREAKERS.clear()
    _BREAKERS_LOCK = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_breakers)


def breaker_for(server: str, settings: BreakerSettings) -> Breaker:
    """The process-wide breaker of ``server`` with ``settings``."""
    key = (server, settings)
    breaker = _BREAKERS.get(key)
    if breaker is None:
        with _BREAKERS_LOCK:
            breaker = _BREAKERS.setdefault(key, Breaker(server, settings))
    return breaker


def server_name(connection: Any) -> str:
    """What a breaker is keyed by and errors name: ``host:port``, never a password."""
    pool = getattr(connection, "connection_pool", None)  # a sentinel-managed connection
    service = getattr(pool, "service_name", None)
    if service:
        role = "master" if getattr(pool, "is_master", True) else "replica"
        return f"sentinel service {service!r} ({role})"
    path = getattr(connection, "path", None)
    if path:
        return f"unix://{path}"
    return f"{connection.host}:{connection.port}"


def _connect_failed(exc: BaseException) -> bool:
    """An OSError from opening a connection; a TLS certificate or protocol refusal is
    a configuration error, not a failing server."""
    return not isinstance(exc, ssl.SSLError) or isinstance(exc, ssl.SSLEOFError)


class _Guarded:
    """State shared by the sync and asyncio mixins."""

    breaker_settings: BreakerSettings
    # The guarded class's own methods, called without super() on the hot path.
    _base_connect: Any
    _base_send_packed_command: Any
    _base_read_response: Any
    _breaker: Breaker
    _lease: float
    _admitted = False

    def _init_breaker(self) -> None:
        conn: Any = self
        self._breaker = breaker_for(server_name(conn), self.breaker_settings)
        waits = (getattr(conn, "socket_connect_timeout", None) or 0) + (
            getattr(conn, "socket_timeout", None) or 0
        )
        self._lease = self.breaker_settings.reset_timeout + waits

    def _admit(self) -> None:
        self._breaker.admit(self._lease)
        self._admitted = True

    def _replied(self) -> None:
        self._admitted = False
        self._breaker.success()

    def _failed(self) -> None:
        self._admitted = False
        self._breaker.failure()

    def _read_failed(self, exc: Exception) -> None:
        """Sort an error out of ``read_response``: a reply, a failure, or neither."""
        if isinstance(exc, _REPLIES):
            if self._breaker.failures:
                self._replied()
        elif isinstance(exc, _FAILURES):
            self._failed()


class SyncBreakerConnection(_Guarded):
    """Mixin for a blocking valkey-py connection class.

    Every command checks a connection out of the pool, which calls ``connect()``:
    that is where an open circuit refuses it.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._init_breaker()

    def connect(self) -> None:
        """Connect if needed; refused at once while the server's circuit is open."""
        if self._breaker.is_open:
            self._admit()
        self._base_connect()

    def _connect(self) -> Any:
        try:
            return super()._connect()  # type: ignore[misc]
        except OSError as exc:
            if _connect_failed(exc):
                self._failed()
            raise

    def read_response(self, *args: Any, **kwargs: Any) -> Any:
        """Read a reply, counting a timeout or a broken connection against the server."""
        try:
            response = self._base_read_response(*args, **kwargs)
        except Exception as exc:
            self._read_failed(exc)
            raise
        if self._breaker.failures:
            self._replied()
        return response


class AsyncBreakerConnection(_Guarded):
    """Mixin for a valkey.asyncio connection class.

    ``connect`` is not a coroutine function itself: it refuses at once or returns the
    base class's coroutine, which costs no extra coroutine per command.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._init_breaker()

    def connect(self) -> Awaitable[None]:
        """Connect if needed; refused at once while the server's circuit is open."""
        if self._breaker.is_open and not self._admitted:
            self._admit()
        return self._base_connect()  # type: ignore[no-any-return]

    async def _connect(self) -> None:
        try:
            await super()._connect()  # type: ignore[misc]
        except OSError as exc:
            if _connect_failed(exc):
                self._failed()
            raise

    async def read_response(self, *args: Any, **kwargs: Any) -> Any:
        """Read a reply, counting a timeout or a broken connection against the server."""
        try:
            response = await self._base_read_response(*args, **kwargs)
        except Exception as exc:
            self._read_failed(exc)
            raise
        if self._breaker.failures:
            self._replied()
        return response


class AsyncNodeBreakerConnection(AsyncBreakerConnection):
    """For the asyncio cluster client, which sends on its connections without checking
    them out of a pool: ``send_packed_command`` refuses too. A probe admitted by either
    carries on through the other and its handshake until it gets an answer."""

    def send_packed_command(self, command: Any, check_health: bool = True) -> Awaitable[None]:
        """Send, unless the server's circuit is open and this is not the probe."""
        if self._breaker.is_open and not self._admitted:
            self._admit()
        return self._base_send_packed_command(command, check_health)  # type: ignore[no-any-return]


_CLASSES: dict[tuple[type[Any], BreakerSettings, bool], type[Any]] = {}


def guarded_class(
    connection_class: type[Any], settings: BreakerSettings, *, sends: bool = False
) -> type[Any]:
    """``connection_class`` with the breaker mixed in (sync or asyncio, as it is);
    ``sends``: refuse in ``send_packed_command`` too (asyncio cluster nodes)."""
    if issubclass(connection_class, _Guarded):
        return connection_class
    key = (connection_class, settings, sends)
    cls = _CLASSES.get(key)
    if cls is None:
        mixin: type[Any] = SyncBreakerConnection
        if inspect.iscoroutinefunction(connection_class.connect):
            mixin = AsyncNodeBreakerConnection if sends else AsyncBreakerConnection
        cls = type(
            f"Breaker{connection_class.__name__}",
            (mixin, connection_class),
            {
                "breaker_settings": settings,
                "__module__": __name__,
                "_base_connect": connection_class.connect,
                "_base_send_packed_command": connection_class.send_packed_command,
                "_base_read_response": connection_class.read_response,
            },
        )
        _CLASSES[key] = cls
    return cls


def install(pool: Any, settings: BreakerSettings | None) -> Any:
    """Make ``pool`` (a valkey-py pool, sync or asyncio) create guarded connections."""
    if settings is not None:
        pool.connection_class = guarded_class(pool.connection_class, settings)
    return pool
