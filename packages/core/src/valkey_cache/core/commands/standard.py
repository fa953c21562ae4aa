"""Every cache command, written once as a generator of valkey-py calls (see ``ops``).

``c`` is the client (a :class:`BaseClient`); ``client`` is accepted for the signature
that django-valkey users know and is consumed by the driver: the connection to use.
Timeouts follow ``timeouts``: DEFAULT_TIMEOUT, None = forever, <= 0 = not stored.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from valkey.exceptions import ResponseError

from ..keys import CacheKey, glob_escape
from ..timeouts import DEFAULT_TIMEOUT
from .base import MISS
from .ops import Emit, Logic, batch, local, pipeline, read, write
from .scripts import run_script, script

if TYPE_CHECKING:
    from .base import BaseClient

# INCRBY only where the key exists, atomically: Django's incr raises on a missing key.
INCR_IF_EXISTS = script(
    "if server.call('EXISTS', KEYS[1]) == 1 then "
    "return server.call('INCRBY', KEYS[1], ARGV[1]) else return false end"
)


def _not_found(key: Any) -> ValueError:
    return ValueError(f"Key {key!r} not found")


def incremented(key: Any, value: Any) -> Any:
    """The result of an increment script; a missing key (nil) is Django's ValueError."""
    if value is None:
        raise _not_found(key)
    return value


# -- strings ---------------------------------------------------------------------------


def cmd_set(
    c: BaseClient[Any],
    key: Any,
    value: Any,
    timeout: Any = DEFAULT_TIMEOUT,
    version: Any = None,
    client: Any = None,
    nx: bool = False,
    xx: bool = False,
) -> Logic:
    """Store ``value``; True when stored. ``nx``: only if absent (None, as in django-valkey
    0.4, when it was there); ``xx``: only if present (False when it was not)."""
    nkey = c.make_key(key, version=version)
    ms = c.expiry_ms(timeout)
    if ms is not None and ms <= 0:
        if nx:
            exists = yield read("exists", nkey, nkey)
            return not exists
        yield write(c._delete_command, nkey, nkey)
        return False
    stored = yield write("set", nkey, nkey, c.encode_value(key, value), px=ms, nx=nx, xx=xx)
    return set_result(stored, nx)


def set_result(stored: Any, nx: bool) -> bool | None:
    """What ``set`` returns for the server's reply: True when stored; when not, None
    with ``nx`` (django-valkey 0.4's value) and False otherwise."""
    if stored:
        return True
    return None if nx else False


def cmd_add(
    c: BaseClient[Any],
    key: Any,
    value: Any,
    timeout: Any = DEFAULT_TIMEOUT,
    version: Any = None,
    client: Any = None,
) -> Logic:
    """Store only if the key is absent; False when it was already there."""
    return bool((yield from cmd_set(c, key, value, timeout, version, client, nx=True)))


def cmd_get(
    c: BaseClient[Any], key: Any, default: Any = None, version: Any = None, client: Any = None
) -> Logic:
    nkey = c.make_key(key, version=version)
    raw = yield read("get", nkey, nkey)
    return c.value_or_default(raw, nkey, default)


def cmd_get_many(c: BaseClient[Any], keys: Iterable[Any], version: Any = None, client: Any = None) -> Logic:
    """``{key: value}`` for the keys found, in one MGET; ``keys`` may be any iterable."""
    originals = list(keys)
    if not originals:
        return {}
    nkeys = c.make_keys(originals, version)
    raws = yield read("mget", nkeys[0], nkeys)
    found = {}
    decode = c._decode
    for original, nkey, raw in zip(originals, nkeys, raws):
        if raw is not None:
            try:
                found[original] = decode(raw)
            except Exception:
                value = c.decode_or_miss(raw, nkey)  # logs why; a miss unless it now reads
                if value is not MISS:
                    found[original] = value
    return found


def cmd_mget(c: BaseClient[Any], keys: Iterable[Any], version: Any = None, client: Any = None) -> Logic:
    """django-valkey's name for the single-MGET read; same as ``get_many``."""
    return (yield from cmd_get_many(c, keys, version, client))


