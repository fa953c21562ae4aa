"""The commands of a cache on one server (or replicas of it), each written once.

A command is a function of the client ``c`` (a :class:`~.protocol.CommandClient`) and
its arguments: one-step commands return an :class:`~.ops.Op`, the others are generators
(see ``ops``). They are declared, with what they touch, in ``table.py``. ``client`` is
accepted for the signature django-valkey users know and is consumed by the driver: the
connection to use. Timeouts follow ``timeouts``: DEFAULT_TIMEOUT, None = forever,
<= 0 = not stored.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from valkey.exceptions import ResponseError

from ..keys import CacheKey, glob_escape
from ..timeouts import DEFAULT_TIMEOUT
from .ops import Emit, Logic, Op, Step, batch, local, pipeline, read, truthy, write
from .protocol import MISS
from .scripts import Script, script

if TYPE_CHECKING:
    from .protocol import CommandClient

R = TypeVar("R")

# INCRBY only where the key exists, atomically: Django's incr raises on a missing key.
INCR_IF_EXISTS = script(
    "if server.call('EXISTS', KEYS[1]) == 1 then "
    "return server.call('INCRBY', KEYS[1], ARGV[1]) else return false end"
)


def _not_found(key: Any) -> ValueError:
    return ValueError(f"Key {key!r} not found")


def incremented(value: Any, key: Any) -> Any:
    """The result of an increment script; a missing key (nil) is Django's ValueError."""
    if value is None:
        raise _not_found(key)
    return value


# -- strings ---------------------------------------------------------------------------


def cmd_set(
    c: CommandClient,
    key: Any,
    value: Any,
    timeout: Any = DEFAULT_TIMEOUT,
    version: Any = None,
    client: Any = None,
    nx: bool = False,
    xx: bool = False,
) -> Op[bool | None]:
    """Store ``value``; True when stored. ``nx``: only if absent (None, as in django-valkey
    0.4, when it was there); ``xx``: only if present (False when it was not)."""
    nkey = c.server_key(key, version)
    ms = c.expiry_ms(timeout)
    if ms is not None and ms <= 0:
        if nx:
            return read("exists", nkey, nkey).then(_absent)
        return write(c.delete_command, nkey, nkey).then(_false)
    return write("set", nkey, nkey, c.encode_value(key, value), px=ms, nx=nx, xx=xx).then(
        _stored_if_absent if nx else truthy
    )


def _absent(count: Any) -> bool:
    return not count


def _false(reply: Any) -> bool:
    return False


def _stored_if_absent(stored: Any) -> bool | None:
    """``SET NX``'s reply as ``set`` returns it: True, or None when the key was there."""
    return True if stored else None


def set_result(stored: Any, nx: bool) -> bool | None:
    """What ``set`` returns for the server's reply: True when stored; when not, None
    with ``nx`` (django-valkey 0.4's value) and False otherwise."""
    if stored:
        return True
    return None if nx else False


def cmd_add(
    c: CommandClient,
    key: Any,
    value: Any,
    timeout: Any = DEFAULT_TIMEOUT,
    version: Any = None,
    client: Any = None,
) -> Op[bool]:
    """Store only if the key is absent; False when it was already there."""
    # cmd_set's nx path, with False (not None) when the key was there.
    nkey = c.server_key(key, version)
    ms = c.expiry_ms(timeout)
    if ms is not None and ms <= 0:
        return read("exists", nkey, nkey).then(_absent)
    return write("set", nkey, nkey, c.encode_value(key, value), px=ms, nx=True).then(truthy)


def cmd_get(
    c: CommandClient, key: Any, default: Any = None, version: Any = None, client: Any = None
) -> Op[Any]:
    """The value of ``key``; ``default`` when it is missing (or cannot be read)."""
    nkey = c.server_key(key, version)
    return read("get", nkey, nkey).then(c.value_or_default, nkey, default)


def cmd_get_many(
    c: CommandClient, keys: Iterable[Any], version: Any = None, client: Any = None
) -> Step[dict[Any, Any]]:
    """``{key: value}`` for the keys found, in one MGET; ``keys`` may be any iterable."""
    originals = list(keys)
    if not originals:
        return _nothing(dict)
    nkeys = c.make_keys(originals, version)
    return read("mget", nkeys[0], nkeys).then(_found, c, originals, nkeys)


def _nothing(kind: Callable[[], R]) -> Logic[R]:
    """A command with nothing to send: its result at once."""
    yield from ()
    return kind()


