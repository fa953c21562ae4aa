"""Thundering-herd protection, as commands: values carry their own expiry.

A value stored with a timeout is packed as django-valkey 0.4 packs it,
``(marker, value, expiry)`` with ``expiry = int(time.time()) + timeout``, and kept by
the server ``HERD_TIMEOUT`` seconds longer. Past its expiry the value is stale: the
first reader atomically swaps in a copy marked fresh for ``HERD_TIMEOUT`` and gets a
miss, so it computes the value again; every other reader is served the stale value
meanwhile. Values stored without a timeout are not packed. Commands not written here
(deletes, sets, hashes, ...) are the plain ones from ``standard``.
"""

from __future__ import annotations

import datetime
import time
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from ..timeouts import DEFAULT_TIMEOUT
from . import standard
from .declare import variant
from .ops import Logic, Step, pipeline, read, run, write
from .protocol import MISS
from .scripts import script, script_op
from .table import Commands

if TYPE_CHECKING:
    from ..client.herd import HerdSettings

    Client = HerdSettings[Any]

# Replace the value only if it is still the one read (ARGV[1]); ARGV[3] is how long to
# keep the new one: "keep" (same TTL), "forever", or milliseconds.
SWAP = script(
    "if server.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end "
    "if ARGV[3] == 'keep' then server.call('SET', KEYS[1], ARGV[2], 'KEEPTTL') "
    "elseif ARGV[3] == 'forever' then server.call('SET', KEYS[1], ARGV[2]) "
    "else server.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3]) end "
    "return 1"
)
# Read-modify-swap loops retry when another writer got in between; each retry means
# that writer succeeded, so this bound is only reached under absurd contention.
SWAP_ATTEMPTS = 100


def _expiry(ms: int) -> float:
    """0.4's expiry: whole seconds from now, plus the timeout (an int when it is whole)."""
    seconds: float = ms // 1000 if ms % 1000 == 0 else ms / 1000
    return int(time.time()) + seconds


def pack(c: Client, value: Any, expiry: float) -> tuple[Any, Any, float]:
    return (c.MARKER_CLASS(), value, expiry)


def unpack(c: Client, decoded: Any) -> tuple[Any, float | None]:
    """``(value, expiry)`` of a packed value; ``(decoded, None)`` for any other."""
    if isinstance(decoded, tuple) and len(decoded) == 3 and c.is_herd_marker(decoded[0]):
        return decoded[1], decoded[2]
    return decoded, None


def _read(c: Client, nkey: Any, raw: bytes | None) -> tuple[Any, float | None]:
    if raw is None:
        return MISS, None
    return unpack(c, c.decode_or_miss(raw, nkey))


def _fresh(c: Client, nkey: Any, raw: bytes) -> Logic[Any]:
    """The value stored as ``raw``, or MISS when this caller is the one to compute it again."""
    value, expiry = _read(c, nkey, raw)
    if expiry is None or expiry >= time.time():
        return value
    marked_fresh = c.encode(pack(c, value, int(time.time()) + c._herd_timeout))
    claimed = yield script_op(SWAP, nkey, (nkey,), raw, marked_fresh, "keep")
    return MISS if claimed else value


# -- strings -----------------------------------------------------------------------------


def cmd_set(
    c: Client,
    key: Any,
    value: Any,
    timeout: Any = DEFAULT_TIMEOUT,
    version: Any = None,
    client: Any = None,
    nx: bool = False,
    xx: bool = False,
) -> Logic[bool | None]:
    ms = c.expiry_ms(timeout)
    if ms is None or ms <= 0:
        return (yield from run(standard.cmd_set(c, key, value, timeout, version, client, nx, xx)))
    nkey = c.server_key(key, version)
    packed = c.encode_value(key, value, pack(c, value, _expiry(ms)))
    stored = yield write("set", nkey, nkey, packed, px=ms + c._herd_timeout * 1000, nx=nx, xx=xx)
    return standard.set_result(stored, nx)


def cmd_add(
    c: Client, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: Any = None, client: Any = None
) -> Logic[bool]:
    return bool((yield from cmd_set(c, key, value, timeout, version, client, nx=True)))


