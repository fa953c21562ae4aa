"""Multi-key commands for clients whose keys live on several servers (shards, cluster slots).

The client splits keys (``key_groups``: per connection, the batches one command may
take) and lists its servers (``list_nodes``); these generators send one round trip per
connection and merge the replies. Commands whose keys share a place run the ``logic``
version unchanged. Under ``IGNORE_EXCEPTIONS`` an unreachable server loses only its
own part (``tolerate``): its keys miss, the other servers answer.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from ..exceptions import ConnectionInterrupted
from ..timeouts import DEFAULT_TIMEOUT
from . import standard
from .declare import iterator_variant, variant
from .ops import Emit, Logic, Op, local, pipeline, read, run, write
from .protocol import MISS
from .routes import ALL_NODES, Node, list_nodes
from .table import Commands

if TYPE_CHECKING:
    from ..client.distributed import DistributedClient

    Client = DistributedClient[Any]


def _run(route: Any, ops: list[Op[Any]], *, writes: bool = True) -> Logic[Any]:
    """The replies of ``ops``, sent in one round trip on the connection of ``route``."""
    if len(ops) == 1:
        return [(yield ops[0].routed(route))]
    return (yield pipeline(ops, write=writes, route=route))


# Multi-key commands go by name: cluster pipelines refuse them as methods, not as commands.
_DELETE = {"unlink": "UNLINK", "delete": "DEL"}


def _mget(batch: list[Any]) -> Op[Any]:
    return read("execute_command", batch[0], "MGET", *batch)


def _mset(batch: list[Any], values: Mapping[Any, Any]) -> Op[Any]:
    return write("execute_command", batch[0], "MSET", *[part for k in batch for part in (k, values[k])])


def _delete_batch(c: Client, batch: list[Any]) -> Op[Any]:
    return write("execute_command", batch[0], _DELETE[c.delete_command], *batch)


# -- strings -----------------------------------------------------------------------------


def cmd_get_many(
    c: Client, keys: Iterable[Any], version: Any = None, client: Any = None
) -> Logic[dict[Any, Any]]:
    """``{key: value}`` for the keys found: one MGET per batch, one round trip per server."""
    originals = list(keys)
    if not originals:
        return {}
    nkeys = c.make_keys(originals, version)
    raws: dict[Any, Any] = {}
    for route, batches in c.key_groups(nkeys):
        try:
            replies = yield from _run(route, [_mget(b) for b in batches], writes=False)
        except ConnectionInterrupted as exc:
            c.tolerate(exc, "get_many")
            continue
        for batch, reply in zip(batches, replies):
            raws.update(zip(batch, reply))
    found = {}
    for original, nkey in zip(originals, nkeys):
        raw = raws.get(nkey)
        if raw is not None:
            value = c.decode_or_miss(raw, nkey)
            if value is not MISS:
                found[original] = value
    return found


def cmd_mget(
    c: Client, keys: Iterable[Any], version: Any = None, client: Any = None
) -> Logic[dict[Any, Any]]:
    return (yield from cmd_get_many(c, keys, version, client))


def cmd_set_many(
    c: Client,
    data: Mapping[Any, Any],
    timeout: Any = DEFAULT_TIMEOUT,
    version: Any = None,
    client: Any = None,
) -> Logic[list[Any]]:
    """Store every pair, each with the timeout; returns the keys of unreachable servers."""
    if not data:
        return []
    ms = c.expiry_ms(timeout)
    originals = {c.server_key(k, version): k for k in data}
    if ms is not None and ms <= 0:
        yield from _delete(c, list(originals), "set_many")
        return []
    values = {nkey: c.encode_value(key, data[key]) for nkey, key in originals.items()}
    failed: list[Any] = []
    for route, batches in c.key_groups(list(originals)):
        if ms is None:
            ops = [_mset(b, values) for b in batches]
        else:
            ops = [write("set", k, k, values[k], px=ms) for b in batches for k in b]
        try:
            yield from _run(route, ops)
        except ConnectionInterrupted as exc:
            c.tolerate(exc, "set_many")
            failed += [originals[k] for b in batches for k in b]
    return failed


def cmd_mset(
    c: Client,
    data: Mapping[Any, Any],
    timeout: Any = None,
    version: Any = None,
    client: Any = None,
) -> Logic[None]:
    """MSET per batch; with a timeout, in MULTI/EXEC where the servers allow it (shards),
    else each key is SET with its expiry in one step (cluster: no transactions)."""
    if not data:
        return None
    values = {c.server_key(k, version): c.encode_value(k, v) for k, v in data.items()}
    ms = None if timeout is None else c.expiry_ms(timeout)
    if ms is not None and ms <= 0:
        yield from _delete(c, list(values), "mset")
        return None
    for route, batches in c.key_groups(list(values)):
        try:
            if ms is None:
                yield from _run(route, [_mset(b, values) for b in batches])
            elif c.TRANSACTIONS:
                for b in batches:
                    ops = [_mset(b, values)] + [write("pexpire", k, k, ms) for k in b]
                    yield pipeline(ops, route=route, transaction=True)
            else:
                yield from _run(route, [write("set", k, k, values[k], px=ms) for b in batches for k in b])
        except ConnectionInterrupted as exc:
            c.tolerate(exc, "mset")
    return None


def _delete(c: Client, nkeys: list[Any], command: str) -> Logic[int]:
    deleted = 0
    for route, batches in c.key_groups(nkeys):
        try:
            replies = yield from _run(route, [_delete_batch(c, b) for b in batches])
        except ConnectionInterrupted as exc:
            c.tolerate(exc, command)
            continue
        deleted += sum(int(r) for r in replies)
    return deleted


def cmd_delete_many(c: Client, keys: Iterable[Any], version: Any = None, client: Any = None) -> Logic[int]:
    """Delete the keys; returns how many existed (on the servers that could be reached)."""
    nkeys = c.make_keys(keys, version)
    if not nkeys:
        return 0
    return (yield from _delete(c, nkeys, "delete_many"))


def cmd_incr_version(
    c: Client, key: Any, delta: int = 1, version: Any = None, client: Any = None
) -> Logic[int]:
    """RENAME when both versions share a place; else DUMP, RESTORE (TTL kept) and delete."""
    if version is None:
        version = c.settings.version
    old = c.server_key(key, version)
    new = c.server_key(c.original_key(key), version=version + delta)
    if c.same_place(old, new):
        return (yield from run(standard.cmd_incr_version(c, key, delta, version, client)))
    payload, left = yield pipeline([read("dump", old, old), read("pttl", old, old)], write=False, route=old)
    if payload is None or left == -2:
        raise standard._not_found(key)
    yield write("restore", new, new, max(int(left), 0), payload, replace=True)
    yield write(c.delete_command, old, old)
    return int(version + delta)


def cmd_decr_version(
    c: Client, key: Any, delta: int = 1, version: Any = None, client: Any = None
) -> Logic[int]:
    return (yield from cmd_incr_version(c, key, -delta, version, client))


# -- every server ------------------------------------------------------------------------


def _delete_found(c: Client, node: Any, keys: list[Any]) -> Logic[int]:
    deleted = 0
    for route, batches in c.node_key_groups(node, keys):
        replies = yield from _run(route, [_delete_batch(c, b) for b in batches])
        deleted += sum(int(r) for r in replies)
    return deleted


def cmd_delete_pattern(
    c: Client,
    pattern: str,
    version: Any = None,
    prefix: str | None = None,
    client: Any = None,
    itersize: int | None = None,
) -> Logic[int]:
    """SCAN every server for the pattern and delete what each batch found."""
    match = c.make_pattern(pattern, version=version, prefix=prefix)
    deleted, _ = yield from _delete_matching(c, match, itersize or c.scan_itersize, "delete_pattern")
    return deleted


def _delete_matching(c: Client, match: Any, count: int | None, command: str) -> Logic[tuple[int, bool]]:
    """SCAN every server for ``match`` and delete each batch found: (deleted, all reached)."""
    deleted = 0
    reached = True
    nodes = yield list_nodes()
    for node in nodes:
        cursor = 0
        try:
            while True:
                cursor, found = yield write("scan", Node(node), cursor, match=match, count=count)
                if found:
                    deleted += yield from _delete_found(c, node, found)
                if not cursor:
                    break
        except ConnectionInterrupted as exc:
            c.tolerate(exc, command)
            reached = False
    return deleted, reached


def cmd_iter_keys(
    c: Client,
    search: str,
    itersize: int | None = None,
    client: Any = None,
    version: Any = None,
) -> Logic[None]:
    """SCAN each server in turn, yielding keys as they come."""
    match = c.make_pattern(search, version=version)
    count = itersize or c.scan_itersize
    nodes = yield list_nodes()
    for node in nodes:
        cursor = 0
        try:
            while True:
                cursor, found = yield read("scan", Node(node), cursor, match=match, count=count)
                for k in found:
                    yield Emit(c.reverse_key(k.decode()))
                if not cursor:
                    break
        except ConnectionInterrupted as exc:
            c.tolerate(exc, "iter_keys")


def cmd_keys(c: Client, search: str, version: Any = None, client: Any = None) -> Logic[list[Any]]:
    """Every key matching ``search``, collected with SCAN on every server in turn."""
    nodes = yield list_nodes()
    return (yield from _keys_on(c, nodes, c.make_pattern(search, version=version)))


#: valkey-py's cluster node flags, and the cluster method listing each flag's nodes.
_NODE_FLAGS = {
    "primaries": "get_primaries",
    "replicas": "get_replicas",
    "all": "get_nodes",
    "random": "get_random_node",
    "default-node": "get_default_node",
}


def cmd_cluster_keys(
    c: Client,
    search: str = "*",
    target_nodes: Any = None,
    version: Any = None,
    client: Any = None,
) -> Logic[list[Any]]:
    """Every key matching ``search`` on ``target_nodes`` (django-valkey 0.4's argument: a
    node flag such as ``ValkeyCluster.ALL_NODES``, a ``ClusterNode``, a list or dict of
    them); by default on every primary, so each key of the cluster is found once."""
    if target_nodes is None:
        nodes = yield list_nodes()
    elif isinstance(target_nodes, str):
        getter = _NODE_FLAGS.get(target_nodes)
        if getter is None:
            raise ValueError(f"target_nodes={target_nodes!r}: expected one of {sorted(_NODE_FLAGS)}")
        nodes = yield local(getter, ALL_NODES)
    elif isinstance(target_nodes, Mapping):
        nodes = list(target_nodes.values())
    else:
        nodes = target_nodes
    if not isinstance(nodes, list | tuple):
        nodes = [nodes]
    found = yield from _keys_on(c, nodes, c.make_pattern(search, version=version))
    return list(dict.fromkeys(found))


def _keys_on(c: Client, nodes: Iterable[Any], pattern: Any) -> Logic[list[Any]]:
    found: list[Any] = []
    for node in nodes:
        try:
            found += yield from standard.scan_all(c, Node(node), pattern)
        except ConnectionInterrupted as exc:
            c.tolerate(exc, "keys")
    return [c.reverse_key(k.decode()) for k in found]


def cmd_clear(c: Client, client: Any = None) -> Logic[bool]:
    """FLUSHDB on every server, or with ``CLEAR_SCOPE='prefix'`` SCAN and delete this
    cache's keys on each; False when one could not be reached."""
    if c.clear_prefix:
        _, reached = yield from _delete_matching(c, standard.prefix_pattern(c), c.scan_itersize, "clear")
        return reached
    cleared = True
    nodes = yield list_nodes()
    for node in nodes:
        try:
            cleared = bool((yield write("flushdb", Node(node)))) and cleared
        except ConnectionInterrupted as exc:
            c.tolerate(exc, "clear")
            cleared = False
    return cleared


