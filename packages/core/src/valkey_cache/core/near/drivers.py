"""Running the served commands (get, get_many, has_key, get_or_set) through the local layer.

A served command's logic is the client's own (the herd client's included); only its
``get``, ``mget`` and ``exists`` reads are answered here: from a valid local copy, or
from the primary with the key's PTTL in the same round trip (both written at once on
one pooled connection), filling the copy if no invalidation cancelled the read
meanwhile. Every other op is performed as usual; a write op drops the copy of the key
it is routed by, so a command reads what it wrote.
"""

from __future__ import annotations

from collections.abc import Callable
from types import CoroutineType, GeneratorType
from typing import TYPE_CHECKING, Any

from ..commands.declare import Command, make_function
from ..commands.ops import Op, Step, write
from ..drivers import asynchronous, sync
from ..drivers.errors import classify, raise_outage

if TYPE_CHECKING:
    from .cache import NearCache

SERVED_READS = frozenset({"get", "mget", "exists"})


def _fill_commands(nkeys: list[Any], client_id: int | None) -> list[tuple[Any, ...]]:
    """GET (or MGET) and each key's PTTL; with ``client_id`` (OPTIN) first the tracking
    of the keys read, redirected to that listener (sent with every fill, so a connection
    made or remade since, or a listener that changed, needs no hook)."""
    commands: list[tuple[Any, ...]] = []
    if client_id is not None:
        commands.append(("CLIENT", "TRACKING", "ON", "REDIRECT", client_id, "OPTIN"))
        commands.append(("CLIENT", "CACHING", "YES"))
    commands.append(("GET", nkeys[0]) if len(nkeys) == 1 else ("MGET", *nkeys))
    commands.extend(("PTTL", k) for k in nkeys)
    return commands


def _client_id(client: Any, near: NearCache, route: Any) -> int | None:
    """The id of the listener of the server ``route`` goes to (OPTIN redirects there)."""
    if len(near.listeners) == 1:
        return near.client_id
    return near.client_id_for(client._route_index(route))


def _redirect(
    conn: Any, near: NearCache, client_id: int | None, nkeys: list[Any], markers: list[Any]
) -> int | None:
    """OPTIN: the listener id to redirect ``conn``'s tracking to, or None to read untracked.

    A connection redirects to one listener at a time: one that tracks for another near
    cache (caches sharing a pool) is not taken over, which would lose that cache's
    invalidations; the read is then not kept (its markers are dropped).
    """
    if not near.optin or client_id is None or not any(markers):
        return None
    owner = getattr(conn, "_near_owner", None)
    if owner is not None and owner is not near.token and owner.alive:
        for i, (nkey, marker) in enumerate(zip(nkeys, markers)):
            near.store.abort(nkey, marker)
            markers[i] = None
        return None
    conn._near_owner = near.token
    return client_id


def _flat(replies: list[Any], count: int) -> list[Any]:
    """``[raw, pttl, raw, pttl...]`` from the replies of :func:`_fill_commands`."""
    values = replies[-count - 1]
    raws = [values] if count == 1 else values
    flat: list[Any] = []
    for raw, left in zip(raws, replies[-count:]):
        flat.append(raw)
        flat.append(left)
    return flat


def _send(
    pool: Any, near: NearCache, nkeys: list[Any], markers: list[Any], client_id: int | None
) -> list[Any]:
    """The flat values and PTTLs of ``nkeys``, written at once on one connection of
    ``pool`` (what a pipeline does, without its per-call objects)."""
    conn = pool.get_connection("GET")
    try:
        commands = _fill_commands(nkeys, _redirect(conn, near, client_id, nkeys, markers))
        conn.send_packed_command(conn.pack_commands(commands))
        return _flat([conn.read_response() for _ in commands], len(nkeys))
    except BaseException:
        conn.disconnect()
        raise
    finally:
        pool.release(conn)


async def _asend(
    pool: Any, near: NearCache, nkeys: list[Any], markers: list[Any], client_id: int | None
) -> list[Any]:
    """:func:`_send` on an asyncio pool."""
    conn = await pool.get_connection("GET")
    try:
        commands = _fill_commands(nkeys, _redirect(conn, near, client_id, nkeys, markers))
        await conn.send_packed_command(conn.pack_commands(commands))
        return _flat([await conn.read_response() for _ in commands], len(nkeys))
    except BaseException:
        await conn.disconnect()
        raise
    finally:
        await pool.release(conn)