def cmd_set_many(
    c: BaseClient[Any],
    data: Mapping[Any, Any],
    timeout: Any = DEFAULT_TIMEOUT,
    version: Any = None,
    client: Any = None,
) -> Logic:
    """Store every pair in one round trip; returns the keys that failed (always [])."""
    if not data:
        return []
    ms = c.expiry_ms(timeout)
    nkeys = c.make_keys(data, version)
    if ms is not None and ms <= 0:
        yield write(c._delete_command, nkeys[0], *nkeys)
        return []
    encode = c.encode_value
    values = [encode(k, v) for k, v in data.items()]
    if ms is None:
        yield write("mset", nkeys[0], dict(zip(nkeys, values)))
    else:
        yield batch("set", nkeys[0], list(zip(nkeys, values)), px=ms)
    return []


def cmd_mset(
    c: BaseClient[Any],
    data: Mapping[Any, Any],
    timeout: Any = None,
    version: Any = None,
    client: Any = None,
) -> Logic:
    """Atomic MSET; with a timeout, MSET and the expiries run in one MULTI/EXEC."""
    if not data:
        return None
    nkeys = [c.make_key(k, version=version) for k in data]
    mapping = dict(zip(nkeys, (c.encode_value(k, v) for k, v in data.items())))
    ms = None if timeout is None else c.expiry_ms(timeout)
    if ms is None:
        yield write("mset", nkeys[0], mapping)
        return None
    if ms <= 0:
        yield write(c._delete_command, nkeys[0], *nkeys)
        return None
    ops = [write("mset", nkeys[0], mapping)] + [write("pexpire", k, k, ms) for k in nkeys]
    yield pipeline(ops, route=nkeys[0], transaction=True)
    return None


def cmd_delete(
    c: BaseClient[Any], key: Any, version: Any = None, prefix: str | None = None, client: Any = None
) -> Logic:
    nkey = c.make_key(key, version=version, prefix=prefix)
    deleted = yield write(c._delete_command, nkey, nkey)
    return bool(deleted)


def cmd_delete_many(
    c: BaseClient[Any], keys: Iterable[Any], version: Any = None, client: Any = None
) -> Logic:
    """Delete in one call; returns how many existed."""
    nkeys = c.make_keys(keys, version)
    if not nkeys:
        return 0
    deleted = yield write(c._delete_command, nkeys[0], *nkeys)
    return int(deleted)


def cmd_delete_pattern(
    c: BaseClient[Any],
    pattern: str,
    version: Any = None,
    prefix: str | None = None,
    client: Any = None,
    itersize: int | None = None,
) -> Logic:
    """SCAN for the pattern and delete each batch found; returns how many were deleted."""
    match = c.make_pattern(pattern, version=version, prefix=prefix)
    return (yield from _delete_matching(c, match, itersize or c._scan_itersize))


def _delete_matching(c: BaseClient[Any], match: Any, count: int | None) -> Logic:
    deleted = 0
    cursor = 0
    while True:
        cursor, keys = yield write("scan", None, cursor, match=match, count=count)
        if keys:
            deleted += yield write(c._delete_command, keys[0], *keys)
        if not cursor:
            return deleted


def prefix_pattern(c: BaseClient[Any]) -> CacheKey:
    """The SCAN glob of every key of this cache: its prefix, any version, any key."""
    backend = c._backend
    return CacheKey(backend.key_func("*", glob_escape(backend.key_prefix or ""), "*"))


def cmd_clear(c: BaseClient[Any], client: Any = None) -> Logic:
    """Empty the cache: FLUSHDB (the whole database, whatever the key prefix), or with
    ``CLEAR_SCOPE='prefix'`` only this cache's keys (SCAN and delete in batches)."""
    if c._clear_prefix:
        yield from _delete_matching(c, prefix_pattern(c), c._scan_itersize)
        return True
    result = yield write("flushdb", None)
    return bool(result)


