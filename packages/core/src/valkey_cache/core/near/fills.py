"""Reading keys from the server into the near cache's store: a fill.

A fill takes an in-flight marker per key (:func:`begin`), sends the read and each key's
PTTL in one write on one pooled connection (:func:`fetch`; on a cluster, one write per
node of the keys' slots), and keeps each reply whose marker survived (:func:`filled`).
In OPTIN mode the read carries the tracking redirect to the listener of the server that
answers it. The primary answers, or a replica when reads go to replicas.
"""

from __future__ import annotations

from types import CoroutineType
from typing import TYPE_CHECKING, Any, NamedTuple

from valkey.exceptions import ValkeyClusterException

from ..client.cluster import slot_of
from ..commands.ops import read, write
from ..drivers.errors import classify, raise_outage
from .cluster import NodeConnections

if TYPE_CHECKING:
    from .cache import NearCache


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


#: ``GET key`` then ``PTTL key`` in RESP, for :func:`_get_and_pttl`.
_GET_PTTL = b"*2\r\n$3\r\nGET\r\n$%d\r\n%b\r\n*2\r\n$4\r\nPTTL\r\n$%d\r\n%b\r\n"


def _get_and_pttl(conn: Any, nkey: Any) -> list[bytes]:
    """``GET`` and ``PTTL`` of one key, packed for ``conn``: what ``pack_commands`` makes
    of them, in one format instead of its general loop (the path of every ``get`` miss)."""
    key = conn.encoder.encode(nkey)
    return [_GET_PTTL % (len(key), key, len(key), key)]


def _checked(reply: Any) -> Any:
    """``reply`` read from a parser directly, raised if it is an error reply (as
    ``Connection.read_response`` does)."""
    if isinstance(reply, Exception):
        raise reply
    return reply


_NOT_HELD = object()


def _held_reply(conn: Any) -> Any:
    """The next reply on an asyncio ``conn`` if libvalkey's reader holds it already (the
    replies to one write mostly come in one packet), else ``_NOT_HELD``: read this way,
    it skips the timeout context of ``read_response``, which costs more than the rest of
    a miss. Another parser, or a reply still on its way, is left to ``read_response``."""
    gets = getattr(getattr(conn._parser, "_reader", None), "gets", None)
    if gets is None:
        return _NOT_HELD
    reply = gets()
    return _NOT_HELD if reply is False else _checked(reply)


def keys_of(groups: list[list[Any]]) -> list[Any]:
    """The keys of ``groups``, joined in order."""
    return groups[0] if len(groups) == 1 else [k for nkeys in groups for k in nkeys]


def _send(
    pool: Any, near: NearCache, groups: list[list[Any]], markers: list[Any], client_id: int | None
) -> list[Any]:
    """The flat values and PTTLs of the keys of ``groups``, written at once on one
    connection of ``pool`` (what a pipeline does, without its per-call objects)."""
    conn = pool.get_connection("GET")
    try:
        if client_id is None and len(groups) == 1 and len(groups[0]) == 1:  # a BCAST get miss
            conn.send_packed_command(_get_and_pttl(conn, groups[0][0]))
            return _replies(conn, 2)
        tracked = _redirect(conn, near, client_id, keys_of(groups), markers)
        commands = _fill_commands(groups, tracked)
        conn.send_packed_command(conn.pack_commands(commands))
        return _flat(_replies(conn, len(commands)), groups, tracked is not None)
    except BaseException:
        conn.disconnect()
        raise
    finally:
        pool.release(conn)


def _replies(conn: Any, count: int) -> list[Any]:
    """The ``count`` replies to commands sent in one write: the first through
    ``read_response``, the others from the parser, which skips its per-call bookkeeping
    (the socket's timeout still bounds each wait; a failure disconnects in the caller)."""
    replies = [conn.read_response()]
    parser = conn._parser
    for _ in range(count - 1):
        replies.append(_checked(parser.read_response()))
    return replies


async def _asend(
    pool: Any, near: NearCache, groups: list[list[Any]], markers: list[Any], client_id: int | None
) -> list[Any]:
    """:func:`_send` on an asyncio pool."""
    conn = await pool.get_connection("GET")
    try:
        if client_id is None and len(groups) == 1 and len(groups[0]) == 1:  # a BCAST get miss
            await conn.send_packed_command(_get_and_pttl(conn, groups[0][0]))
            return await _areplies(conn, 2)
        tracked = _redirect(conn, near, client_id, keys_of(groups), markers)
        commands = _fill_commands(groups, tracked)
        await conn.send_packed_command(conn.pack_commands(commands))
        return _flat(await _areplies(conn, len(commands)), groups, tracked is not None)
    except BaseException:
        await conn.disconnect()
        raise
    finally:
        await pool.release(conn)