def _fetch(
    client: Any, near: NearCache, nkeys: list[Any], markers: list[Any], route: Any = None
) -> list[Any]:
    """The flat values and PTTLs of ``nkeys``, from the primary, in one round trip."""
    op = write("get", nkeys[0] if route is None else route, nkeys[0])
    try:
        conn = client._connection_for(op)
    except Exception as exc:
        raise_outage(exc, None, op)
    try:
        return _send(conn.connection_pool, near, nkeys, markers, _client_id(client, near, op.route))
    except Exception as exc:
        raise classify(conn, exc, op) from exc


async def _afetch(
    client: Any, near: NearCache, nkeys: list[Any], markers: list[Any], route: Any = None
) -> list[Any]:
    """:func:`_fetch` on an asyncio client."""
    op = write("get", nkeys[0] if route is None else route, nkeys[0])
    try:
        conn = client._connection_for(op)
        if type(conn) is CoroutineType:
            conn = await conn
    except Exception as exc:
        raise_outage(exc, None, op)
    try:
        return await _asend(conn.connection_pool, near, nkeys, markers, _client_id(client, near, op.route))
    except Exception as exc:
        raise classify(conn, exc, op) from exc


def miss_one(client: Any, near: NearCache, nkey: Any) -> Any:
    """The stored value of ``nkey`` after a local miss, filling its copy."""
    markers = _begin(near, [nkey])
    try:
        flat = _fetch(client, near, [nkey], markers)
    except BaseException:
        _abort(near, [nkey], markers)
        raise
    return _filled(near, [nkey], markers, flat)[0]


async def amiss_one(client: Any, near: NearCache, nkey: Any) -> Any:
    """:func:`miss_one` on an asyncio client."""
    markers = _begin(near, [nkey])
    try:
        flat = await _afetch(client, near, [nkey], markers)
    except BaseException:
        _abort(near, [nkey], markers)
        raise
    return _filled(near, [nkey], markers, flat)[0]


def _lookups(near: NearCache, nkeys: list[Any]) -> tuple[list[Any], list[int]]:
    lookup = near.store.lookup
    raws: list[Any] = [None] * len(nkeys)
    missing: list[int] = []
    for i, nkey in enumerate(nkeys):
        entry = lookup(nkey)
        if entry is None:
            missing.append(i)
        else:
            raws[i] = entry.raw
    return raws, missing


def _begin(near: NearCache, nkeys: list[Any]) -> list[Any]:
    near.ensure_started()
    begin, covers = near.store.begin, near.covers
    return [begin(k) if covers(k) else None for k in nkeys]


def _filled(near: NearCache, nkeys: list[Any], markers: list[Any], flat: list[Any]) -> list[Any]:
    fill = near.store.fill
    raws = flat[0::2]
    for nkey, marker, raw, left in zip(nkeys, markers, raws, flat[1::2]):
        fill(nkey, marker, raw, int(left))
    return raws


def _abort(near: NearCache, nkeys: list[Any], markers: list[Any]) -> None:
    for nkey, marker in zip(nkeys, markers):
        near.store.abort(nkey, marker)


def _local(near: NearCache, op: Op[Any], method: str) -> tuple[list[Any], list[Any], list[int]]:
    """The keys of a served read, the raw values found here, and the indexes of those not."""
    if method == "get":
        entry = near.store.lookup(op.args[0])
        if entry is None:
            return [op.args[0]], [None], [0]
        return [op.args[0]], [entry.raw], []
    nkeys = _served_keys(op)
    raws, missing = _lookups(near, nkeys)
    return nkeys, raws, missing


def _finished(op: Op[Any], method: str, raws: list[Any]) -> Any:
    reply = _reply(method, raws)
    finish = op.finish
    return reply if finish is None else finish(reply, *op.finish_args)


def _reply(method: str, raws: list[Any]) -> Any:
    if method == "get":
        return raws[0]
    if method == "exists":
        return 0 if raws[0] is None else 1
    return raws


def _served(op: Op[Any]) -> str | None:
    """Which served read ``op`` is (``get``, ``mget``, ``exists``), or None."""
    method = op.method
    if method in SERVED_READS:
        return method
    if method == "execute_command" and op.args and op.args[0] == "MGET":
        return "mget"
    return None


def _served_keys(op: Op[Any]) -> list[Any]:
    if op.method == "execute_command":
        return list(op.args[1:])
    return list(op.args[0]) if op.method == "mget" else [op.args[0]]