def cmd_has_key(c: BaseClient[Any], key: Any, version: Any = None, client: Any = None) -> Logic:
    nkey = c.make_key(key, version=version)
    count = yield read("exists", nkey, nkey)
    return count == 1


def cmd_incr(
    c: BaseClient[Any],
    key: Any,
    delta: int = 1,
    version: Any = None,
    client: Any = None,
    ignore_key_check: bool = False,
) -> Logic:
    """Add ``delta`` atomically; ValueError for a missing key unless ``ignore_key_check``.

    Values or results beyond 64 bits, and floats, are read, added in Python and written
    back with their TTL kept.
    """
    nkey = c.make_key(key, version=version)
    try:
        if ignore_key_check:
            value = yield write("incrby", nkey, nkey, delta)
        else:
            value = yield from run_script(INCR_IF_EXISTS, nkey, (nkey,), delta)
    except ResponseError:
        raw = yield write("get", nkey, nkey)
        if raw is None:
            if not ignore_key_check:
                raise _not_found(key) from None
            current: Any = 0
        else:
            current = c.decode(raw)
        value = current + delta
        yield write("set", nkey, nkey, c.encode(value), keepttl=True)
        return value
    return incremented(key, value)


def cmd_decr(c: BaseClient[Any], key: Any, delta: int = 1, version: Any = None, client: Any = None) -> Logic:
    return (yield from cmd_incr(c, key, -delta, version, client))


def cmd_incr_version(
    c: BaseClient[Any], key: Any, delta: int = 1, version: Any = None, client: Any = None
) -> Logic:
    """Move the value (with its TTL, whatever it is, None included) to version + delta."""
    if version is None:
        version = c._backend.version
    old = c.make_key(key, version=version)
    new = c.make_key(c.original_key(key), version=version + delta)
    try:
        yield write("rename", old, old, new)
    except ResponseError:
        raise _not_found(key) from None
    return version + delta


def cmd_decr_version(
    c: BaseClient[Any], key: Any, delta: int = 1, version: Any = None, client: Any = None
) -> Logic:
    return (yield from cmd_incr_version(c, key, -delta, version, client))


# -- expiry ----------------------------------------------------------------------------


def cmd_touch(
    c: BaseClient[Any],
    key: Any,
    timeout: Any = DEFAULT_TIMEOUT,
    version: Any = None,
    client: Any = None,
) -> Logic:
    """Give the key a new timeout; True when the key exists."""
    nkey = c.make_key(key, version=version)
    ms = c.expiry_ms(timeout)
    if ms is None:
        exists, _ = yield pipeline([read("exists", nkey, nkey), write("persist", nkey, nkey)], route=nkey)
        return bool(exists)
    touched = yield write("pexpire", nkey, nkey, ms)
    return bool(touched)


def _ttl(c: BaseClient[Any], command: str, key: Any, version: Any) -> Logic:
    nkey = c.make_key(key, version=version)
    left = yield read(command, nkey, nkey)
    if left == -1:
        return None
    return max(int(left), 0)


def cmd_ttl(c: BaseClient[Any], key: Any, version: Any = None, client: Any = None) -> Logic:
    """Seconds left; None when the key never expires; 0 when it does not exist."""
    return (yield from _ttl(c, "ttl", key, version))


def cmd_pttl(c: BaseClient[Any], key: Any, version: Any = None, client: Any = None) -> Logic:
    """Milliseconds left; None when the key never expires; 0 when it does not exist."""
    return (yield from _ttl(c, "pttl", key, version))


def _expire(c: BaseClient[Any], command: str, key: Any, when: Any, version: Any) -> Logic:
    nkey = c.make_key(key, version=version)
    result = yield write(command, nkey, nkey, when)
    return bool(result)


def is_default_timeout(c: BaseClient[Any], timeout: Any) -> bool:
    """Whether ``timeout`` asks for the cache's default (the core's or the owner's marker)."""
    return timeout is DEFAULT_TIMEOUT or timeout is c._default_marker


