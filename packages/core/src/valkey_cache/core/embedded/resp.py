"""A tiny blocking RESP2 client, enough to administer embedded servers.

It exists so the server manager does not depend on a full client's reply
parsing (cluster and sentinel replies are used raw) and so it works the same
over TCP and unix sockets.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from types import TracebackType
from typing import TypeAlias

Arg: TypeAlias = "str | bytes | int | float"
Reply: TypeAlias = "str | bytes | int | list[Reply] | ReplyError | None"


class ReplyError(Exception):
    """An error reply (``-ERR ...``) from the server."""


class RespConnection:
    """One blocking connection speaking RESP2.

    Simple-string replies come back as ``str``, bulk strings as ``bytes``,
    integers as ``int``, nil as ``None`` and arrays as ``list``. A top-level
    error reply is raised as :class:`ReplyError`; errors nested in arrays are
    returned as :class:`ReplyError` instances.
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        unix_socket: str | None = None,
        timeout: float = 2.0,
    ) -> None:
        if unix_socket:
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            address: str | tuple[str, int] = unix_socket
        else:
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            address = (host, port)
        sock.settimeout(timeout)
        try:
            sock.connect(address)
        except BaseException:
            sock.close()
            raise
        self._sock = sock
        self._reader = sock.makefile("rb")

    def __enter__(self) -> RespConnection:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the socket (idempotent)."""
        self._reader.close()
        self._sock.close()

    def authenticate(self, password: str | None, username: str | None = None) -> None:
        """Send ``AUTH`` when a password is given; do nothing otherwise."""
        if password is None:
            return
        if username is None:
            self.execute("AUTH", password)
        else:
            self.execute("AUTH", username, password)

    def execute(self, *args: Arg) -> Reply:
        """Send one command and return its reply, raising on an error reply."""
        self._sock.sendall(encode_command(args))
        reply = self._read()
        if isinstance(reply, ReplyError):
            raise reply
        return reply

    def _read(self) -> Reply:
        line = self._reader.readline()
        if not line.endswith(b"\r\n"):
            raise ConnectionError("connection closed by the server")
        kind, body = line[:1], line[1:-2]
        if kind == b"+":
            return body.decode("utf-8", "replace")
        if kind == b"-":
            return ReplyError(body.decode("utf-8", "replace"))
        if kind == b":":
            return int(body)
        if kind == b"$":
            length = int(body)
            if length < 0:
                return None
            data = self._reader.read(length + 2)
            if len(data) != length + 2:
                raise ConnectionError("connection closed by the server")
            return data[:-2]
        if kind == b"*":
            count = int(body)
            if count < 0:
                return None
            return [self._read() for _ in range(count)]
        raise ConnectionError(f"unexpected RESP reply type {kind!r}")


def encode_command(args: tuple[Arg, ...] | list[Arg]) -> bytes:
    """Encode a command as a RESP array of bulk strings."""
    parts = [b"*%d\r\n" % len(args)]
    for arg in args:
        if isinstance(arg, bytes):
            data = arg
        elif isinstance(arg, str):
            data = arg.encode()
        else:
            data = repr(arg).encode()
        parts.append(b"$%d\r\n%s\r\n" % (len(data), data))
    return b"".join(parts)


def as_text(reply: Reply) -> str:
    """Return a string or bulk-string reply as ``str``."""
    if isinstance(reply, bytes):
        return reply.decode("utf-8", "replace")
    if isinstance(reply, str):
        return reply
    raise TypeError(f"expected a string reply, got {reply!r}")


def as_list(reply: Reply) -> list[Reply]:
    """Return an array reply, raising ``TypeError`` for anything else."""
    if isinstance(reply, list):
        return reply
    raise TypeError(f"expected an array reply, got {reply!r}")


def pairs_to_dict(reply: Reply) -> dict[str, str]:
    """Turn a flat ``[key, value, key, value, ...]`` array into a dict of strings."""
    items = as_list(reply)
    result: dict[str, str] = {}
    for index in range(0, len(items) - 1, 2):
        value = items[index + 1]
        result[as_text(items[index])] = "" if value is None else _scalar_text(value)
    return result


def _scalar_text(value: Reply) -> str:
    if isinstance(value, int):
        return str(value)
    if isinstance(value, list | ReplyError):
        return repr(value)
    return as_text(value)


def parse_info(text: str) -> dict[str, str]:
    """Parse ``INFO`` / ``CLUSTER INFO`` output into a flat dict of strings."""
    return dict(_info_lines(text))


def _info_lines(text: str) -> Iterator[tuple[str, str]]:
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or ":" not in line:
            continue
        key, _, value = line.partition(":")
        yield key, value
