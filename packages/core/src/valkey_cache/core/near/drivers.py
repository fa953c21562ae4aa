"""Running the served commands (get, get_many, has_key, get_or_set) through the local layer.

A served command's logic is the client's own (the herd client's included); only its
``get``, ``mget`` and ``exists`` reads are answered here: from a valid local copy, or
from the server (the primary; a replica when reads go to replicas) with the key's PTTL
in the same round trip (both written at once on one pooled connection), filling the
copy if no invalidation cancelled the read meanwhile. Every other op is performed as
usual; a write op drops the copy of the key it is routed by, so a command reads what it
wrote.
"""

from __future__ import annotations

from collections.abc import Callable
from types import CoroutineType, GeneratorType
from typing import TYPE_CHECKING, Any, NamedTuple

from valkey.exceptions import ValkeyClusterException

from ..client.cluster import slot_of
from ..commands.declare import Command, make_function
from ..commands.ops import PIPELINE, Op, Step, read, write
from ..commands.protocol import MISS
from ..drivers import asynchronous, sync
from ..drivers.errors import classify, raise_outage
from ..exceptions import ConnectionInterrupted
from .cluster import NodeConnections

if TYPE_CHECKING:
    from .cache import NearCache

SERVED_READS = frozenset({"get", "mget", "exists"})


def _fill_commands(groups: list[list[Any]], client_id: int | None) -> list[tuple[Any, ...]]:
    """For each group of keys a GET (or MGET) and each key's PTTL; with ``client_id``
    (OPTIN) first the tracking of the keys read, redirected to that listener (sent with
    every fill, so a connection made or remade since, or a listener that changed, needs
    no hook), and ``CLIENT CACHING YES`` before each read."""
    commands: list[tuple[Any, ...]] = []
    if client_id is not None:
        commands.append(("CLIENT", "TRACKING", "ON", "REDIRECT", client_id, "OPTIN"))
    for nkeys in groups:
        if client_id is not None:
            commands.append(("CLIENT", "CACHING", "YES"))
        commands.append(("GET", nkeys[0]) if len(nkeys) == 1 else ("MGET", *nkeys))
        commands.extend(("PTTL", k) for k in nkeys)
    return commands


def _client_id(client: Any, near: NearCache, route: Any, index: int | None = None) -> int | None:
    """The id of the listener of the server ``route`` goes to, or of server ``index``
    (OPTIN redirects there)."""
    if not near.optin:
        return None
    if index is not None:
        return near.client_id_for(index)
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


def _flat(replies: list[Any], groups: list[list[Any]], tracked: bool) -> list[Any]:
    """``[raw, pttl, raw, pttl...]`` over every group, from the replies of :func:`_fill_commands`."""
    flat: list[Any] = []
    at = 1 if tracked else 0
    for nkeys in groups:
        at += tracked
        raws = [replies[at]] if len(nkeys) == 1 else replies[at]
        at += 1
        for raw in raws:
            flat.append(raw)
            flat.append(replies[at])
            at += 1
    return flat


def _joined(groups: list[list[Any]]) -> list[Any]:
    return groups[0] if len(groups) == 1 else [k for nkeys in groups for k in nkeys]


def _send(
    pool: Any, near: NearCache, groups: list[list[Any]], markers: list[Any], client_id: int | None
) -> list[Any]:
    """The flat values and PTTLs of the keys of ``groups``, written at once on one
    connection of ``pool`` (what a pipeline does, without its per-call objects)."""
    conn = pool.get_connection("GET")
    try:
        if client_id is None and len(groups) == 1 and len(groups[0]) == 1:  # a BCAST get miss
            nkey = groups[0][0]
            conn.send_packed_command(conn.pack_commands((("GET", nkey), ("PTTL", nkey))))
            return [conn.read_response(), conn.read_response()]
        tracked = _redirect(conn, near, client_id, _joined(groups), markers)
        commands = _fill_commands(groups, tracked)
        conn.send_packed_command(conn.pack_commands(commands))
        return _flat([conn.read_response() for _ in commands], groups, tracked is not None)
    except BaseException:
        conn.disconnect()
        raise
    finally:
        pool.release(conn)