def cmd_expire(c: BaseClient[Any], key: Any, timeout: Any, version: Any = None, client: Any = None) -> Logic:
    """New expiry in seconds; DEFAULT_TIMEOUT is the cache's default (as ``touch``)."""
    if is_default_timeout(c, timeout):
        return (yield from cmd_touch(c, key, timeout, version))
    return (yield from _expire(c, "expire", key, timeout, version))


def cmd_pexpire(c: BaseClient[Any], key: Any, timeout: Any, version: Any = None, client: Any = None) -> Logic:
    """New expiry in milliseconds; DEFAULT_TIMEOUT is the cache's default (as ``touch``)."""
    if is_default_timeout(c, timeout):
        return (yield from cmd_touch(c, key, timeout, version))
    return (yield from _expire(c, "pexpire", key, timeout, version))


def cmd_expire_at(c: BaseClient[Any], key: Any, when: Any, version: Any = None, client: Any = None) -> Logic:
    return (yield from _expire(c, "expireat", key, when, version))


def cmd_pexpire_at(c: BaseClient[Any], key: Any, when: Any, version: Any = None, client: Any = None) -> Logic:
    return (yield from _expire(c, "pexpireat", key, when, version))


def cmd_persist(c: BaseClient[Any], key: Any, version: Any = None, client: Any = None) -> Logic:
    nkey = c.make_key(key, version=version)
    result = yield write("persist", nkey, nkey)
    return bool(result)


# -- keys and locks ----------------------------------------------------------------------


def cmd_keys(c: BaseClient[Any], search: str, version: Any = None, client: Any = None) -> Logic:
    """Every key matching ``search``, in a list (collected with SCAN, not KEYS: an ACL
    user without @dangerous may run it, and the server is not blocked)."""
    found = yield from scan_all(c, None, c.make_pattern(search, version=version))
    return [c.reverse_key(k.decode()) for k in found]


def scan_all(c: BaseClient[Any], route: Any, match: Any) -> Logic:
    """Each key SCAN finds for ``match`` on the server of ``route``, once."""
    found: dict[bytes, None] = {}
    cursor = 0
    while True:
        cursor, keys = yield read("scan", route, cursor, match=match, count=c._scan_itersize)
        found.update(dict.fromkeys(keys))
        if not cursor:
            return list(found)


def cmd_iter_keys(
    c: BaseClient[Any],
    search: str,
    itersize: int | None = None,
    client: Any = None,
    version: Any = None,
) -> Logic:
    match = c.make_pattern(search, version=version)
    count = itersize or c._scan_itersize
    cursor = 0
    while True:
        cursor, keys = yield read("scan", None, cursor, match=match, count=count)
        for k in keys:
            yield Emit(c.reverse_key(k.decode()))
        if not cursor:
            return


def cmd_get_lock(
    c: BaseClient[Any],
    key: Any,
    version: Any = None,
    timeout: float | None = None,
    sleep: float = 0.1,
    blocking: bool = True,
    blocking_timeout: float | None = None,
    client: Any = None,
    lock_class: Any = None,
    thread_local: bool = True,
) -> Logic:
    """valkey-py's Lock on the made key; release checks the token, so it never frees another's."""
    nkey = c.make_key(key, version=version)
    return (
        yield local(
            "lock",
            nkey,
            nkey,
            timeout=timeout,
            sleep=sleep,
            blocking=blocking,
            blocking_timeout=blocking_timeout,
            lock_class=lock_class,
            thread_local=thread_local,
        )
    )


# -- sets ------------------------------------------------------------------------------


def _decoded_set(c: BaseClient[Any], raws: Iterable[bytes]) -> set[Any]:
    return {v for v in (c.decode_or_miss(r) for r in raws) if v is not MISS}


def _decoded_list(c: BaseClient[Any], raws: Iterable[bytes | None]) -> list[Any]:
    return [None if r is None else _none_if_miss(c.decode_or_miss(r)) for r in raws]


