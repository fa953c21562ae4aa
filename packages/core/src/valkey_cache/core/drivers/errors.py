"""What a failed call means: an outage, a refusal, or an error of the command itself.

Connection errors become :class:`ConnectionInterrupted` here, in one place, naming the
server. Refusals (a rejected login, NOPERM, an untrusted TLS certificate) are not
outages: they are raised as :class:`ServerRefused` errors (``refusal``). A write answered
READONLY reconnects the pool (``drop_pool``) and is retried once by the drivers.
"""

from __future__ import annotations

import re
import socket
import ssl
from collections.abc import Iterator
from typing import Any, NoReturn

from valkey.exceptions import (
    AuthenticationError,
    AuthenticationWrongNumberOfArgsError,
    ClusterError,
    NoPermissionError,
    ReadOnlyError,
    ResponseError,
    SlotNotCoveredError,
    ValkeyClusterException,
)
from valkey.exceptions import ConnectionError as ValkeyConnectionError
from valkey.exceptions import TimeoutError as ValkeyTimeoutError

from ..breaker import CircuitOpenError
from ..commands.ops import BATCH, PIPELINE, Op
from ..exceptions import (
    AuthenticationFailed,
    CertificateNotTrusted,
    ConnectionInterrupted,
    PermissionDenied,
    ReadOnlyServer,
    ServerRefused,
    describe_server,
    describe_user,
)

CONNECTION_ERRORS: tuple[type[BaseException], ...] = (
    ValkeyConnectionError,
    ValkeyTimeoutError,
    socket.timeout,
    ConnectionError,
    # A cluster that is failing over, or has a slot no node serves, is down too.
    ClusterError,
    SlotNotCoveredError,
    # A server whose circuit breaker is open: refused without touching the network.
    CircuitOpenError,
)

_DENIED_COMMAND = re.compile(r"run the '([^']+)' command")
_CERTIFICATE_FAILED = "certificate verify failed"
#: What to do about a command an ACL rule denies, named in the error.
DENIED_HINTS: dict[str, str] = {
    "FLUSHDB": "set OPTIONS['CLEAR_SCOPE'] = 'prefix' to clear only this cache's keys",
}


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """``exc`` and the exceptions it was raised from or while handling."""
    seen: set[int] = set()
    link: BaseException | None = exc
    while link is not None and id(link) not in seen:
        seen.add(id(link))
        yield link
        link = link.__cause__ or link.__context__


def op_name(op: Op[Any] | str | None) -> str:
    """The Valkey command an op sends (``MGET`` for ``execute_command('MGET', ...)``)."""
    if op is None:
        return "a command"
    if isinstance(op, str):
        return op.upper()
    if op.method == PIPELINE:
        return "a pipeline of " + ", ".join(dict.fromkeys(op_name(sub) for sub in op.args[0]))
    if op.method == BATCH:
        return str(op.args[0]).upper()
    if op.method == "execute_command" and op.args:
        return str(op.args[0]).upper()
    return op.method.upper()


def refusal(
    exc: BaseException,
    conn: Any = None,
    op: Op[Any] | str | None = None,
    *,
    server: str | None = None,
    user: str | None = None,
) -> ServerRefused | None:
    """The error to raise for ``exc`` if it is not an outage but a refusal, else None.

    Refusals are failed authentication (WRONGPASS, NOAUTH, a disabled user), an ACL
    denial (NOPERM) and a server certificate that TLS could not verify, found anywhere
    in the chain of ``exc`` (the cluster client wraps them). ``server`` and ``user``
    default to those of ``conn``.
    """
    if isinstance(exc, ServerRefused):
        return exc
    for link in _chain(exc):
        if isinstance(link, AuthenticationError | AuthenticationWrongNumberOfArgsError):
            kind: Any = AuthenticationFailed
        elif isinstance(link, NoPermissionError):
            kind = PermissionDenied
        elif isinstance(link, ssl.SSLCertVerificationError) or (
            isinstance(link, ValkeyConnectionError) and _CERTIFICATE_FAILED in str(link)
        ):
            kind = CertificateNotTrusted
        else:
            continue
        where = describe_server(conn) if server is None else server
        who = describe_user(conn) if user is None else user
        reason = _reason(link)
        if kind is PermissionDenied:
            named = _DENIED_COMMAND.search(reason)
            command = named.group(1).upper() if named else op_name(op)
            return PermissionDenied(where, who, command, reason, DENIED_HINTS.get(command, ""))
        return kind(where, who, reason)  # type: ignore[no-any-return]
    return None


def _reason(exc: BaseException) -> str:
    if isinstance(exc, ssl.SSLCertVerificationError) and exc.verify_message:
        return str(exc.verify_message)
    text = str(exc).strip().rstrip(".")
    if _CERTIFICATE_FAILED in text:
        text = text.split(_CERTIFICATE_FAILED, 1)[1].lstrip(": ").split(" (_ssl.c")[0] or _CERTIFICATE_FAILED
    return text


def is_outage(exc: BaseException) -> bool:
    """Whether ``exc`` means the server, or the whole cluster, cannot be reached now.

    A refusal (see :func:`refusal`) is not an outage, although valkey-py raises most of
    them as ``ConnectionError``; READONLY (a primary demoted) is, for writes.
    """
    if refusal(exc) is not None:
        return False
    if isinstance(exc, (*CONNECTION_ERRORS, ReadOnlyError)):
        return True
    # valkey-py's cluster client says "no node reachable" with a ValkeyClusterException
    # raised from the connection error.
    return isinstance(exc, ValkeyClusterException) and isinstance(exc.__cause__, CONNECTION_ERRORS)


def _outage(exc: BaseException, conn: Any) -> ConnectionInterrupted:
    kind = ReadOnlyServer if isinstance(exc, ReadOnlyError) else ConnectionInterrupted
    error = kind(connection=conn)
    error.__cause__ = exc
    return error


def raise_outage(exc: Exception, conn: Any, op: Op[Any] | str | None = None) -> NoReturn:
    """Re-raise ``exc``: a refusal as its :class:`ServerRefused`, an outage as
    :class:`ConnectionInterrupted` naming ``conn``, anything else unchanged."""
    if isinstance(exc, ConnectionInterrupted):
        raise exc
    refused = refusal(exc, conn, op)
    if refused is exc:
        raise exc
    if refused is not None:
        raise refused from exc
    if not is_outage(exc):
        raise exc
    raise _outage(exc, conn) from exc


def classify(conn: Any, exc: Exception, op: Op[Any] | None = None) -> Exception:
    """The error a failed call stands for: an outage (:class:`ConnectionInterrupted`) or
    the server's answer (``ResponseError``), which a command may handle; a refusal, or any
    other exception, is raised here."""
    refused = refusal(exc, conn, op)
    if refused is not None:
        raise refused from exc
    if is_outage(exc):
        return _outage(exc, conn)
    if isinstance(exc, ResponseError):
        return exc
    raise exc


def drop_pool(conn: Any) -> bool:
    """Disconnect every connection of ``conn``'s pool, so the next ones connect afresh
    (and resolve the host name again); False when ``conn`` has no pool of its own."""
    pool = getattr(conn, "connection_pool", None)
    if pool is None:
        return False
    pool.disconnect()
    return True


async def adrop_pool(conn: Any) -> bool:
    """:func:`drop_pool` for a ``valkey.asyncio`` client."""
    pool = getattr(conn, "connection_pool", None)
    if pool is None:
        return False
    await pool.disconnect()
    return True