# -- sets --------------------------------------------------------------------------------
# Keys on different servers are combined here, on the raw (encoded) members.


def _raw_sets(c: Client, nkeys: list[Any]) -> Logic[list[set[bytes]]]:
    members: dict[Any, Any] = {}
    for route, batches in c.key_groups(nkeys):
        keys = [k for b in batches for k in b]
        replies = yield from _run(route, [read("smembers", k, k) for k in keys], writes=False)
        members.update(zip(keys, replies))
    return [set(members[k]) for k in nkeys]


def _combine(command: str, sets: list[set[bytes]]) -> set[bytes]:
    first, rest = sets[0], sets[1:]
    if command.startswith("sdiff"):
        return first.difference(*rest)
    if command.startswith("sinter"):
        return first.intersection(*rest)
    return first.union(*rest)


def _set_algebra(c: Client, command: str, keys: tuple[Any, ...], version: Any) -> Logic[set[Any]]:
    nkeys = c.make_keys(keys, version)
    if c.same_place(*nkeys):
        return (yield from run(standard._set_algebra(c, command, keys, version)))
    sets = yield from _raw_sets(c, nkeys)
    return standard._as_set(_combine(command, sets), c)


def _set_store(
    c: Client, command: str, dest: Any, keys: tuple[Any, ...], dest_version: Any, keys_version: Any
) -> Logic[int]:
    ndest = c.server_key(dest, version=dest_version)
    nkeys = [c.server_key(k, version=keys_version) for k in keys]
    if not nkeys or c.same_place(ndest, *nkeys):
        return (yield from run(standard._set_store(c, command, dest, keys, dest_version, keys_version)))
    members = _combine(command, (yield from _raw_sets(c, nkeys)))
    ops = [write("delete", ndest, ndest)]
    if members:
        ops.append(write("sadd", ndest, ndest, *members))
    yield pipeline(ops, route=ndest, transaction=c.TRANSACTIONS)
    return len(members)