def cmd_get(c: Client, key: Any, default: Any = None, version: Any = None, client: Any = None) -> Logic[Any]:
    """The value; ``default`` when missing, or stale and this caller should refresh it."""
    nkey = c.server_key(key, version)
    raw = yield read("get", nkey, nkey)
    if raw is None:
        return default
    value = yield from _fresh(c, nkey, raw)
    return default if value is MISS else value


def cmd_get_many(
    c: Client, keys: Iterable[Any], version: Any = None, client: Any = None
) -> Logic[dict[Any, Any]]:
    """Like ``get`` for each key: a key this caller should refresh is left out."""
    originals = list(keys)
    if not originals:
        return {}
    nkeys = c.make_keys(originals, version)
    raws = yield read("mget", nkeys[0], nkeys)
    found = {}
    for original, nkey, raw in zip(originals, nkeys, raws):
        if raw is not None:
            value = yield from _fresh(c, nkey, raw)
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
    ms = c.expiry_ms(timeout)
    if not data or ms is None or ms <= 0:
        return (yield from run(standard.cmd_set_many(c, data, timeout, version, client)))
    expiry, px = _expiry(ms), ms + c._herd_timeout * 1000
    nkeys = c.make_keys(data, version)
    ops = [
        write("set", nk, nk, c.encode_value(k, v, pack(c, v, expiry)), px=px)
        for nk, (k, v) in zip(nkeys, data.items())
    ]
    yield pipeline(ops, route=nkeys[0])
    return []


def cmd_mset(
    c: Client, data: Mapping[Any, Any], timeout: Any = None, version: Any = None, client: Any = None
) -> Logic[None]:
    ms = None if timeout is None else c.expiry_ms(timeout)
    if not data or ms is None or ms <= 0:
        return (yield from run(standard.cmd_mset(c, data, timeout, version, client)))
    expiry, px = _expiry(ms), ms + c._herd_timeout * 1000
    nkeys = c.make_keys(data, version)
    mapping = {nk: c.encode_value(k, v, pack(c, v, expiry)) for nk, (k, v) in zip(nkeys, data.items())}
    ops = [write("mset", nkeys[0], mapping)] + [write("pexpire", k, k, px) for k in nkeys]
    yield pipeline(ops, route=nkeys[0], transaction=True)
    return None


def cmd_get_or_set(
    c: Client, key: Any, default: Any, timeout: Any = DEFAULT_TIMEOUT, version: Any = None, client: Any = None
) -> Logic[Any]:
    """The cached value, or ``default`` (called if callable) stored and returned.

    A missing key is added (a value another caller added first wins); a stale one this
    caller was picked to refresh is overwritten.
    """
    nkey = c.server_key(key, version)
    raw = yield read("get", nkey, nkey)
    value = MISS if raw is None else (yield from _fresh(c, nkey, raw))
    if value is not MISS:
        return value
    if callable(default):
        default = default()
    if raw is not None:
        yield from cmd_set(c, key, default, timeout, version)
        return default
    yield from cmd_add(c, key, default, timeout, version)
    return (yield from cmd_get(c, key, default, version))


def cmd_incr(
    c: Client,
    key: Any,
    delta: int = 1,
    version: Any = None,
    client: Any = None,
    ignore_key_check: bool = False,
) -> Logic[Any]:
    """A packed number is unpacked, added to and swapped back (its expiry kept); a plain
    one is incremented by the server as usual."""
    nkey = c.server_key(key, version)
    for _ in range(SWAP_ATTEMPTS):
        raw = yield write("get", nkey, nkey)
        value, expiry = _read(c, nkey, raw)
        if expiry is None:
            return (yield from run(standard.cmd_incr(c, key, delta, version, client, ignore_key_check)))
        value += delta
        swapped = yield script_op(SWAP, nkey, (nkey,), raw, c.encode(pack(c, value, expiry)), "keep")
        if swapped:
            return value
    raise RuntimeError(f"incr of {key!r}: the value kept changing")


def cmd_decr(c: Client, key: Any, delta: int = 1, version: Any = None, client: Any = None) -> Logic[Any]:
    return (yield from cmd_incr(c, key, -delta, version, client))


# -- expiry ------------------------------------------------------------------------------


