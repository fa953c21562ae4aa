"""Every command, declared once: :class:`Commands`.

Each line names the command function (``standard``), what ``IGNORE_EXCEPTIONS`` returns
while the server is down (``outage``; None when not given), the arguments holding the
keys it reads and writes, and whether it is part of Django's cache API. The clients,
the ``Cache`` facade and the Django backends get their methods from here (see
``declare``); the herd, sharded and cluster clients swap in variants of some commands
(``herd.HerdCommands``, ``fanout.DistributedCommands``).
"""

from __future__ import annotations

from . import standard as s
from .declare import EVERY_KEY, Argument, CommandTable, command, iterator, key, mapping, pattern
from .declare import keys as many

# The class body names commands ``set`` and ``keys``: these keep the builtins at hand.
SET = set


class Commands(CommandTable):
    """The declarations of every cache command."""

    # Django's cache API
    get = command(s.cmd_get, outage=Argument("default"), reads=key("key"), django=True)
    set = command(s.cmd_set, outage=False, writes=key("key"), django=True)
    add = command(s.cmd_add, outage=False, writes=key("key"), django=True)
    delete = command(s.cmd_delete, outage=False, writes=key("key"), django=True)
    get_many = command(s.cmd_get_many, outage=dict, reads=many("keys"), django=True)
    set_many = command(s.cmd_set_many, outage=list, writes=mapping("data"), django=True)
    delete_many = command(s.cmd_delete_many, outage=0, writes=many("keys"), django=True)
    has_key = command(s.cmd_has_key, outage=False, reads=key("key"), django=True)
    incr = command(s.cmd_incr, writes=key("key"), django=True)
    decr = command(s.cmd_decr, writes=key("key"), django=True)
    touch = command(s.cmd_touch, outage=False, writes=key("key"), django=True)
    clear = command(s.cmd_clear, outage=False, writes=EVERY_KEY, django=True)
    get_or_set = command(
        s.cmd_get_or_set,
        outage=Argument("default", call=True),
        reads=key("key"),
        writes=key("key"),
        django=True,
    )
    incr_version = command(s.cmd_incr_version, writes=key("key"), django=True)
    decr_version = command(s.cmd_decr_version, writes=key("key"), django=True)

    # Valkey extras, as django-valkey 0.4 offers them
    mget = command(s.cmd_mget, outage=dict, reads=many("keys"))
    mset = command(s.cmd_mset, writes=mapping("data"))
    delete_pattern = command(s.cmd_delete_pattern, outage=0, writes=pattern("pattern"))
    ttl = command(s.cmd_ttl, reads=key("key"))
    pttl = command(s.cmd_pttl, reads=key("key"))
    expire = command(s.cmd_expire, outage=False, writes=key("key"))
    pexpire = command(s.cmd_pexpire, outage=False, writes=key("key"))
    expire_at = command(s.cmd_expire_at, outage=False, writes=key("key"))
    pexpire_at = command(s.cmd_pexpire_at, outage=False, writes=key("key"))
    persist = command(s.cmd_persist, outage=False, writes=key("key"))
    keys = command(s.cmd_keys, outage=list, reads=pattern("search"))
    iter_keys = iterator(s.cmd_iter_keys, str, reads=pattern("search"))
    get_lock = command(s.cmd_get_lock, writes=key("key"))
    lock = command(s.cmd_get_lock, writes=key("key"))

    sadd = command(s.cmd_sadd, outage=0, writes=key("key"))
    scard = command(s.cmd_scard, outage=0, reads=key("key"))
    sdiff = command(s.cmd_sdiff, outage=SET, reads=many("keys"))
    sdiffstore = command(s.cmd_sdiffstore, outage=0, reads=many("keys"), writes=key("dest"))
    sinter = command(s.cmd_sinter, outage=SET, reads=many("keys"))
    sinterstore = command(s.cmd_sinterstore, outage=0, reads=many("keys"), writes=key("dest"))
    smismember = command(s.cmd_smismember, outage=list, reads=key("key"))
    sismember = command(s.cmd_sismember, outage=False, reads=key("key"))
    smembers = command(s.cmd_smembers, outage=SET, reads=key("key"))
    smove = command(s.cmd_smove, outage=False, writes=(key("source"), key("destination")))
    spop = command(s.cmd_spop, writes=key("key"))
    srandmember = command(s.cmd_srandmember, reads=key("key"))
    srem = command(s.cmd_srem, outage=0, writes=key("key"))
    sscan = command(s.cmd_sscan, outage=SET, reads=key("key"))
    sscan_iter = iterator(s.cmd_sscan_iter, object, reads=key("key"))
    sunion = command(s.cmd_sunion, outage=SET, reads=many("keys"))
    sunionstore = command(s.cmd_sunionstore, outage=0, reads=many("keys"), writes=key("destination"))

    hset = command(s.cmd_hset, outage=0, writes=key("name"))
    hget = command(s.cmd_hget, reads=key("name"))
    hmget = command(s.cmd_hmget, outage=list, reads=key("name"))
    hgetall = command(s.cmd_hgetall, outage=dict, reads=key("name"))
    hdel = command(s.cmd_hdel, outage=0, writes=key("name"))
    hlen = command(s.cmd_hlen, outage=0, reads=key("name"))
    hkeys = command(s.cmd_hkeys, outage=list, reads=key("name"))
    hexists = command(s.cmd_hexists, outage=False, reads=key("name"))

    zadd = command(s.cmd_zadd, outage=0, writes=key("name"))
    zcard = command(s.cmd_zcard, outage=0, reads=key("name"))
    zcount = command(s.cmd_zcount, outage=0, reads=key("name"))
    zincrby = command(s.cmd_zincrby, writes=key("name"))
    zpopmax = command(s.cmd_zpopmax, writes=key("name"))
    zpopmin = command(s.cmd_zpopmin, writes=key("name"))
    zrange = command(s.cmd_zrange, outage=list, reads=key("name"))
    zrevrange = command(s.cmd_zrevrange, outage=list, reads=key("name"))
    zrangebyscore = command(s.cmd_zrangebyscore, outage=list, reads=key("name"))
    zrevrangebyscore = command(s.cmd_zrevrangebyscore, outage=list, reads=key("name"))
    zrank = command(s.cmd_zrank, reads=key("name"))
    zrem = command(s.cmd_zrem, outage=0, writes=key("name"))
    zremrangebyscore = command(s.cmd_zremrangebyscore, outage=0, writes=key("name"))
    zscore = command(s.cmd_zscore, reads=key("name"))


__all__ = ["Commands"]