async def _asend(
    pool: Any, near: NearCache, groups: list[list[Any]], markers: list[Any], client_id: int | None
) -> list[Any]:
    """:func:`_send` on an asyncio pool."""
    conn = await pool.get_connection("GET")
    try:
        if client_id is None and len(groups) == 1 and len(groups[0]) == 1:  # a BCAST get miss
            nkey = groups[0][0]
            await conn.send_packed_command(conn.pack_commands((("GET", nkey), ("PTTL", nkey))))
            return [await conn.read_response(), await conn.read_response()]
        tracked = _redirect(conn, near, client_id, _joined(groups), markers)
        commands = _fill_commands(groups, tracked)
        await conn.send_packed_command(conn.pack_commands(commands))
        return _flat([await conn.read_response() for _ in commands], groups, tracked is not None)
    except BaseException:
        await conn.disconnect()
        raise
    finally:
        await pool.release(conn)


def _fetch(
    client: Any, near: NearCache, groups: list[list[Any]], markers: list[Any], route: Any = None
) -> list[Any]:
    """The flat values and PTTLs of the keys of ``groups``, from the primary (a replica
    when reads go to replicas): one round trip (one per node on a cluster)."""
    first = groups[0][0]
    index = None
    op = (read if near.replicated else write)("get", first if route is None else route, first)
    try:
        if near.replicated:
            conn, index = client.get_client_with_index(write=False)
        else:
            conn = client._connection_for(op)
    except Exception as exc:
        raise_outage(exc, None, op)
    try:
        if hasattr(conn, "nodes_manager"):
            return _fetch_on_nodes(conn, near, groups, markers)
        client_id = _client_id(client, near, op.route, index)
        return _send(conn.connection_pool, near, groups, markers, client_id)
    except Exception as exc:
        raise classify(conn, exc, op) from exc


async def _afetch(
    client: Any, near: NearCache, groups: list[list[Any]], markers: list[Any], route: Any = None
) -> list[Any]:
    """:func:`_fetch` on an asyncio client."""
    first = groups[0][0]
    index = None
    op = (read if near.replicated else write)("get", first if route is None else route, first)
    try:
        if near.replicated:
            conn, index = await client.get_client_with_index(write=False)
        else:
            conn = client._connection_for(op)
            if type(conn) is CoroutineType:
                conn = await conn
    except Exception as exc:
        raise_outage(exc, None, op)
    try:
        if hasattr(conn, "nodes_manager"):
            return await _afetch_on_nodes(conn, near, groups, markers)
        client_id = _client_id(client, near, op.route, index)
        return await _asend(conn.connection_pool, near, groups, markers, client_id)
    except Exception as exc:
        raise classify(conn, exc, op) from exc


# -- cluster: fills on the node of each group's slot ----------------------------------------


class _NodeFill(NamedTuple):
    node: Any
    groups: list[list[Any]]
    markers: list[Any]
    #: The positions of its groups' keys in the whole fill.
    places: list[int]


def _by_node(
    cluster: Any, near: NearCache, groups: list[list[Any]], markers: list[Any]
) -> list[_NodeFill] | None:
    """The groups split by the primary of their slot (one group, one slot); None when a
    slot is unknown or its node is not one a listener tracks (the layout is changing)."""
    fills: dict[str, _NodeFill] = {}
    at = 0
    for nkeys in groups:
        try:
            node = cluster.nodes_manager.get_node_from_slot(slot_of(nkeys[0]), near.node_replicas)
        except ValkeyClusterException:
            return None
        if node.name not in near.servers:
            return None
        fill = fills.get(node.name)
        if fill is None:
            fill = fills[node.name] = _NodeFill(node, [], [], [])
        fill.groups.append(nkeys)
        for place in range(at, at + len(nkeys)):
            fill.places.append(place)
            fill.markers.append(markers[place])
        at += len(nkeys)
    return list(fills.values())