def _found(raws: list[Any], c: CommandClient, originals: list[Any], nkeys: list[Any]) -> dict[Any, Any]:
    found = {}
    decode = c.decoder
    for original, nkey, raw in zip(originals, nkeys, raws):
        if raw is not None:
            try:
                found[original] = decode(raw)
            except Exception:
                value = c.decode_or_miss(raw, nkey)  # logs why; a miss unless it now reads
                if value is not MISS:
                    found[original] = value
    return found


def cmd_mget(
    c: CommandClient, keys: Iterable[Any], version: Any = None, client: Any = None
) -> Step[dict[Any, Any]]:
    """django-valkey's name for the single-MGET read; same as ``get_many``."""
    return cmd_get_many(c, keys, version, client)


def cmd_set_many(
    c: CommandClient,
    data: Mapping[Any, Any],
    timeout: Any = DEFAULT_TIMEOUT,
    version: Any = None,
    client: Any = None,
) -> Step[list[Any]]:
    """Store every pair in one round trip; returns the keys that failed (always [])."""
    if not data:
        return _nothing(list)
    ms = c.expiry_ms(timeout)
    nkeys = c.make_keys(data, version)
    if ms is not None and ms <= 0:
        return write(c.delete_command, nkeys[0], *nkeys).then(_no_failures)
    values = c.encode_values(data)
    if ms is None:
        return write("mset", nkeys[0], dict(zip(nkeys, values))).then(_no_failures)
    # SET's arguments by position (name, value, ex, px): no keywords to pass per key.
    return batch("set", nkeys[0], [(k, v, None, ms) for k, v in zip(nkeys, values)]).then(_no_failures)


def _no_failures(reply: Any) -> list[Any]:
    return []


def cmd_mset(
    c: CommandClient,
    data: Mapping[Any, Any],
    timeout: Any = None,
    version: Any = None,
    client: Any = None,
) -> Step[None]:
    """Atomic MSET; with a timeout, MSET and the expiries run in one MULTI/EXEC."""
    if not data:
        return _nothing(_none)
    nkeys = [c.server_key(k, version) for k in data]
    mapping = dict(zip(nkeys, c.encode_values(data)))
    ms = None if timeout is None else c.expiry_ms(timeout)
    if ms is None:
        return write("mset", nkeys[0], mapping).then(_none)
    if ms <= 0:
        return write(c.delete_command, nkeys[0], *nkeys).then(_none)
    ops = [write("mset", nkeys[0], mapping)] + [write("pexpire", k, k, ms) for k in nkeys]
    return pipeline(ops, route=nkeys[0], transaction=True).then(_none)


def _none(reply: Any = None) -> None:
    return None


def cmd_delete(
    c: CommandClient, key: Any, version: Any = None, prefix: str | None = None, client: Any = None
) -> Op[bool]:
    """Delete ``key``; True when it existed."""
    nkey = c.server_key(key, version, prefix)
    return write(c.delete_command, nkey, nkey).then(truthy)


def cmd_delete_many(
    c: CommandClient, keys: Iterable[Any], version: Any = None, client: Any = None
) -> Step[int]:
    """Delete in one call; returns how many existed."""
    nkeys = c.make_keys(keys, version)
    if not nkeys:
        return _nothing(int)
    return write(c.delete_command, nkeys[0], *nkeys).then(int)


def cmd_delete_pattern(
    c: CommandClient,
    pattern: str,
    version: Any = None,
    prefix: str | None = None,
    client: Any = None,
    itersize: int | None = None,
) -> Logic[int]:
    """SCAN for the pattern and delete each batch found; returns how many were deleted."""
    match = c.make_pattern(pattern, version=version, prefix=prefix)
    return (yield from _delete_matching(c, match, itersize or c.scan_itersize))


def _delete_matching(c: CommandClient, match: Any, count: int | None) -> Logic[int]:
    deleted = 0
    cursor = 0
    while True:
        cursor, keys = yield write("scan", None, cursor, match=match, count=count)
        if keys:
            deleted += yield write(c.delete_command, keys[0], *keys)
        if not cursor:
            return deleted


def prefix_pattern(c: CommandClient) -> CacheKey:
    """The SCAN glob of every key of this cache: its prefix, any version, any key."""
    backend = c.settings
    return CacheKey(backend.key_func("*", glob_escape(backend.key_prefix or ""), "*"))


def cmd_clear(c: CommandClient, client: Any = None) -> Step[bool]:
    """Empty the cache: FLUSHDB (the whole database, whatever the key prefix), or with
    ``CLEAR_SCOPE='prefix'`` only this cache's keys (SCAN and delete in batches)."""
    if c.clear_prefix:
        return _clear_prefix(c)
    return write("flushdb", None).then(truthy)