def _retime(c: Client, key: Any, ms: int | None, version: Any, plain: Step[bool]) -> Logic[bool]:
    """Give a packed value a new lifetime (``ms`` None: forever, unpacked); a key that is
    missing or not packed is left to ``plain``, the ``standard`` command."""
    nkey = c.server_key(key, version)
    for _ in range(SWAP_ATTEMPTS):
        raw = yield write("get", nkey, nkey)
        value, expiry = _read(c, nkey, raw)
        if expiry is None:
            return (yield from run(plain))
        if ms is not None and ms <= 0:
            yield write(c.delete_command, nkey, nkey)
            return True
        if ms is None:
            new, keep = c.encode(value), "forever"
        else:
            new, keep = c.encode(pack(c, value, _expiry(ms))), str(ms + c._herd_timeout * 1000)
        if (yield script_op(SWAP, nkey, (nkey,), raw, new, keep)):
            return True
    raise RuntimeError(f"new timeout for {key!r}: the value kept changing")


def _ms_until(when: Any, unit: int) -> int:
    """Milliseconds from now to ``when`` (a datetime, or a timestamp in 1/``unit`` s)."""
    if isinstance(when, datetime.datetime):
        return int((when.timestamp() - time.time()) * 1000)
    return int(when * 1000 / unit - time.time() * 1000)


def cmd_touch(
    c: Client, key: Any, timeout: Any = DEFAULT_TIMEOUT, version: Any = None, client: Any = None
) -> Logic[bool]:
    plain = standard.cmd_touch(c, key, timeout, version)
    return (yield from _retime(c, key, c.expiry_ms(timeout), version, plain))


def cmd_expire(c: Client, key: Any, timeout: Any, version: Any = None, client: Any = None) -> Logic[bool]:
    if c.is_default_timeout(timeout):
        return (yield from cmd_touch(c, key, timeout, version))
    plain = standard.cmd_expire(c, key, timeout, version)
    return (yield from _retime(c, key, int(timeout * 1000), version, plain))


def cmd_pexpire(c: Client, key: Any, timeout: Any, version: Any = None, client: Any = None) -> Logic[bool]:
    if c.is_default_timeout(timeout):
        return (yield from cmd_touch(c, key, timeout, version))
    plain = standard.cmd_pexpire(c, key, timeout, version)
    return (yield from _retime(c, key, int(timeout), version, plain))


def cmd_expire_at(c: Client, key: Any, when: Any, version: Any = None, client: Any = None) -> Logic[bool]:
    plain = standard.cmd_expire_at(c, key, when, version)
    return (yield from _retime(c, key, _ms_until(when, 1), version, plain))


def cmd_pexpire_at(c: Client, key: Any, when: Any, version: Any = None, client: Any = None) -> Logic[bool]:
    plain = standard.cmd_pexpire_at(c, key, when, version)
    return (yield from _retime(c, key, _ms_until(when, 1000), version, plain))


def cmd_persist(c: Client, key: Any, version: Any = None, client: Any = None) -> Logic[bool]:
    return (yield from _retime(c, key, None, version, standard.cmd_persist(c, key, version)))


def cmd_ttl(c: Client, key: Any, version: Any = None, client: Any = None) -> Logic[int | None]:
    """Seconds the server keeps the key, as django-valkey 0.4's herd client says: a packed
    value's timeout plus ``HERD_TIMEOUT`` (served stale in that last part); None: never."""
    return (yield from run(standard.cmd_ttl(c, key, version)))


def cmd_pttl(c: Client, key: Any, version: Any = None, client: Any = None) -> Logic[int | None]:
    """Milliseconds the server keeps the key (the timeout plus ``HERD_TIMEOUT``), as 0.4."""
    return (yield from run(standard.cmd_pttl(c, key, version)))


class HerdCommands(Commands):
    """The herd client's own versions of the commands that read or write expiries."""

    set = variant(cmd_set)
    add = variant(cmd_add)
    get = variant(cmd_get)
    get_many = variant(cmd_get_many)
    mget = variant(cmd_mget)
    set_many = variant(cmd_set_many)
    mset = variant(cmd_mset)
    get_or_set = variant(cmd_get_or_set)
    incr = variant(cmd_incr)
    decr = variant(cmd_decr)
    touch = variant(cmd_touch)
    expire = variant(cmd_expire)
    pexpire = variant(cmd_pexpire)
    expire_at = variant(cmd_expire_at)
    pexpire_at = variant(cmd_pexpire_at)
    persist = variant(cmd_persist)
    ttl = variant(cmd_ttl)
    pttl = variant(cmd_pttl)
