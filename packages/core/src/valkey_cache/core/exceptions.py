"""Exceptions raised by valkey-cache."""

from __future__ import annotations

from typing import Any

from valkey.exceptions import AuthenticationError as ValkeyAuthenticationError
from valkey.exceptions import ConnectionError as ValkeyConnectionError
from valkey.exceptions import NoPermissionError

from .redaction import redact_value


class ValkeyCacheError(Exception):
    """Base class of every error this library raises itself."""


class ConfigurationError(ValkeyCacheError, ValueError):
    """An option has a value the library cannot use.

    The message names the option, the value given and what is accepted.
    """

    def __init__(self, option: str, value: Any, accepted: str, *, show_value: bool = True) -> None:
        self.option = option
        self.value = value
        self.accepted = accepted
        if show_value:
            super().__init__(f"{option}={redact_value(option, value)!r} is not valid: expected {accepted}")
        else:  # an unknown option name: its value may be a misspelt secret
            super().__init__(f"{option} is not valid: expected {accepted}")


class ConnectionInterrupted(ValkeyCacheError, ValkeyConnectionError):
    """The server could not be reached or stopped answering.

    ``server`` is the address, with any password removed. It is also a
    ``valkey.exceptions.ConnectionError``, so code written to catch valkey-py's error
    (what django-valkey 0.4 let through) keeps working.
    """

    def __init__(self, connection: Any = None, server: str | None = None) -> None:
        self.connection = connection
        self.server = server if server is not None else describe_server(connection)
        super().__init__(f"Valkey server {self.server} is unavailable")

    def __str__(self) -> str:
        cause = self.__cause__
        if cause is None:
            return str(self.args[0])
        return f"{self.args[0]}: {type(cause).__name__}: {cause}"


class CompressorError(ValkeyCacheError):
    """A compressor could not decompress a value (it may not be compressed)."""


class DecompressionLimitExceeded(CompressorError):
    """A value decompresses to more than ``MAX_DECOMPRESSED_SIZE`` bytes.

    Unlike its base class this does not mean "not compressed": the value reads as a miss.
    """

    def __init__(self, limit: int) -> None:
        self.limit = limit
        super().__init__(f"the value decompresses to more than MAX_DECOMPRESSED_SIZE={limit} bytes")


class SerializerError(ValkeyCacheError):
    """A serializer could not encode or decode a value."""


class MissingDependencyError(ConfigurationError):
    """An optional library is not installed; the message gives the pip line."""

    def __init__(self, option: str, value: Any, requirement: str) -> None:
        self.requirement = requirement
        ValkeyCacheError.__init__(
            self,
            f"{option}={value!r} needs a library that is not installed: pip install {requirement}",
        )
        self.option = option
        self.value = value
        self.accepted = f"pip install {requirement}"


def describe_server(connection: Any) -> str:
    """Return ``host:port`` (or the socket path) of a valkey-py client, never the password."""
    pool = getattr(connection, "connection_pool", None)
    service = getattr(pool, "service_name", None)
    if service:
        return f"sentinel service {service!r}"
    kwargs: dict[str, Any] = getattr(pool, "connection_kwargs", None) or {}
    if "path" in kwargs:
        return f"unix://{kwargs['path']}"
    if "host" in kwargs:
        return f"{kwargs['host']}:{kwargs.get('port', 6379)}"
    nodes = getattr(connection, "startup_nodes", None) or getattr(connection, "nodes_manager", None)
    if nodes is not None:
        return "cluster"
    return "(unknown server)"


def describe_user(connection: Any) -> str:
    """The ACL user name a valkey-py client logs in as (``default`` when none is set)."""
    pool = getattr(connection, "connection_pool", None) or getattr(connection, "nodes_manager", None)
    kwargs: dict[str, Any] = getattr(pool, "connection_kwargs", None) or {}
    return str(kwargs.get("username") or "default")


class ServerRefused(ValkeyCacheError):
    """The server answered but refused this client: not an outage, never hidden.

    Raised whatever ``IGNORE_EXCEPTIONS`` says, because retrying cannot help: the
    password, the ACL rules, the TLS trust settings or the database must be fixed.
    ``server`` and ``user`` name who refused whom; no password is ever included.
    """

    def __init__(self, message: str, server: str, user: str) -> None:
        self.server = server
        self.user = user
        super().__init__(message)


class AuthenticationFailed(ServerRefused, ValkeyAuthenticationError):
    """The server refused the user name or password (WRONGPASS, NOAUTH, a disabled user)."""

    def __init__(self, server: str, user: str, reason: str) -> None:
        self.reason = reason
        super().__init__(f"Valkey server {server} refused user {user!r}: {reason}", server, user)


class PermissionDenied(ServerRefused, NoPermissionError):
    """An ACL rule denied a command or a key to the user (NOPERM)."""

    def __init__(self, server: str, user: str, command: str, reason: str, hint: str = "") -> None:
        self.command = command
        self.reason = reason
        message = f"{command} was denied to user {user!r} on Valkey server {server}: {reason}"
        super().__init__(f"{message}; {hint}" if hint else message, server, user)


class CertificateNotTrusted(ServerRefused, ValkeyConnectionError):
    """TLS verification of the server's certificate failed (unknown CA, wrong host name...)."""

    def __init__(self, server: str, user: str, reason: str) -> None:
        self.reason = reason
        super().__init__(f"TLS certificate of Valkey server {server} was not trusted: {reason}", server, user)


class ReadOnlyServer(ConnectionInterrupted):
    """A write was refused with READONLY again after the pool was reconnected (the
    ``ReadOnlyError`` is the cause).

    The location still reaches a replica (a primary demoted and nothing promoted, or
    DNS not yet moved): an outage for writes, so ``IGNORE_EXCEPTIONS`` makes them no-ops.
    """

    def __init__(self, connection: Any = None, server: str | None = None) -> None:
        super().__init__(connection, server)
        self.args = (f"Valkey server {self.server} is a read-only replica",)