def _clear_prefix(c: CommandClient) -> Logic[bool]:
    yield from _delete_matching(c, prefix_pattern(c), c.scan_itersize)
    return True


def cmd_has_key(c: CommandClient, key: Any, version: Any = None, client: Any = None) -> Op[bool]:
    """Whether ``key`` exists."""
    nkey = c.server_key(key, version)
    return read("exists", nkey, nkey).then(_is_one)


def _is_one(count: Any) -> bool:
    return bool(count == 1)


def cmd_incr(
    c: CommandClient,
    key: Any,
    delta: int = 1,
    version: Any = None,
    client: Any = None,
    ignore_key_check: bool = False,
) -> Op[Any]:
    """Add ``delta`` atomically; ValueError for a missing key unless ``ignore_key_check``.

    Values or results beyond 64 bits, and floats, are read, added in Python and written
    back with their TTL kept.
    """
    nkey = c.server_key(key, version)
    if ignore_key_check:
        return (
            write("incrby", nkey, nkey, delta)
            .then(incremented, key)
            .on_error(_incr_in_python, c, key, nkey, delta, ignore_key_check)
        )
    # EVALSHA (script_call's), written out so that the driver can inline it; NOSCRIPT:
    # see _incr_in_python.
    return (
        write("evalsha", nkey, INCR_IF_EXISTS.sha, 1, nkey, delta)
        .then(incremented, key)
        .on_error(_incr_in_python, c, key, nkey, delta, ignore_key_check)
    )


def _incr_in_python(
    error: ResponseError, c: CommandClient, key: Any, nkey: Any, delta: Any, ignore_key_check: bool
) -> Logic[Any]:
    if not ignore_key_check and Script.unknown(error):
        try:
            value = yield write("eval", nkey, INCR_IF_EXISTS.body, 1, nkey, delta)
        except ResponseError:
            pass  # beyond 64 bits: below
        else:
            return incremented(value, key)
    raw = yield write("get", nkey, nkey)
    if raw is None:
        if not ignore_key_check:
            raise _not_found(key) from None
        current: Any = 0
    else:
        current = c.decode(raw)
    value = current + delta
    yield write("set", nkey, nkey, c.encoder(value), keepttl=True)
    return value


def cmd_decr(c: CommandClient, key: Any, delta: int = 1, version: Any = None, client: Any = None) -> Op[Any]:
    """Subtract ``delta`` atomically; ValueError for a missing key."""
    return cmd_incr(c, key, -delta, version, client)


def cmd_incr_version(
    c: CommandClient, key: Any, delta: int = 1, version: Any = None, client: Any = None
) -> Op[int]:
    """Move the value (with its TTL, whatever it is, None included) to version + delta."""
    old = c.server_key(key, version)
    if version is None:
        version = c.settings.version
    version += delta
    original = key if type(key) is str else c.original_key(key)
    new = c.server_key(original, version)
    return write("rename", old, old, new).then(_moved, version).on_error(_missing, key)


def _moved(reply: Any, version: int) -> int:
    return version


def _missing(error: ResponseError, key: Any) -> Logic[Any]:
    yield from ()
    raise _not_found(key) from None


def cmd_decr_version(
    c: CommandClient, key: Any, delta: int = 1, version: Any = None, client: Any = None
) -> Op[int]:
    """Move the value to version - delta."""
    return cmd_incr_version(c, key, -delta, version, client)


# -- expiry ----------------------------------------------------------------------------


def cmd_touch(
    c: CommandClient,
    key: Any,
    timeout: Any = DEFAULT_TIMEOUT,
    version: Any = None,
    client: Any = None,
) -> Op[bool]:
    """Give the key a new timeout; True when the key exists."""
    nkey = c.server_key(key, version)
    ms = c.expiry_ms(timeout)
    if ms is None:
        return pipeline([read("exists", nkey, nkey), write("persist", nkey, nkey)], route=nkey).then(_first)
    return write("pexpire", nkey, nkey, ms).then(truthy)


def _first(replies: list[Any]) -> bool:
    return bool(replies[0])


def _left(left: Any) -> int | None:
    return None if left == -1 else max(int(left), 0)


def cmd_ttl(c: CommandClient, key: Any, version: Any = None, client: Any = None) -> Op[int | None]:
    """Seconds left; None when the key never expires; 0 when it does not exist."""
    nkey = c.server_key(key, version)
    return read("ttl", nkey, nkey).then(_left)