def cmd_sdiff(c: Client, *keys: Any, version: Any = None, client: Any = None) -> Logic[set[Any]]:
    return (yield from _set_algebra(c, "sdiff", keys, version))


def cmd_sinter(c: Client, *keys: Any, version: Any = None, client: Any = None) -> Logic[set[Any]]:
    return (yield from _set_algebra(c, "sinter", keys, version))


def cmd_sunion(c: Client, *keys: Any, version: Any = None, client: Any = None) -> Logic[set[Any]]:
    return (yield from _set_algebra(c, "sunion", keys, version))


def cmd_sdiffstore(
    c: Client,
    dest: Any,
    *keys: Any,
    version_dest: Any = None,
    version_keys: Any = None,
    client: Any = None,
) -> Logic[int]:
    return (yield from _set_store(c, "sdiffstore", dest, keys, version_dest, version_keys))


def cmd_sinterstore(c: Client, dest: Any, *keys: Any, version: Any = None, client: Any = None) -> Logic[int]:
    return (yield from _set_store(c, "sinterstore", dest, keys, version, version))


def cmd_sunionstore(
    c: Client, destination: Any, *keys: Any, version: Any = None, client: Any = None
) -> Logic[int]:
    return (yield from _set_store(c, "sunionstore", destination, keys, version, version))