async def _areplies(conn: Any, count: int) -> list[Any]:
    """:func:`_replies` on an asyncio connection: a reply the parser does not hold yet is
    awaited through ``read_response``, which bounds the wait by the read timeout."""
    replies = [await conn.read_response()]
    for _ in range(count - 1):
        reply = _held_reply(conn)
        replies.append(await conn.read_response() if reply is _NOT_HELD else reply)
    return replies


def fetch(
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


async def afetch(
    client: Any, near: NearCache, groups: list[list[Any]], markers: list[Any], route: Any = None
) -> list[Any]:
    """:func:`fetch` on an asyncio client."""
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
    #: The id of its listener, which OPTIN fills redirect to (None in BCAST).
    client_id: int | None
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
            client_id = near.client_id_at(node.name) if near.optin else None
            fill = fills[node.name] = _NodeFill(node, client_id, [], [], [])
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
                    fill.client_id,
                )
                for fill in fills
            ]
            return _placed(fills, parts, len(markers))
        except Exception:
            pass
    near.flush()
    keys = keys_of(groups)
    return _untracked([cluster.get(keys[0])] if len(keys) == 1 else cluster.mget_nonatomic(keys))


async def _afetch_on_nodes(
    cluster: Any, near: NearCache, groups: list[list[Any]], markers: list[Any]
) -> list[Any]:
    """:func:`_fetch_on_nodes` for ``valkey.asyncio``'s cluster client."""
    fills = _by_node(cluster, near, groups, markers)
    if fills is not None:
        try:
            parts = [
                await _asend(NodeConnections(fill.node), near, fill.groups, fill.markers, fill.client_id)
                for fill in fills
            ]
            return _placed(fills, parts, len(markers))
        except Exception:
            pass
    near.flush()
    keys = keys_of(groups)
    return _untracked([await cluster.get(keys[0])] if len(keys) == 1 else await cluster.mget_nonatomic(keys))


def _untracked(raws: list[Any]) -> list[Any]:
    """Values read without their PTTL, in :func:`_flat`'s layout (they are not kept)."""
    return [part for raw in raws for part in (raw, -2)]


def miss_one(client: Any, near: NearCache, nkey: Any) -> Any:
    """The stored value of ``nkey`` after a local miss, filling its copy (:func:`begin`,
    :func:`fetch` and :func:`filled` for one key, the path every ``get`` miss takes)."""
    if not near.started:
        near.ensure_started()
    store = near.store
    markers = [store.begin(nkey) if near.covers(nkey) else None]
    try:
        flat = fetch(client, near, [[nkey]], markers)
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
        flat = await afetch(client, near, [[nkey]], markers)
    except BaseException:
        store.abort(nkey, markers[0])
        raise
    store.fill(nkey, markers[0], flat[0], int(flat[1]))
    return flat[0]


def lookups(near: NearCache, nkeys: list[Any]) -> tuple[list[Any], list[int]]:
    """The raw values held for ``nkeys`` (None where not), and the indexes of those not held."""
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


def begin(near: NearCache, nkeys: list[Any]) -> list[Any]:
    """An in-flight marker per key (None for a key the server does not track for this cache)."""
    if not near.started:
        near.ensure_started()
    begin, covers = near.store.begin, near.covers
    return [begin(k) if covers(k) else None for k in nkeys]


def filled(near: NearCache, nkeys: list[Any], markers: list[Any], flat: list[Any]) -> list[Any]:
    """Keep the replies in ``flat`` whose markers survived; the raw values, in key order."""
    fill = near.store.fill
    raws = flat[0::2]
    for nkey, marker, raw, left in zip(nkeys, markers, raws, flat[1::2]):
        fill(nkey, marker, raw, int(left))
    return raws


def abort(near: NearCache, nkeys: list[Any], markers: list[Any]) -> None:
    """Forget the markers of a fill that failed."""
    for nkey, marker in zip(nkeys, markers):
        near.store.abort(nkey, marker)