def _placed(fills: list[_NodeFill], parts: list[list[Any]], count: int) -> list[Any]:
    """The flat replies of every node put back in the order of the whole fill."""
    flat: list[Any] = [None] * (2 * count)
    for fill, part in zip(fills, parts):
        for n, place in enumerate(fill.places):
            flat[2 * place] = part[2 * n]
            flat[2 * place + 1] = part[2 * n + 1]
    return flat


def _fetch_on_nodes(cluster: Any, near: NearCache, groups: list[list[Any]], markers: list[Any]) -> list[Any]:
    """:func:`_send` on the primary of each group's slot (a blocking ``ValkeyCluster``).

    While the layout changes (a slot unknown or on a node no listener tracks, a reply
    MOVED or ASK, a node that does not answer), every copy is dropped and the keys are
    read through the cluster client, not kept: it follows redirections, retries and
    learns the new layout.
    """
    fills = _by_node(cluster, near, groups, markers)
    if fills is not None:
        try:
            parts = [
                _send(
                    fill.node.valkey_connection.connection_pool,
                    near,
                    fill.groups,
                    fill.markers,
                    near.client_id_at(fill.node.name) if near.optin else None,
                )
                for fill in fills
            ]
            return _placed(fills, parts, len(markers))
        except Exception:
            pass
    near.flush()
    keys = _joined(groups)
    return _untracked([cluster.get(keys[0])] if len(keys) == 1 else cluster.mget_nonatomic(keys))


async def _afetch_on_nodes(
    cluster: Any, near: NearCache, groups: list[list[Any]], markers: list[Any]
) -> list[Any]:
    """:func:`_fetch_on_nodes` for ``valkey.asyncio``'s cluster client."""
    fills = _by_node(cluster, near, groups, markers)
    if fills is not None:
        try:
            parts = [
                await _asend(
                    NodeConnections(fill.node),
                    near,
                    fill.groups,
                    fill.markers,
                    near.client_id_at(fill.node.name) if near.optin else None,
                )
                for fill in fills
            ]
            return _placed(fills, parts, len(markers))
        except Exception:
            pass
    near.flush()
    keys = _joined(groups)
    return _untracked([await cluster.get(keys[0])] if len(keys) == 1 else await cluster.mget_nonatomic(keys))


def _untracked(raws: list[Any]) -> list[Any]:
    """Values read without their PTTL, in :func:`_flat`'s layout (they are not kept)."""
    return [part for raw in raws for part in (raw, -2)]


def miss_one(client: Any, near: NearCache, nkey: Any) -> Any:
    """The stored value of ``nkey`` after a local miss, filling its copy (:func:`_begin`,
    :func:`_fetch` and :func:`_filled` for one key, the path every ``get`` miss takes)."""
    if not near.started:
        near.ensure_started()
    store = near.store
    markers = [store.begin(nkey) if near.covers(nkey) else None]
    try:
        flat = _fetch(client, near, [[nkey]], markers)
    except BaseException:
        store.abort(nkey, markers[0])
        raise
    store.fill(nkey, markers[0], flat[0], int(flat[1]))
    return flat[0]


async def amiss_one(client: Any, near: NearCache, nkey: Any) -> Any:
    """:func:`miss_one` on an asyncio client."""
    if not near.started:
        near.ensure_started()
    store = near.store
    markers = [store.begin(nkey) if near.covers(nkey) else None]
    try:
        flat = await _afetch(client, near, [[nkey]], markers)
    except BaseException:
        store.abort(nkey, markers[0])
        raise
    store.fill(nkey, markers[0], flat[0], int(flat[1]))
    return flat[0]


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
    if not near.started:
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