def _none_if_miss(value: Any) -> Any:
    return None if value is MISS else value


def cmd_sadd(c: BaseClient[Any], key: Any, *values: Any, version: Any = None, client: Any = None) -> Logic:
    nkey = c.make_key(key, version=version)
    return (yield write("sadd", nkey, nkey, *[c.encode(v) for v in values]))


def cmd_scard(c: BaseClient[Any], key: Any, version: Any = None, client: Any = None) -> Logic:
    nkey = c.make_key(key, version=version)
    return (yield read("scard", nkey, nkey))


def _set_algebra(c: BaseClient[Any], command: str, keys: tuple[Any, ...], version: Any) -> Logic:
    nkeys = [c.make_key(k, version=version) for k in keys]
    raws = yield read(command, nkeys[0] if nkeys else None, *nkeys)
    return _decoded_set(c, raws)


def _set_store(
    c: BaseClient[Any],
    command: str,
    dest: Any,
    keys: tuple[Any, ...],
    dest_version: Any,
    keys_version: Any,
) -> Logic:
    ndest = c.make_key(dest, version=dest_version)
    nkeys = [c.make_key(k, version=keys_version) for k in keys]
    return (yield write(command, ndest, ndest, *nkeys))


def cmd_sdiff(c: BaseClient[Any], *keys: Any, version: Any = None, client: Any = None) -> Logic:
    return (yield from _set_algebra(c, "sdiff", keys, version))


def cmd_sinter(c: BaseClient[Any], *keys: Any, version: Any = None, client: Any = None) -> Logic:
    return (yield from _set_algebra(c, "sinter", keys, version))


def cmd_sunion(c: BaseClient[Any], *keys: Any, version: Any = None, client: Any = None) -> Logic:
    return (yield from _set_algebra(c, "sunion", keys, version))


def cmd_sdiffstore(
    c: BaseClient[Any],
    dest: Any,
    *keys: Any,
    version_dest: Any = None,
    version_keys: Any = None,
    client: Any = None,
) -> Logic:
    return (yield from _set_store(c, "sdiffstore", dest, keys, version_dest, version_keys))


def cmd_sinterstore(
    c: BaseClient[Any], dest: Any, *keys: Any, version: Any = None, client: Any = None
) -> Logic:
    return (yield from _set_store(c, "sinterstore", dest, keys, version, version))


def cmd_sunionstore(
    c: BaseClient[Any], destination: Any, *keys: Any, version: Any = None, client: Any = None
) -> Logic:
    return (yield from _set_store(c, "sunionstore", destination, keys, version, version))


def cmd_smismember(
    c: BaseClient[Any], key: Any, *members: Any, version: Any = None, client: Any = None
) -> Logic:
    nkey = c.make_key(key, version=version)
    flags = yield read("smismember", nkey, nkey, [c.encode(m) for m in members])
    return [bool(f) for f in flags]


def cmd_sismember(
    c: BaseClient[Any], key: Any, member: Any, version: Any = None, client: Any = None
) -> Logic:
    nkey = c.make_key(key, version=version)
    return bool((yield read("sismember", nkey, nkey, c.encode(member))))


def cmd_smembers(c: BaseClient[Any], key: Any, version: Any = None, client: Any = None) -> Logic:
    nkey = c.make_key(key, version=version)
    raws = yield read("smembers", nkey, nkey)
    return _decoded_set(c, raws)


def cmd_smove(
    c: BaseClient[Any],
    source: Any,
    destination: Any,
    member: Any,
    version: Any = None,
    client: Any = None,
) -> Logic:
    nsource = c.make_key(source, version=version)
    ndest = c.make_key(destination, version=version)
    return bool((yield write("smove", nsource, nsource, ndest, c.encode(member))))


def cmd_spop(
    c: BaseClient[Any], key: Any, count: int | None = None, version: Any = None, client: Any = None
) -> Logic:
    """One member (or None) without ``count``; a set of members with it."""
    nkey = c.make_key(key, version=version)
    result = yield write("spop", nkey, nkey, count)
    if count is None:
        return None if result is None else _none_if_miss(c.decode_or_miss(result))
    return _decoded_set(c, result or [])