def cmd_pttl(c: CommandClient, key: Any, version: Any = None, client: Any = None) -> Op[int | None]:
    """Milliseconds left; None when the key never expires; 0 when it does not exist."""
    nkey = c.server_key(key, version)
    return read("pttl", nkey, nkey).then(_left)


def _expire(c: CommandClient, command: str, key: Any, when: Any, version: Any) -> Op[bool]:
    nkey = c.server_key(key, version)
    return write(command, nkey, nkey, when).then(truthy)


def cmd_expire(c: CommandClient, key: Any, timeout: Any, version: Any = None, client: Any = None) -> Op[bool]:
    """New expiry in seconds; DEFAULT_TIMEOUT is the cache's default (as ``touch``)."""
    if c.is_default_timeout(timeout):
        return cmd_touch(c, key, timeout, version)
    return _expire(c, "expire", key, timeout, version)


def cmd_pexpire(
    c: CommandClient, key: Any, timeout: Any, version: Any = None, client: Any = None
) -> Op[bool]:
    """New expiry in milliseconds; DEFAULT_TIMEOUT is the cache's default (as ``touch``)."""
    if c.is_default_timeout(timeout):
        return cmd_touch(c, key, timeout, version)
    return _expire(c, "pexpire", key, timeout, version)


def cmd_expire_at(c: CommandClient, key: Any, when: Any, version: Any = None, client: Any = None) -> Op[bool]:
    """Expire at ``when``: a datetime or a Unix time in seconds."""
    return _expire(c, "expireat", key, when, version)


def cmd_pexpire_at(
    c: CommandClient, key: Any, when: Any, version: Any = None, client: Any = None
) -> Op[bool]:
    """Expire at ``when``: a datetime or a Unix time in milliseconds."""
    return _expire(c, "pexpireat", key, when, version)


def cmd_persist(c: CommandClient, key: Any, version: Any = None, client: Any = None) -> Op[bool]:
    """Remove the key's expiry; True when it had one."""
    nkey = c.server_key(key, version)
    return write("persist", nkey, nkey).then(truthy)


# -- keys and locks ----------------------------------------------------------------------


def cmd_keys(c: CommandClient, search: str, version: Any = None, client: Any = None) -> Logic[list[Any]]:
    """Every key matching ``search``, in a list (collected with SCAN, not KEYS: an ACL
    user without @dangerous may run it, and the server is not blocked)."""
    found = yield from scan_all(c, None, c.make_pattern(search, version=version))
    return [c.reverse_key(k.decode()) for k in found]


def scan_all(c: CommandClient, route: Any, match: Any) -> Logic[list[bytes]]:
    """Each key SCAN finds for ``match`` on the server of ``route``, once."""
    found: dict[bytes, None] = {}
    cursor = 0
    while True:
        cursor, keys = yield read("scan", route, cursor, match=match, count=c.scan_itersize)
        found.update(dict.fromkeys(keys))
        if not cursor:
            return list(found)


def cmd_iter_keys(
    c: CommandClient,
    search: str,
    itersize: int | None = None,
    client: Any = None,
    version: Any = None,
) -> Logic[None]:
    """Each key matching ``search``, by SCAN, ``itersize`` keys asked per step."""
    match = c.make_pattern(search, version=version)
    count = itersize or c.scan_itersize
    cursor = 0
    while True:
        cursor, keys = yield read("scan", None, cursor, match=match, count=count)
        for k in keys:
            yield Emit(c.reverse_key(k.decode()))
        if not cursor:
            return