def _served_ops(op: Op[Any]) -> list[tuple[Op[Any], str]] | None:
    """The served reads ``op`` is made of: itself, or every op of a pipeline of them (a
    ``get_many`` over several slots or batches); None when it is anything else."""
    method = _served(op)
    if method is not None:
        return None if op.write else [(op, method)]
    if op.method != PIPELINE or op.args[1] or op.write:
        return None
    subs = []
    for sub in op.args[0]:
        method = _served(sub)
        if method is None:
            return None
        subs.append((sub, method))
    return subs


class _Plan(NamedTuple):
    """The served reads of an op: their keys and raw values found here, and what to fetch."""

    found: list[tuple[list[Any], list[Any], list[int]]]
    groups: list[list[Any]]
    keys: list[Any]


def _plan(near: NearCache, subs: list[tuple[Op[Any], str]]) -> _Plan:
    found = [_local(near, sub, method) for sub, method in subs]
    groups = [[nkeys[i] for i in missing] for nkeys, _, missing in found if missing]
    return _Plan(found, groups, _joined(groups) if groups else [])


def _answer(op: Op[Any], subs: list[tuple[Op[Any], str]], plan: _Plan, raws: list[Any]) -> Any:
    """The op's result, once the raw values fetched (``raws``, in plan order) are in place."""
    fetched = iter(raws)
    for _, values, missing in plan.found:
        for i in missing:
            values[i] = next(fetched)
    if subs[0][0] is op:
        return _finished(op, subs[0][1], plan.found[0][1])
    # As a pipeline's: the raw replies, each op's own finish not applied.
    replies = [_reply(method, values) for (_, method), (_, values, _) in zip(subs, plan.found)]
    return replies if op.finish is None else op.finish(replies, *op.finish_args)


# -- blocking -------------------------------------------------------------------------------


def perform(client: Any, op: Op[Any], fixed: Any = None) -> Any:
    """:func:`valkey_cache.core.drivers.sync.perform`, answering served reads locally."""
    near: NearCache = client.near_cache
    subs = None if fixed is not None else _served_ops(op)
    if subs is None:
        try:
            return sync.perform(client, op, fixed)
        finally:
            if op.write and isinstance(op.route, str):
                near.drop(op.route)
    plan = _plan(near, subs)
    if not plan.groups:
        return _answer(op, subs, plan, [])
    markers = _begin(near, plan.keys)
    try:
        replies = _fetch(client, near, plan.groups, markers, op.route)
    except BaseException:
        _abort(near, plan.keys, markers)
        raise
    return _answer(op, subs, plan, _filled(near, plan.keys, markers, replies))


def run(step: Step[Any], client: Any, fixed: Any = None) -> Any:
    """:func:`valkey_cache.core.drivers.sync.run` with :func:`perform` for each op."""
    return sync.run(step, client, fixed, how=perform)


# -- asyncio --------------------------------------------------------------------------------


async def aperform(client: Any, op: Op[Any], fixed: Any = None) -> Any:
    """:func:`perform` on an asyncio client."""
    near: NearCache = client.near_cache
    subs = None if fixed is not None else _served_ops(op)
    if subs is None:
        try:
            return await asynchronous.perform(client, op, fixed)
        finally:
            if op.write and isinstance(op.route, str):
                near.drop(op.route)
    plan = _plan(near, subs)
    if not plan.groups:
        return _answer(op, subs, plan, [])
    markers = _begin(near, plan.keys)
    try:
        replies = await _afetch(client, near, plan.groups, markers, op.route)
    except BaseException:
        _abort(near, plan.keys, markers)
        raise
    return _answer(op, subs, plan, _filled(near, plan.keys, markers, replies))


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


class _Spread(NamedTuple):
    """A ``get_many`` on several servers after the local lookups: what is still to fetch."""

    originals: list[Any]
    nkeys: list[Any]
    raws: list[Any]
    missing: list[int]
    #: ``(route, batches, their keys joined, markers)`` per server.
    sends: list[tuple[Any, list[list[Any]], list[Any], list[Any]]]