# -- blocking -------------------------------------------------------------------------------


def perform(client: Any, op: Op[Any], fixed: Any = None) -> Any:
    """:func:`valkey_cache.core.drivers.sync.perform`, answering served reads locally."""
    near: NearCache = client.near_cache
    method = _served(op)
    if fixed is not None or method is None or op.write:
        try:
            return sync.perform(client, op, fixed)
        finally:
            if op.write and isinstance(op.route, str):
                near.drop(op.route)
    nkeys, raws, missing = _local(near, op, method)
    if missing:
        wanted = [nkeys[i] for i in missing]
        markers = _begin(near, wanted)
        try:
            replies = _fetch(client, near, wanted, markers, op.route)
        except BaseException:
            _abort(near, wanted, markers)
            raise
        for i, raw in zip(missing, _filled(near, wanted, markers, replies)):
            raws[i] = raw
    return _finished(op, method, raws)


def run(step: Step[Any], client: Any, fixed: Any = None) -> Any:
    """:func:`valkey_cache.core.drivers.sync.run` with :func:`perform` for each op."""
    return sync.run(step, client, fixed, how=perform)


# -- asyncio --------------------------------------------------------------------------------


async def aperform(client: Any, op: Op[Any], fixed: Any = None) -> Any:
    """:func:`perform` on an asyncio client."""
    near: NearCache = client.near_cache
    method = _served(op)
    if fixed is not None or method is None or op.write:
        try:
            return await asynchronous.perform(client, op, fixed)
        finally:
            if op.write and isinstance(op.route, str):
                near.drop(op.route)
    nkeys, raws, missing = _local(near, op, method)
    if missing:
        wanted = [nkeys[i] for i in missing]
        markers = _begin(near, wanted)
        try:
            replies = await _afetch(client, near, wanted, markers, op.route)
        except BaseException:
            _abort(near, wanted, markers)
            raise
        for i, raw in zip(missing, _filled(near, wanted, markers, replies)):
            raws[i] = raw
    return _finished(op, method, raws)


async def arun(step: Step[Any], client: Any, fixed: Any = None) -> Any:
    """:func:`run` on an asyncio client."""
    return await asynchronous.run(step, client, fixed, how=aperform)


def served_method(declaration: Command[Any, Any], is_async: bool) -> Callable[..., Any]:
    """The near client's method for a served command."""
    if is_async:
        body = (
            "step = _logic(self, {args})\n"
            "if type(step) is not _Generator:\n"
            "    return await _perform(self, step, {fixed})\n"
            "return await _run(step, self, {fixed})"
        )
        scope: dict[str, Any] = {
            "_logic": declaration.logic,
            "_Generator": GeneratorType,
            "_perform": aperform,
            "_run": arun,
        }
    else:
        body = (
            "step = _logic(self, {args})\n"
            "if type(step) is not _Generator:\n"
            "    return _perform(self, step, {fixed})\n"
            "return _run(step, self, {fixed})"
        )
        scope = {"_logic": declaration.logic, "_Generator": GeneratorType, "_perform": perform, "_run": run}
    return make_function(declaration, declaration.name, body, scope, is_async=is_async)


def plain_get(declaration: Command[Any, Any], is_async: bool) -> Callable[..., Any]:
    """``get`` for a client running the standard ``get``: a hit costs a key, a lookup and
    a decode (no op made)."""
    if is_async:

        async def aget(
            self: Any, key: Any, default: Any = None, version: Any = None, client: Any = None
        ) -> Any:
            if client is not None:
                return await asynchronous.run(declaration.logic(self, key, default, version), self, client)
            nkey = self.make_key(key, version=version)
            near = self.near_cache
            entry = near.store.lookup(nkey)
            raw = entry.raw if entry is not None else await amiss_one(self, near, nkey)
            return self.value_or_default(raw, nkey, default)

        function: Callable[..., Any] = aget
    else:

        def get(self: Any, key: Any, default: Any = None, version: Any = None, client: Any = None) -> Any:
            if client is not None:
                return sync.run(declaration.logic(self, key, default, version), self, client)
            nkey = self.make_key(key, version=version)
            near = self.near_cache
            entry = near.store.lookup(nkey)
            raw = entry.raw if entry is not None else miss_one(self, near, nkey)
            return self.value_or_default(raw, nkey, default)

        function = get
    function.__name__ = "get"
    function.__doc__ = declaration.doc or None
    function.__command__ = declaration  # type: ignore[attr-defined]
    return function
