"""Commands as generators, run by a sync or an async driver.

Each cache command is written once, as a generator that yields :class:`Op` (a valkey-py
call to make) and receives its result; ``drive_sync`` and ``drive_async`` perform the
calls on a blocking or an asyncio client. Errors from the server are thrown back into
the generator, so a command can recover (``incr`` beyond 64 bits does); connection
errors become :class:`ConnectionInterrupted` here, in one place, and are thrown into the
generator too, so a command spread over several servers may carry on without one (the
shard and cluster clients do under ``IGNORE_EXCEPTIONS``); uncaught, they reach the caller.
Refusals (a rejected login, NOPERM, an untrusted TLS certificate) are not outages: they
are raised at once as :class:`ServerRefused` errors (``refusal``). A write answered
READONLY reconnects the pool and is retried once (``drop_pool``).
"""

from __future__ import annotations

import re
import socket
import ssl
from collections.abc import AsyncIterator, Callable, Generator, Iterator
from types import CoroutineType
from typing import Any, NamedTuple, NoReturn

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

PIPELINE = "__pipeline__"
BATCH = "__batch__"
_SPECIAL = frozenset({PIPELINE, BATCH})


class Op(NamedTuple):
    method: str
    args: tuple[Any, ...]
    kwargs: dict[str, Any]
    write: bool
    route: Any = None
    io: bool = True


class Emit(NamedTuple):
    """Yielded by iterator commands: a value for the caller, not a call to make."""

    value: Any


def read(method: str, route: Any, /, *args: Any, **kwargs: Any) -> Op:
    return Op(method, args, kwargs, False, route)


def write(method: str, route: Any, /, *args: Any, **kwargs: Any) -> Op:
    return Op(method, args, kwargs, True, route)


def pipeline(ops: list[Op], *, write: bool = True, route: Any = None, transaction: bool = False) -> Op:
    """One round trip for several calls; the result is the list of their results."""
    return Op(PIPELINE, (ops, transaction), {}, write, route)


def local(method: str, route: Any, /, *args: Any, **kwargs: Any) -> Op:
    """A call that does no I/O (e.g. creating a lock object), not awaited on asyncio."""
    return Op(method, args, kwargs, True, route, False)


Logic = Generator[Any, Any, Any]
Connect = Callable[[Op], Any]


def batch(method: str, route: Any, argsets: list[tuple[Any, ...]], /, **kwargs: Any) -> Op:
    """One round trip of the same write command for each argument tuple (e.g. SET PX)."""
    return Op(BATCH, (method, argsets), kwargs, True, route)


def _call_sync(conn: Any, op: Op) -> Any:
    if op.method == BATCH:
        method, argsets = op.args
        pipe = conn.pipeline(transaction=False)
        command = getattr(pipe, method)
        for args in argsets:
            command(*args, **op.kwargs)
        return pipe.execute()
    if op.method == PIPELINE:
        ops, transaction = op.args
        pipe = conn.pipeline(transaction=transaction)
        for sub in ops:
            getattr(pipe, sub.method)(*sub.args, **sub.kwargs)
        return pipe.execute()
    return getattr(conn, op.method)(*op.args, **op.kwargs)


async def _call_async(conn: Any, op: Op) -> Any:
    if op.method == BATCH:
        method, argsets = op.args
        pipe = conn.pipeline(transaction=False)
        command = getattr(pipe, method)
        for args in argsets:
            command(*args, **op.kwargs)
        return await pipe.execute()
    if op.method == PIPELINE:
        ops, transaction = op.args
        pipe = conn.pipeline(transaction=transaction)
        for sub in ops:
            getattr(pipe, sub.method)(*sub.args, **sub.kwargs)
        return await pipe.execute()
    result = getattr(conn, op.method)(*op.args, **op.kwargs)
    return await result if op.io else result


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


def op_name(op: Op | str | None) -> str:
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
    op: Op | str | None = None,
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


def raise_outage(exc: Exception, conn: Any, op: Op | str | None = None) -> NoReturn:
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


def _thrown(conn: Any, exc: Exception, op: Op | None = None) -> Exception:
    """What to throw into the generator for a failed call; raises a refusal or anything else."""
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