def _spread(client: Any, near: NearCache, keys: Any, version: Any) -> _Spread:
    originals = list(keys)
    nkeys = client.make_keys(originals, version) if originals else []
    raws, missing = _lookups(near, nkeys)
    sends = []
    if missing:
        for route, batches in client.key_groups([nkeys[i] for i in missing]):
            joined = _joined(batches)
            sends.append((route, batches, joined, _begin(near, joined)))
    return _Spread(originals, nkeys, raws, missing, sends)


def _spread_result(client: Any, near: NearCache, spread: _Spread, replies: list[Any]) -> dict[Any, Any]:
    """Fill from each server's flat replies (None: unreachable, tolerated) and decode."""
    fetched: dict[Any, Any] = {}
    for (_, _, joined, markers), flat in zip(spread.sends, replies):
        if flat is not None:
            fetched.update(zip(joined, _filled(near, joined, markers, flat)))
    raws, nkeys = spread.raws, spread.nkeys
    for i in spread.missing:
        raws[i] = fetched.get(nkeys[i])
    found = {}
    for original, nkey, raw in zip(spread.originals, nkeys, raws):
        if raw is not None:
            value = client.decode_or_miss(raw, nkey)
            if value is not MISS:
                found[original] = value
    return found


def _spread_failed(client: Any, near: NearCache, spread: _Spread, exc: BaseException, failed: int) -> None:
    """After server ``failed`` (an index of ``sends``) failed: cancel its fills, and
    unless ``exc`` is an outage IGNORE_EXCEPTIONS lets ``get_many`` go on without,
    every fill (none is made before the last reply), and raise."""
    _, _, joined, markers = spread.sends[failed]
    _abort(near, joined, markers)
    try:
        if not isinstance(exc, ConnectionInterrupted):
            raise exc
        client.tolerate(exc, "get_many")
    except BaseException:
        for _, _, joined, markers in spread.sends:
            _abort(near, joined, markers)
        raise


def spread_get_many(declaration: Command[Any, Any], is_async: bool) -> Callable[..., Any]:
    """``get_many`` for a client whose keys live on several servers (shards, cluster
    slots) running the standard fan-out: the keys found here are answered at once, the
    others fetched as the fan-out would (one round trip per server, one MGET per batch),
    without an op per batch. An unreachable server loses only its keys under
    ``IGNORE_EXCEPTIONS``, as there."""
    if is_async:

        async def aget_many(self: Any, keys: Any, version: Any = None, client: Any = None) -> Any:
            if client is not None:
                return await asynchronous.run(declaration.logic(self, keys, version, client), self, client)
            near = self.near_cache
            spread = _spread(self, near, keys, version)
            replies: list[Any] = []
            for route, batches, _, markers in spread.sends:
                try:
                    replies.append(await _afetch(self, near, batches, markers, route))
                except BaseException as exc:
                    _spread_failed(self, near, spread, exc, len(replies))
                    replies.append(None)
            return _spread_result(self, near, spread, replies)

        function: Callable[..., Any] = aget_many
    else:

        def get_many(self: Any, keys: Any, version: Any = None, client: Any = None) -> Any:
            if client is not None:
                return sync.run(declaration.logic(self, keys, version, client), self, client)
            near = self.near_cache
            spread = _spread(self, near, keys, version)
            replies: list[Any] = []
            for route, batches, _, markers in spread.sends:
                try:
                    replies.append(_fetch(self, near, batches, markers, route))
                except BaseException as exc:
                    _spread_failed(self, near, spread, exc, len(replies))
                    replies.append(None)
            return _spread_result(self, near, spread, replies)

        function = get_many
    function.__name__ = "get_many"
    function.__doc__ = declaration.doc or None
    function.__command__ = declaration  # type: ignore[attr-defined]
    return function
