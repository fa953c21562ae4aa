"""Typing-only declarations of the Valkey extra commands (``ttl``, ``sadd``, ``zadd``...).

Classes that expose a client's bound methods as their own (the core's ``Cache`` facade,
the Django backends) inherit one of these so type checkers see each command's real
signature; at run time the classes are empty and add nothing to the lookup path.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .asynchronous import AsyncClientCommands
    from .sync import ClientCommands


class ValkeyExtras:
    if TYPE_CHECKING:
        mget = ClientCommands.mget
        mset = ClientCommands.mset
        delete_pattern = ClientCommands.delete_pattern
        ttl = ClientCommands.ttl
        pttl = ClientCommands.pttl
        expire = ClientCommands.expire
        pexpire = ClientCommands.pexpire
        expire_at = ClientCommands.expire_at
        pexpire_at = ClientCommands.pexpire_at
        persist = ClientCommands.persist
        keys = ClientCommands.keys
        iter_keys = ClientCommands.iter_keys
        get_lock = ClientCommands.get_lock
        lock = ClientCommands.lock
        sadd = ClientCommands.sadd
        scard = ClientCommands.scard
        sdiff = ClientCommands.sdiff
        sdiffstore = ClientCommands.sdiffstore
        sinter = ClientCommands.sinter
        sinterstore = ClientCommands.sinterstore
        smismember = ClientCommands.smismember
        sismember = ClientCommands.sismember
        smembers = ClientCommands.smembers
        smove = ClientCommands.smove
        spop = ClientCommands.spop
        srandmember = ClientCommands.srandmember
        srem = ClientCommands.srem
        sscan = ClientCommands.sscan
        sscan_iter = ClientCommands.sscan_iter
        sunion = ClientCommands.sunion
        sunionstore = ClientCommands.sunionstore
        hset = ClientCommands.hset
        hget = ClientCommands.hget
        hmget = ClientCommands.hmget
        hgetall = ClientCommands.hgetall
        hdel = ClientCommands.hdel
        hlen = ClientCommands.hlen
        hkeys = ClientCommands.hkeys
        hexists = ClientCommands.hexists
        zadd = ClientCommands.zadd
        zcard = ClientCommands.zcard
        zcount = ClientCommands.zcount
        zincrby = ClientCommands.zincrby
        zpopmax = ClientCommands.zpopmax
        zpopmin = ClientCommands.zpopmin
        zrange = ClientCommands.zrange
        zrevrange = ClientCommands.zrevrange
        zrangebyscore = ClientCommands.zrangebyscore
        zrevrangebyscore = ClientCommands.zrevrangebyscore
        zrank = ClientCommands.zrank
        zrem = ClientCommands.zrem
        zremrangebyscore = ClientCommands.zremrangebyscore
        zscore = ClientCommands.zscore


class AsyncValkeyExtras:
    if TYPE_CHECKING:
        mget = AsyncClientCommands.mget
        mset = AsyncClientCommands.mset
        delete_pattern = AsyncClientCommands.delete_pattern
        ttl = AsyncClientCommands.ttl
        pttl = AsyncClientCommands.pttl
        expire = AsyncClientCommands.expire
        pexpire = AsyncClientCommands.pexpire
        expire_at = AsyncClientCommands.expire_at
        pexpire_at = AsyncClientCommands.pexpire_at
        persist = AsyncClientCommands.persist
        keys = AsyncClientCommands.keys
        iter_keys = AsyncClientCommands.iter_keys
        get_lock = AsyncClientCommands.get_lock
        lock = AsyncClientCommands.lock
        sadd = AsyncClientCommands.sadd
        scard = AsyncClientCommands.scard
        sdiff = AsyncClientCommands.sdiff
        sdiffstore = AsyncClientCommands.sdiffstore
        sinter = AsyncClientCommands.sinter
        sinterstore = AsyncClientCommands.sinterstore
        smismember = AsyncClientCommands.smismember
        sismember = AsyncClientCommands.sismember
        smembers = AsyncClientCommands.smembers
        smove = AsyncClientCommands.smove
        spop = AsyncClientCommands.spop
        srandmember = AsyncClientCommands.srandmember
        srem = AsyncClientCommands.srem
        sscan = AsyncClientCommands.sscan
        sscan_iter = AsyncClientCommands.sscan_iter
        sunion = AsyncClientCommands.sunion
        sunionstore = AsyncClientCommands.sunionstore
        hset = AsyncClientCommands.hset
        hget = AsyncClientCommands.hget
        hmget = AsyncClientCommands.hmget
        hgetall = AsyncClientCommands.hgetall
        hdel = AsyncClientCommands.hdel
        hlen = AsyncClientCommands.hlen
        hkeys = AsyncClientCommands.hkeys
        hexists = AsyncClientCommands.hexists
        zadd = AsyncClientCommands.zadd
        zcard = AsyncClientCommands.zcard
        zcount = AsyncClientCommands.zcount
        zincrby = AsyncClientCommands.zincrby
        zpopmax = AsyncClientCommands.zpopmax
        zpopmin = AsyncClientCommands.zpopmin
        zrange = AsyncClientCommands.zrange
        zrevrange = AsyncClientCommands.zrevrange
        zrangebyscore = AsyncClientCommands.zrangebyscore
        zrevrangebyscore = AsyncClientCommands.zrevrangebyscore
        zrank = AsyncClientCommands.zrank
        zrem = AsyncClientCommands.zrem
        zremrangebyscore = AsyncClientCommands.zremrangebyscore
        zscore = AsyncClientCommands.zscore