def cmd_srandmember(
    c: BaseClient[Any], key: Any, count: int | None = None, version: Any = None, client: Any = None
) -> Logic:
    """One member (or None) without ``count``; a list of members with it."""
    nkey = c.make_key(key, version=version)
    result = yield read("srandmember", nkey, nkey, count)
    if count is None:
        return None if result is None else _none_if_miss(c.decode_or_miss(result))
    return _decoded_list(c, result or [])


def cmd_srem(c: BaseClient[Any], key: Any, *members: Any, version: Any = None, client: Any = None) -> Logic:
    nkey = c.make_key(key, version=version)
    return (yield write("srem", nkey, nkey, *[c.encode(m) for m in members]))


def cmd_sscan(
    c: BaseClient[Any],
    key: Any,
    match: str | None = None,
    count: int = 10,
    version: Any = None,
    client: Any = None,
) -> Logic:
    """All members, by SSCAN; ``match``, a member value, keeps only that member."""
    members: set[Any] = set()
    nkey = c.make_key(key, version=version)
    pattern = _member_pattern(c, match)
    cursor = 0
    while True:
        cursor, raws = yield read("sscan", nkey, nkey, cursor, match=pattern, count=count)
        members |= _decoded_set(c, raws)
        if not cursor:
            return members


def _member_pattern(c: BaseClient[Any], match: Any) -> Any:
    """SSCAN's MATCH for a member value: encoded as members are, as django-valkey 0.4 does.

    Compressed members have no stable bytes to match, so ``match`` is refused then.
    """
    if not match:
        return None
    if c._has_compression_enabled():
        raise ValueError(
            "sscan's match is not supported with a COMPRESSOR: compressed members cannot be matched"
        )
    return c.encode(match)


def _sscan(c: BaseClient[Any], key: Any, match: str | None, count: int, version: Any) -> Logic:
    nkey = c.make_key(key, version=version)
    pattern = _member_pattern(c, match)
    cursor = 0
    while True:
        cursor, raws = yield read("sscan", nkey, nkey, cursor, match=pattern, count=count)
        for value in _decoded_set(c, raws):
            yield Emit(value)
        if not cursor:
            return


def cmd_sscan_iter(
    c: BaseClient[Any],
    key: Any,
    match: str | None = None,
    count: int = 10,
    version: Any = None,
    client: Any = None,
) -> Logic:
    return (yield from _sscan(c, key, match, count, version))


# -- hashes ----------------------------------------------------------------------------
# The hash is ``make_key(name)``; fields are made keys too, as django-valkey 0.4 stores them.


def cmd_hset(
    c: BaseClient[Any],
    name: Any,
    key: Any = None,
    value: Any = None,
    mapping: Mapping[Any, Any] | None = None,
    items: list[tuple[Any, Any]] | None = None,
    version: Any = None,
    client: Any = None,
) -> Logic:
    """Set one field, a mapping and/or items; returns how many fields were added."""
    nname = c.make_key(name, version=version)
    pairs: list[Any] = []
    if key is not None:
        pairs += [c.make_key(key, version=version), c.encode(value)]
    for field, field_value in list((mapping or {}).items()) + list(items or []):
        pairs += [c.make_key(field, version=version), c.encode(field_value)]
    return (yield write("hset", nname, nname, items=pairs))


def cmd_hget(c: BaseClient[Any], name: Any, key: Any, version: Any = None, client: Any = None) -> Logic:
    nname = c.make_key(name, version=version)
    raw = yield read("hget", nname, nname, c.make_key(key, version=version))
    return None if raw is None else _none_if_miss(c.decode_or_miss(raw, nname))


def cmd_hmget(c: BaseClient[Any], name: Any, *keys: Any, version: Any = None, client: Any = None) -> Logic:
    nname = c.make_key(name, version=version)
    raws = yield read("hmget", nname, nname, [c.make_key(k, version=version) for k in keys])
    return _decoded_list(c, raws)