def fixed_or_routed(fixed: Any, op: Op, connect: Connect) -> Any:
    """The connection passed as ``client`` for ``op``; a call addressed to one server of
    several, or listing them (shard and cluster fan-out), keeps its own route."""
    from .routes import ALL_NODES, Node

    route = op.route
    if route is ALL_NODES or isinstance(route, Node):
        return connect(op)
    return fixed


def drive_sync(gen: Logic, connect: Connect, conn: Any = None) -> Any:
    """Run a command generator to its return value on a blocking client; every call on
    ``conn`` when it is given (django-valkey's ``client`` argument)."""
    fixed = conn
    try:
        op = next(gen)
        while True:
            conn = connect(op) if fixed is None else fixed_or_routed(fixed, op, connect)
            try:
                if op.method not in _SPECIAL:
                    result = getattr(conn, op.method)(*op.args, **op.kwargs)
                else:
                    result = _call_sync(conn, op)
            except ReadOnlyError:
                # A primary demoted under its address: reconnect, wherever it points now.
                try:
                    if not drop_pool(conn):
                        raise
                    result = _call_sync(conn, op)
                except Exception as again:
                    op = gen.throw(_thrown(conn, again, op))
                    continue
            except Exception as exc:
                op = gen.throw(_thrown(conn, exc, op))
                continue
            op = gen.send(result)
    except StopIteration as stop:
        return stop.value
    except Exception as exc:
        raise_outage(exc, conn)


async def drive_async(gen: Logic, connect: Callable[[Op], Any], conn: Any = None) -> Any:
    """Run a command generator on an asyncio client.

    ``connect(op)`` returns the client, or a coroutine that gives it (awaited only then,
    so the usual case, a client already connected on this loop, costs no coroutine).
    ``conn``, when given, takes every call.
    """
    fixed = conn
    try:
        op = next(gen)
        while True:
            conn = connect(op) if fixed is None else fixed_or_routed(fixed, op, connect)
            if type(conn) is CoroutineType:
                conn = await conn
            try:
                if op.method not in _SPECIAL:
                    result = getattr(conn, op.method)(*op.args, **op.kwargs)
                    if op.io:
                        result = await result
                else:
                    result = await _call_async(conn, op)
            except ReadOnlyError:
                try:
                    if not await adrop_pool(conn):
                        raise
                    result = await _call_async(conn, op)
                except Exception as again:
                    op = gen.throw(_thrown(conn, again, op))
                    continue
            except Exception as exc:
                op = gen.throw(_thrown(conn, exc, op))
                continue
            op = gen.send(result)
    except StopIteration as stop:
        return stop.value
    except Exception as exc:
        raise_outage(exc, conn)


def iterate_sync(gen: Logic, connect: Connect, conn: Any = None) -> Iterator[Any]:
    """Run an iterator command: yields what it emits, performs what it asks."""
    fixed = conn
    send: Any = None
    error: Exception | None = None
    try:
        while True:
            try:
                item = gen.send(send) if error is None else gen.throw(error)
            except StopIteration:
                return
            error = None
            if isinstance(item, Emit):
                send = None
                yield item.value
                continue
            conn = connect(item) if fixed is None else fixed_or_routed(fixed, item, connect)
            try:
                send = _call_sync(conn, item)
            except Exception as exc:
                error = _thrown(conn, exc, item)
    except Exception as exc:
        raise_outage(exc, conn)


async def iterate_async(gen: Logic, connect: Callable[[Op], Any], conn: Any = None) -> AsyncIterator[Any]:
    """:func:`iterate_sync` on an asyncio client."""
    fixed = conn
    send: Any = None
    error: Exception | None = None
    try:
        while True:
            try:
                item = gen.send(send) if error is None else gen.throw(error)
            except StopIteration:
                return
            error = None
            if isinstance(item, Emit):
                send = None
                yield item.value
                continue
            conn = connect(item) if fixed is None else fixed_or_routed(fixed, item, connect)
            if type(conn) is CoroutineType:
                conn = await conn
            try:
                send = await _call_async(conn, item)
            except Exception as exc:
                error = _thrown(conn, exc, item)
    except Exception as exc:
        raise_outage(exc, conn)
