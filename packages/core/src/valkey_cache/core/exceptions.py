"""Exceptions raised by valkey-cache."""

from __future__ import annotations

import re
from typing import Any

from valkey.exceptions import ConnectionError as ValkeyConnectionError


class ValkeyCacheError(Exception):
    """Base class of every error this library raises itself."""


class ConfigurationError(ValkeyCacheError, ValueError):
    """An option has a value the library cannot use.

    The message names the option, the value given and what is accepted.
    """

    def __init__(self, option: str, value: Any, accepted: str) -> None:
        self.option = option
        self.value = value
        self.accepted = accepted
        super().__init__(f"{option}={value!r} is not valid: expected {accepted}")


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


_URL_PASSWORD = re.compile(r"(?P<scheme>[a-z+]+://)(?P<user>[^:@/]*):[^@/]*@")


def redact_url(url: str) -> str:
    """``valkey://user:secret@host`` -> ``valkey://user:***@host``."""
    return _URL_PASSWORD.sub(r"\g<scheme>\g<user>:***@", url)


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