def cmd_hgetall(c: BaseClient[Any], name: Any, version: Any = None, client: Any = None) -> Logic:
    nname = c.make_key(name, version=version)
    raw = yield read("hgetall", nname, nname)
    found = {}
    for field, value in raw.items():
        decoded = c.decode_or_miss(value, nname)
        if decoded is not MISS:
            found[c.reverse_key(field.decode())] = decoded
    return found


def cmd_hdel(c: BaseClient[Any], name: Any, *keys: Any, version: Any = None, client: Any = None) -> Logic:
    nname = c.make_key(name, version=version)
    return (yield write("hdel", nname, nname, *[c.make_key(k, version=version) for k in keys]))


def cmd_hlen(c: BaseClient[Any], name: Any, version: Any = None, client: Any = None) -> Logic:
    nname = c.make_key(name, version=version)
    return (yield read("hlen", nname, nname))


def cmd_hkeys(c: BaseClient[Any], name: Any, version: Any = None, client: Any = None) -> Logic:
    nname = c.make_key(name, version=version)
    fields = yield read("hkeys", nname, nname)
    return [c.reverse_key(f.decode()) for f in fields]


def cmd_hexists(c: BaseClient[Any], name: Any, key: Any, version: Any = None, client: Any = None) -> Logic:
    nname = c.make_key(name, version=version)
    return bool((yield read("hexists", nname, nname, c.make_key(key, version=version))))


# -- sorted sets -----------------------------------------------------------------------
# Members are encoded like values; scores are plain numbers.


def _members(c: BaseClient[Any], raws: list[Any], withscores: bool) -> list[Any]:
    if withscores:
        return [(_none_if_miss(c.decode_or_miss(m)), s) for m, s in raws]
    return _decoded_list(c, raws)


def cmd_zadd(
    c: BaseClient[Any],
    name: Any,
    mapping: Mapping[Any, float],
    nx: bool = False,
    xx: bool = False,
    ch: bool = False,
    incr: bool = False,
    gt: bool = False,
    lt: bool = False,
    version: Any = None,
    client: Any = None,
) -> Logic:
    nname = c.make_key(name, version=version)
    encoded = {c.encode(m): s for m, s in mapping.items()}
    return (yield write("zadd", nname, nname, encoded, nx=nx, xx=xx, ch=ch, incr=incr, gt=gt, lt=lt))


def cmd_zcard(c: BaseClient[Any], name: Any, version: Any = None, client: Any = None) -> Logic:
    nname = c.make_key(name, version=version)
    return (yield read("zcard", nname, nname))


def cmd_zcount(
    c: BaseClient[Any], name: Any, min: Any, max: Any, version: Any = None, client: Any = None
) -> Logic:
    nname = c.make_key(name, version=version)
    return (yield read("zcount", nname, nname, min, max))


def cmd_zincrby(
    c: BaseClient[Any],
    name: Any,
    amount: float,
    value: Any,
    version: Any = None,
    client: Any = None,
) -> Logic:
    nname = c.make_key(name, version=version)
    return (yield write("zincrby", nname, nname, amount, c.encode(value)))


def _zpop(c: BaseClient[Any], command: str, name: Any, count: int | None, version: Any) -> Logic:
    nname = c.make_key(name, version=version)
    raws = yield write(command, nname, nname, count)
    popped = _members(c, raws or [], withscores=True)
    if count is None:
        return popped[0] if popped else None
    return popped


def cmd_zpopmax(
    c: BaseClient[Any], name: Any, count: int | None = None, version: Any = None, client: Any = None
) -> Logic:
    """``(member, score)`` (or None) without ``count``; a list of them with it."""
    return (yield from _zpop(c, "zpopmax", name, count, version))


def cmd_zpopmin(
    c: BaseClient[Any], name: Any, count: int | None = None, version: Any = None, client: Any = None
) -> Logic:
    return (yield from _zpop(c, "zpopmin", name, count, version))