def cmd_smove(
    c: Client,
    source: Any,
    destination: Any,
    member: Any,
    version: Any = None,
    client: Any = None,
) -> Logic[bool]:
    """SMOVE; across servers, SREM then SADD (not atomic)."""
    nsource = c.server_key(source, version)
    ndest = c.server_key(destination, version)
    if c.same_place(nsource, ndest):
        return (yield from run(standard.cmd_smove(c, source, destination, member, version, client)))
    encoded = c.encode(member)
    moved = yield write("srem", nsource, nsource, encoded)
    if moved:
        yield write("sadd", ndest, ndest, encoded)
    return bool(moved)


class DistributedCommands(Commands):
    """The split versions of the multi-key commands, for keys on several servers."""

    get_many = variant(cmd_get_many)
    mget = variant(cmd_mget)
    set_many = variant(cmd_set_many)
    mset = variant(cmd_mset)
    delete_many = variant(cmd_delete_many)
    delete_pattern = variant(cmd_delete_pattern)
    clear = variant(cmd_clear)
    keys = variant(cmd_keys)
    iter_keys = iterator_variant(cmd_iter_keys, str)
    incr_version = variant(cmd_incr_version)
    decr_version = variant(cmd_decr_version)
    sdiff = variant(cmd_sdiff)
    sinter = variant(cmd_sinter)
    sunion = variant(cmd_sunion)
    sdiffstore = variant(cmd_sdiffstore)
    sinterstore = variant(cmd_sinterstore)
    sunionstore = variant(cmd_sunionstore)
    smove = variant(cmd_smove)


class ClusterCommands(DistributedCommands):
    """The cluster client's: ``keys`` takes 0.4's ``target_nodes``."""

    keys = variant(cmd_cluster_keys)  # type: ignore[assignment]