def cmd_get_lock(
    c: CommandClient,
    key: Any,
    version: Any = None,
    timeout: float | None = None,
    sleep: float = 0.1,
    blocking: bool = True,
    blocking_timeout: float | None = None,
    client: Any = None,
    lock_class: Any = None,
    thread_local: bool = True,
) -> Op[Any]:
    """valkey-py's Lock on the made key; release checks the token, so it never frees another's."""
    nkey = c.server_key(key, version)
    return local(
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


# -- sets ------------------------------------------------------------------------------
# Members are encoded like values.


def _as_set(raws: Iterable[bytes] | None, c: CommandClient) -> set[Any]:
    """The members read, decoded; one that cannot be read is logged and left out."""
    if not raws:
        return set()
    raws = raws if isinstance(raws, (list, set)) else list(raws)
    try:  # one loop of the decoder; only when a value fails, again one by one to log it
        return set(map(c.decoder, raws))
    except Exception:
        return {v for v in (c.decode_or_miss(r) for r in raws) if v is not MISS}


def _as_list(raws: Iterable[bytes | None] | None, c: CommandClient) -> list[Any]:
    """The values read, decoded, None for an absent one or one that cannot be read."""
    if not raws:
        return []
    raws = raws if isinstance(raws, list) else list(raws)
    decode = c.decoder
    try:  # as in _as_set
        return [None if r is None else decode(r) for r in raws]
    except Exception:
        return [None if r is None else _none_if_miss(c.decode_or_miss(r)) for r in raws]


def _none_if_miss(value: Any) -> Any:
    return None if value is MISS else value


def _as_member(raw: bytes | None, c: CommandClient, key: Any = None) -> Any:
    return c.value_or_default(raw, key, None)


def cmd_sadd(c: CommandClient, key: Any, *values: Any, version: Any = None, client: Any = None) -> Op[int]:
    """Add members to the set; how many were new."""
    nkey = c.server_key(key, version)
    if len(values) == 1:  # the usual call, spared unpacking a list (0.2 µs)
        return write("sadd", nkey, nkey, c.encoder(values[0]))
    return write("sadd", nkey, nkey, *[c.encoder(v) for v in values])


def cmd_scard(c: CommandClient, key: Any, version: Any = None, client: Any = None) -> Op[int]:
    """How many members the set has."""
    nkey = c.server_key(key, version)
    return read("scard", nkey, nkey)


def _set_algebra(c: CommandClient, command: str, keys: tuple[Any, ...], version: Any) -> Op[set[Any]]:
    nkeys = [c.server_key(k, version) for k in keys]
    return read(command, nkeys[0] if nkeys else None, *nkeys).then(_as_set, c)


def _set_store(
    c: CommandClient,
    command: str,
    dest: Any,
    keys: tuple[Any, ...],
    dest_version: Any,
    keys_version: Any,
) -> Op[int]:
    ndest = c.server_key(dest, version=dest_version)
    nkeys = [c.server_key(k, version=keys_version) for k in keys]
    return write(command, ndest, ndest, *nkeys)


def cmd_sdiff(c: CommandClient, *keys: Any, version: Any = None, client: Any = None) -> Op[set[Any]]:
    """Members of the first set that no other set has."""
    return _set_algebra(c, "sdiff", keys, version)


def cmd_sinter(c: CommandClient, *keys: Any, version: Any = None, client: Any = None) -> Op[set[Any]]:
    """Members every set has."""
    return _set_algebra(c, "sinter", keys, version)


def cmd_sunion(c: CommandClient, *keys: Any, version: Any = None, client: Any = None) -> Op[set[Any]]:
    """Members any set has."""
    return _set_algebra(c, "sunion", keys, version)


def cmd_sdiffstore(
    c: CommandClient,
    dest: Any,
    *keys: Any,
    version_dest: Any = None,
    version_keys: Any = None,
    client: Any = None,
) -> Op[int]:
    """Store ``sdiff(*keys)`` in ``dest``; its size."""
    return _set_store(c, "sdiffstore", dest, keys, version_dest, version_keys)


def cmd_sinterstore(
    c: CommandClient, dest: Any, *keys: Any, version: Any = None, client: Any = None
) -> Op[int]:
    """Store ``sinter(*keys)`` in ``dest``; its size."""
    return _set_store(c, "sinterstore", dest, keys, version, version)


def cmd_sunionstore(
    c: CommandClient, destination: Any, *keys: Any, version: Any = None, client: Any = None
) -> Op[int]:
    """Store ``sunion(*keys)`` in ``destination``; its size."""
    return _set_store(c, "sunionstore", destination, keys, version, version)


def cmd_smismember(
    c: CommandClient, key: Any, *members: Any, version: Any = None, client: Any = None
) -> Op[list[bool]]:
    """For each member, whether the set has it."""
    nkey = c.server_key(key, version)
    if len(members) == 1:  # as in sadd
        return read("smismember", nkey, nkey, [c.encoder(members[0])]).then(_flags)
    return read("smismember", nkey, nkey, [c.encoder(v) for v in members]).then(_flags)


def _flags(flags: Iterable[Any]) -> list[bool]:
    return [bool(f) for f in flags]


def cmd_sismember(
    c: CommandClient, key: Any, member: Any, version: Any = None, client: Any = None
) -> Op[bool]:
    """Whether the set has ``member``."""
    nkey = c.server_key(key, version)
    return read("sismember", nkey, nkey, c.encoder(member)).then(truthy)


def cmd_smembers(c: CommandClient, key: Any, version: Any = None, client: Any = None) -> Op[set[Any]]:
    """Every member of the set."""
    nkey = c.server_key(key, version)
    return read("smembers", nkey, nkey).then(_as_set, c)


def cmd_smove(
    c: CommandClient,
    source: Any,
    destination: Any,
    member: Any,
    version: Any = None,
    client: Any = None,
) -> Op[bool]:
    """Move ``member`` from one set to another; True when it was in ``source``."""
    nsource = c.server_key(source, version)
    ndest = c.server_key(destination, version)
    return write("smove", nsource, nsource, ndest, c.encoder(member)).then(truthy)


def cmd_spop(
    c: CommandClient, key: Any, count: int | None = None, version: Any = None, client: Any = None
) -> Op[Any]:
    """One member (or None) without ``count``; a set of members with it."""
    nkey = c.server_key(key, version)
    return write("spop", nkey, nkey, count).then(_as_member if count is None else _as_set, c)


def cmd_srandmember(
    c: CommandClient, key: Any, count: int | None = None, version: Any = None, client: Any = None
) -> Op[Any]:
    """One member (or None) without ``count``; a list of members with it."""
    nkey = c.server_key(key, version)
    return read("srandmember", nkey, nkey, count).then(_as_member if count is None else _as_list, c)


def cmd_srem(c: CommandClient, key: Any, *members: Any, version: Any = None, client: Any = None) -> Op[int]:
    """Remove members from the set; how many were there."""
    nkey = c.server_key(key, version)
    if len(members) == 1:  # as in sadd
        return write("srem", nkey, nkey, c.encoder(members[0]))
    return write("srem", nkey, nkey, *[c.encoder(v) for v in members])


def cmd_sscan(
    c: CommandClient,
    key: Any,
    match: str | None = None,
    count: int = 10,
    version: Any = None,
    client: Any = None,
) -> Logic[set[Any]]:
    """All members, by SSCAN; ``match``, a member value, keeps only that member."""
    members: set[Any] = set()
    nkey = c.server_key(key, version)
    pattern = _member_pattern(c, match)
    cursor = 0
    while True:
        cursor, raws = yield read("sscan", nkey, nkey, cursor, match=pattern, count=count)
        members |= _as_set(raws, c)
        if not cursor:
            return members


def _member_pattern(c: CommandClient, match: Any) -> Any:
    """SSCAN's MATCH for a member value: encoded as members are, as django-valkey 0.4 does.

    Compressed members have no stable bytes to match, so ``match`` is refused then.
    """
    if not match:
        return None
    if c._has_compression_enabled():
        raise ValueError(
            "sscan's match is not supported with a COMPRESSOR: compressed members cannot be matched"
        )
    return c.encoder(match)


def cmd_sscan_iter(
    c: CommandClient,
    key: Any,
    match: str | None = None,
    count: int = 10,
    version: Any = None,
    client: Any = None,
) -> Logic[None]:
    """Each member, by SSCAN; ``match``, a member value, keeps only that member."""
    nkey = c.server_key(key, version)
    pattern = _member_pattern(c, match)
    cursor = 0
    while True:
        cursor, raws = yield read("sscan", nkey, nkey, cursor, match=pattern, count=count)
        for value in _as_set(raws, c):
            yield Emit(value)
        if not cursor:
            return


# -- hashes ----------------------------------------------------------------------------
# The hash is ``make_key(name)``; fields are made keys too, as django-valkey 0.4 stores them.


def cmd_hset(
    c: CommandClient,
    name: Any,
    key: Any = None,
    value: Any = None,
    mapping: Mapping[Any, Any] | None = None,
    items: list[tuple[Any, Any]] | None = None,
    version: Any = None,
    client: Any = None,
) -> Op[int]:
    """Set one field, a mapping and/or items; returns how many fields were added."""
    nname = c.server_key(name, version)
    if key is not None and not mapping and not items:
        return write("hset", nname, nname, c.server_key(key, version), c.encoder(value))
    pairs: list[Any] = []
    if key is not None:
        pairs += [c.server_key(key, version), c.encoder(value)]
    for field, field_value in list((mapping or {}).items()) + list(items or []):
        pairs += [c.server_key(field, version), c.encoder(field_value)]
    return write("hset", nname, nname, items=pairs)


def cmd_hget(c: CommandClient, name: Any, key: Any, version: Any = None, client: Any = None) -> Op[Any]:
    """The value of field ``key`` of the hash, or None."""
    nname = c.server_key(name, version)
    return read("hget", nname, nname, c.server_key(key, version)).then(c.value_or_default, nname, None)


def cmd_hmget(
    c: CommandClient, name: Any, *keys: Any, version: Any = None, client: Any = None
) -> Op[list[Any]]:
    """The values of the fields ``keys`` (None for a missing one), in order."""
    nname = c.server_key(name, version)
    if len(keys) == 1:  # as in sadd
        return read("hmget", nname, nname, [c.server_key(keys[0], version)]).then(_as_list, c)
    return read("hmget", nname, nname, [c.server_key(k, version) for k in keys]).then(_as_list, c)


def cmd_hgetall(c: CommandClient, name: Any, version: Any = None, client: Any = None) -> Op[dict[Any, Any]]:
    """Every field of the hash and its value."""
    nname = c.server_key(name, version)
    return read("hgetall", nname, nname).then(_fields, c, nname)


def _fields(raw: Mapping[bytes, bytes], c: CommandClient, nname: Any) -> dict[Any, Any]:
    found = {}
    for field, value in raw.items():
        decoded = c.decode_or_miss(value, nname)
        if decoded is not MISS:
            found[c.reverse_key(field.decode())] = decoded
    return found


def cmd_hdel(c: CommandClient, name: Any, *keys: Any, version: Any = None, client: Any = None) -> Op[int]:
    """Delete fields of the hash; how many existed."""
    nname = c.server_key(name, version)
    if len(keys) == 1:  # as in sadd
        return write("hdel", nname, nname, c.server_key(keys[0], version))
    return write("hdel", nname, nname, *[c.server_key(k, version) for k in keys])


def cmd_hlen(c: CommandClient, name: Any, version: Any = None, client: Any = None) -> Op[int]:
    """How many fields the hash has."""
    nname = c.server_key(name, version)
    return read("hlen", nname, nname)


def cmd_hkeys(c: CommandClient, name: Any, version: Any = None, client: Any = None) -> Op[list[Any]]:
    """The field names of the hash."""
    nname = c.server_key(name, version)
    return read("hkeys", nname, nname).then(_field_names, c)


def _field_names(fields: Iterable[bytes], c: CommandClient) -> list[Any]:
    return [c.reverse_key(f.decode()) for f in fields]


def cmd_hexists(c: CommandClient, name: Any, key: Any, version: Any = None, client: Any = None) -> Op[bool]:
    """Whether the hash has field ``key``."""
    nname = c.server_key(name, version)
    return read("hexists", nname, nname, c.server_key(key, version)).then(truthy)


# -- sorted sets -----------------------------------------------------------------------
# Members are encoded like values; scores are plain numbers.


def _members(raws: list[Any] | None, c: CommandClient, withscores: bool) -> list[Any]:
    raws = raws or []
    decode = c.decoder
    try:  # as in _as_set
        return [(decode(m), s) for m, s in raws] if withscores else list(map(decode, raws))
    except Exception:
        if withscores:
            return [(_none_if_miss(c.decode_or_miss(m)), s) for m, s in raws]
        return _as_list(raws, c)


def cmd_zadd(
    c: CommandClient,
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
) -> Op[Any]:
    """Add members with their scores; how many were added (the new score with ``incr``)."""
    nname = c.server_key(name, version)
    encoded = {c.encoder(m): s for m, s in mapping.items()}
    return write("zadd", nname, nname, encoded, nx=nx, xx=xx, ch=ch, incr=incr, gt=gt, lt=lt)


def cmd_zcard(c: CommandClient, name: Any, version: Any = None, client: Any = None) -> Op[int]:
    """How many members the sorted set has."""
    nname = c.server_key(name, version)
    return read("zcard", nname, nname)


def cmd_zcount(
    c: CommandClient, name: Any, min: Any, max: Any, version: Any = None, client: Any = None
) -> Op[int]:
    """How many members score between ``min`` and ``max``."""
    nname = c.server_key(name, version)
    return read("zcount", nname, nname, min, max)


def cmd_zincrby(
    c: CommandClient,
    name: Any,
    amount: float,
    value: Any,
    version: Any = None,
    client: Any = None,
) -> Op[float]:
    """Add ``amount`` to the score of ``value``; the new score."""
    nname = c.server_key(name, version)
    return write("zincrby", nname, nname, amount, c.encoder(value))


def _popped(raws: list[Any] | None, c: CommandClient, count: int | None) -> Any:
    popped = _members(raws, c, withscores=True)
    if count is None:
        return popped[0] if popped else None
    return popped


def cmd_zpopmax(
    c: CommandClient, name: Any, count: int | None = None, version: Any = None, client: Any = None
) -> Op[Any]:
    """``(member, score)`` (or None) without ``count``; a list of them with it."""
    nname = c.server_key(name, version)
    return write("zpopmax", nname, nname, count).then(_popped, c, count)


def cmd_zpopmin(
    c: CommandClient, name: Any, count: int | None = None, version: Any = None, client: Any = None
) -> Op[Any]:
    """``(member, score)`` (or None) without ``count``; a list of them with it."""
    nname = c.server_key(name, version)
    return write("zpopmin", nname, nname, count).then(_popped, c, count)


def cmd_zrange(
    c: CommandClient,
    name: Any,
    start: int,
    end: int,
    desc: bool = False,
    withscores: bool = False,
    score_cast_func: type = float,
    version: Any = None,
    client: Any = None,
) -> Op[list[Any]]:
    """Members from rank ``start`` to ``end`` (with their scores with ``withscores``)."""
    nname = c.server_key(name, version)
    return read(
        "zrange", nname, nname, start, end, desc=desc, withscores=withscores, score_cast_func=score_cast_func
    ).then(_members, c, withscores)


def cmd_zrevrange(
    c: CommandClient,
    name: Any,
    start: int,
    end: int,
    withscores: bool = False,
    score_cast_func: type = float,
    version: Any = None,
    client: Any = None,
) -> Op[list[Any]]:
    """``zrange`` from the highest score down."""
    nname = c.server_key(name, version)
    return read(
        "zrevrange", nname, nname, start, end, withscores=withscores, score_cast_func=score_cast_func
    ).then(_members, c, withscores)


def cmd_zrangebyscore(
    c: CommandClient,
    name: Any,
    min: Any,
    max: Any,
    start: int | None = None,
    num: int | None = None,
    withscores: bool = False,
    score_cast_func: type = float,
    version: Any = None,
    client: Any = None,
) -> Op[list[Any]]:
    """Members scoring from ``min`` to ``max`` (a page of them with ``start`` and ``num``)."""
    nname = c.server_key(name, version)
    return read(
        "zrangebyscore", nname, nname, min, max, start=start, num=num, withscores=withscores,
        score_cast_func=score_cast_func,
    ).then(_members, c, withscores)  # fmt: skip


def cmd_zrevrangebyscore(
    c: CommandClient,
    name: Any,
    max: Any,
    min: Any,
    start: int | None = None,
    num: int | None = None,
    withscores: bool = False,
    score_cast_func: type = float,
    version: Any = None,
    client: Any = None,
) -> Op[list[Any]]:
    """``zrangebyscore`` from ``max`` down to ``min``."""
    nname = c.server_key(name, version)
    return read(
        "zrevrangebyscore", nname, nname, max, min, start=start, num=num, withscores=withscores,
        score_cast_func=score_cast_func,
    ).then(_members, c, withscores)  # fmt: skip


def cmd_zrank(
    c: CommandClient,
    name: Any,
    value: Any,
    withscore: bool = False,
    version: Any = None,
    client: Any = None,
) -> Op[Any]:
    """The rank of ``value`` from the lowest score (with its score with ``withscore``)."""
    nname = c.server_key(name, version)
    if withscore:
        return read("zrank", nname, nname, c.encoder(value), withscore=True)
    return read("zrank", nname, nname, c.encoder(value))


def cmd_zrem(c: CommandClient, name: Any, *values: Any, version: Any = None, client: Any = None) -> Op[int]:
    """Remove members; how many were there."""
    nname = c.server_key(name, version)
    if len(values) == 1:  # as in sadd
        return write("zrem", nname, nname, c.encoder(values[0]))
    return write("zrem", nname, nname, *[c.encoder(v) for v in values])


def cmd_zremrangebyscore(
    c: CommandClient,
    name: Any,
    min: Any,
    max: Any,
    version: Any = None,
    client: Any = None,
) -> Op[int]:
    """Remove the members scoring from ``min`` to ``max``; how many."""
    nname = c.server_key(name, version)
    return write("zremrangebyscore", nname, nname, min, max)


def cmd_zscore(c: CommandClient, name: Any, value: Any, version: Any = None, client: Any = None) -> Op[Any]:
    """The score of ``value``, or None."""
    nname = c.server_key(name, version)
    return read("zscore", nname, nname, c.encoder(value))


# -- Django's contract -------------------------------------------------------------------


def cmd_get_or_set(
    c: CommandClient,
    key: Any,
    default: Any,
    timeout: Any = DEFAULT_TIMEOUT,
    version: Any = None,
    client: Any = None,
) -> Logic[Any]:
    """The cached value, or ``default`` (called first if callable) added and returned.

    Read again after the add, so that a value another caller added first wins.
    """
    value = yield cmd_get(c, key, MISS, version)
    if value is not MISS:
        return value
    if callable(default):
        default = default()
    yield cmd_add(c, key, default, timeout, version)
    return (yield cmd_get(c, key, default, version))