def _zrange(c: BaseClient[Any], command: str, name: Any, version: Any, *args: Any, **kwargs: Any) -> Logic:
    nname = c.make_key(name, version=version)
    raws = yield read(command, nname, nname, *args, **kwargs)
    return _members(c, raws, kwargs["withscores"])


def cmd_zrange(
    c: BaseClient[Any],
    name: Any,
    start: int,
    end: int,
    desc: bool = False,
    withscores: bool = False,
    score_cast_func: type = float,
    version: Any = None,
    client: Any = None,
) -> Logic:
    return (
        yield from _zrange(
            c, "zrange", name, version, start, end, desc=desc, withscores=withscores,
            score_cast_func=score_cast_func,
        )
    )  # fmt: skip


def cmd_zrevrange(
    c: BaseClient[Any],
    name: Any,
    start: int,
    end: int,
    withscores: bool = False,
    score_cast_func: type = float,
    version: Any = None,
    client: Any = None,
) -> Logic:
    return (
        yield from _zrange(
            c, "zrevrange", name, version, start, end, withscores=withscores, score_cast_func=score_cast_func
        )
    )


def cmd_zrangebyscore(
    c: BaseClient[Any],
    name: Any,
    min: Any,
    max: Any,
    start: int | None = None,
    num: int | None = None,
    withscores: bool = False,
    score_cast_func: type = float,
    version: Any = None,
    client: Any = None,
) -> Logic:
    return (
        yield from _zrange(
            c, "zrangebyscore", name, version, min, max, start=start, num=num, withscores=withscores,
            score_cast_func=score_cast_func,
        )
    )  # fmt: skip


def cmd_zrevrangebyscore(
    c: BaseClient[Any],
    name: Any,
    max: Any,
    min: Any,
    start: int | None = None,
    num: int | None = None,
    withscores: bool = False,
    score_cast_func: type = float,
    version: Any = None,
    client: Any = None,
) -> Logic:
    return (
        yield from _zrange(
            c, "zrevrangebyscore", name, version, max, min, start=start, num=num, withscores=withscores,
            score_cast_func=score_cast_func,
        )
    )  # fmt: skip


def cmd_zrank(
    c: BaseClient[Any],
    name: Any,
    value: Any,
    withscore: bool = False,
    version: Any = None,
    client: Any = None,
) -> Logic:
    nname = c.make_key(name, version=version)
    if withscore:
        return (yield read("zrank", nname, nname, c.encode(value), withscore=True))
    return (yield read("zrank", nname, nname, c.encode(value)))


def cmd_zrem(c: BaseClient[Any], name: Any, *values: Any, version: Any = None, client: Any = None) -> Logic:
    nname = c.make_key(name, version=version)
    return (yield write("zrem", nname, nname, *[c.encode(v) for v in values]))


def cmd_zremrangebyscore(
    c: BaseClient[Any],
    name: Any,
    min: Any,
    max: Any,
    version: Any = None,
    client: Any = None,
) -> Logic:
    nname = c.make_key(name, version=version)
    return (yield write("zremrangebyscore", nname, nname, min, max))


def cmd_zscore(c: BaseClient[Any], name: Any, value: Any, version: Any = None, client: Any = None) -> Logic:
    nname = c.make_key(name, version=version)
    return (yield read("zscore", nname, nname, c.encode(value)))


def cmd_get_or_set(
    c: BaseClient[Any],
    key: Any,
    default: Any,
    timeout: Any = DEFAULT_TIMEOUT,
    version: Any = None,
    client: Any = None,
) -> Logic:
    """The cached value, or ``default`` (called first if callable) added and returned.

    Read again after the add, so that a value another caller added first wins.
    """
    value = yield from cmd_get(c, key, MISS, version)
    if value is not MISS:
        return value
    if callable(default):
        default = default()
    yield from cmd_add(c, key, default, timeout, version)
    return (yield from cmd_get(c, key, default, version))
