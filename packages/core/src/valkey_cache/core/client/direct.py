"""The commonest single-key commands, without the generator driver when nothing routes.

Every command is a ``logic`` generator run by a driver (``ops``). For a ``get`` on a
client with one location, that machinery costs more than the rest of the call (about
1.5 of 2.4 µs with no server). So when the client has one location, the stock
``get_client`` and a connection already made, these methods call valkey-py directly,
using the same helpers as the generators for keys, expiry, encoding, decoding and
errors. Otherwise they run the generator: shards, cluster, replicas, the first call
(which connects), and the rare branches (a timeout that means delete, an ``incr``
beyond 64 bits or on a server that has not seen its script yet).
"""

from __future__ import annotations

from typing import Any

from valkey.exceptions import ReadOnlyError, ResponseError

from ..timeouts import DEFAULT_TIMEOUT
from . import logic
from .binding import async_command, sync_command
from .ops import raise_outage

_get = sync_command(logic.cmd_get)
_set = sync_command(logic.cmd_set)
_delete = sync_command(logic.cmd_delete)
_incr = sync_command(logic.cmd_incr)
_aget = async_command(logic.cmd_get)
_aset = async_command(logic.cmd_set)
_adelete = async_command(logic.cmd_delete)
_aincr = async_command(logic.cmd_incr)


class DirectCommands:
    """``get``, ``set``, ``add``, ``delete``, ``incr`` and ``decr`` for ``ClientCommands``."""

    def _direct_connection(self) -> Any:
        raise NotImplementedError

    def get(self: Any, key: Any, default: Any = None, version: Any = None, client: Any = None) -> Any:
        conn = self._direct_connection() if client is None else client
        if conn is None:
            return _get(self, key, default, version)
        nkey = self.make_key(key, version=version)
        try:
            raw = conn.get(nkey)
        except Exception as exc:
            raise_outage(exc, conn, "get")
        return self.value_or_default(raw, nkey, default)

    def set(
        self: Any,
        key: Any,
        value: Any,
        timeout: Any = DEFAULT_TIMEOUT,
        version: Any = None,
        client: Any = None,
        nx: bool = False,
        xx: bool = False,
    ) -> bool | None:
        """Store ``value``; True when stored. ``nx``: only if absent (None when it was
        there, as in django-valkey 0.4); ``xx``: only if present."""
        conn = self._direct_connection() if client is None else client
        ms = self.expiry_ms(timeout)
        if conn is None or (ms is not None and ms <= 0):
            return _set(self, key, value, timeout, version, client=client, nx=nx, xx=xx)  # type: ignore[no-any-return]
        nkey = self.make_key(key, version=version)
        try:
            stored = conn.set(nkey, self.encode_value(key, value), px=ms, nx=nx, xx=xx)
        except ReadOnlyError:  # the driver reconnects and retries once
            return _set(self, key, value, timeout, version, client=client, nx=nx, xx=xx)  # type: ignore[no-any-return]
        except Exception as exc:
            raise_outage(exc, conn, "set")
        return logic.set_result(stored, nx)

    def add(
        self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: Any = None, client: Any = None
    ) -> bool:
        """Store only if the key is absent; False when it was already there."""
        return bool(self.set(key, value, timeout, version, client, nx=True))

    def delete(
        self: Any, key: Any, version: Any = None, prefix: str | None = None, client: Any = None
    ) -> bool:
        conn = self._direct_connection() if client is None else client
        if conn is None:
            return _delete(self, key, version, prefix)  # type: ignore[no-any-return]
        nkey = self.make_key(key, version=version, prefix=prefix)
        try:
            return bool(getattr(conn, self._delete_command)(nkey))
        except ReadOnlyError:
            return _delete(self, key, version, prefix, client=client)  # type: ignore[no-any-return]
        except Exception as exc:
            raise_outage(exc, conn, self._delete_command)

    def incr(
        self: Any,
        key: Any,
        delta: int = 1,
        version: Any = None,
        client: Any = None,
        ignore_key_check: bool = False,
    ) -> Any:
        """Add ``delta`` atomically; ValueError for a missing key unless ``ignore_key_check``."""
        conn = self._direct_connection() if client is None else client
        if conn is None:
            return _incr(self, key, delta, version, client=client, ignore_key_check=ignore_key_check)
        nkey = self.make_key(key, version=version)
        try:
            if ignore_key_check:
                value = conn.incrby(nkey, delta)
            else:
                value = conn.evalsha(logic.INCR_IF_EXISTS.sha, 1, nkey, delta)
        except ResponseError:  # NOSCRIPT, READONLY, or beyond 64 bits: nothing was written
            return _incr(self, key, delta, version, client=client, ignore_key_check=ignore_key_check)
        except Exception as exc:
            raise_outage(exc, conn, "incrby" if ignore_key_check else "evalsha")
        return logic.incremented(key, value)

    def decr(self: Any, key: Any, delta: int = 1, version: Any = None, client: Any = None) -> Any:
        return self.incr(key, -delta, version, client)


class AsyncDirectCommands:
    """The same commands for ``AsyncClientCommands``, awaiting valkey.asyncio."""

    def _direct_connection(self) -> Any:
        raise NotImplementedError

    async def get(self: Any, key: Any, default: Any = None, version: Any = None, client: Any = None) -> Any:
        conn = self._direct_connection() if client is None else client
        if conn is None:
            return await _aget(self, key, default, version)
        nkey = self.make_key(key, version=version)
        try:
            raw = await conn.get(nkey)
        except Exception as exc:
            raise_outage(exc, conn, "get")
        return self.value_or_default(raw, nkey, default)

    async def set(
        self: Any,
        key: Any,
        value: Any,
        timeout: Any = DEFAULT_TIMEOUT,
        version: Any = None,
        client: Any = None,
        nx: bool = False,
        xx: bool = False,
    ) -> bool | None:
        """Store ``value``; True when stored. ``nx``: only if absent (None when it was
        there, as in django-valkey 0.4); ``xx``: only if present."""
        conn = self._direct_connection() if client is None else client
        ms = self.expiry_ms(timeout)
        if conn is None or (ms is not None and ms <= 0):
            return await _aset(self, key, value, timeout, version, client=client, nx=nx, xx=xx)  # type: ignore[no-any-return]
        nkey = self.make_key(key, version=version)
        try:
            stored = await conn.set(nkey, self.encode_value(key, value), px=ms, nx=nx, xx=xx)
        except ReadOnlyError:  # the driver reconnects and retries once
            return await _aset(self, key, value, timeout, version, client=client, nx=nx, xx=xx)  # type: ignore[no-any-return]
        except Exception as exc:
            raise_outage(exc, conn, "set")
        return logic.set_result(stored, nx)

    async def add(
        self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: Any = None, client: Any = None
    ) -> bool:
        """Store only if the key is absent; False when it was already there."""
        return bool(await self.set(key, value, timeout, version, client, nx=True))

    async def delete(
        self: Any, key: Any, version: Any = None, prefix: str | None = None, client: Any = None
    ) -> bool:
        conn = self._direct_connection() if client is None else client
        if conn is None:
            return await _adelete(self, key, version, prefix)  # type: ignore[no-any-return]
        nkey = self.make_key(key, version=version, prefix=prefix)
        try:
            return bool(await getattr(conn, self._delete_command)(nkey))
        except ReadOnlyError:
            return await _adelete(self, key, version, prefix, client=client)  # type: ignore[no-any-return]
        except Exception as exc:
            raise_outage(exc, conn, self._delete_command)

    async def incr(
        self: Any,
        key: Any,
        delta: int = 1,
        version: Any = None,
        client: Any = None,
        ignore_key_check: bool = False,
    ) -> Any:
        """Add ``delta`` atomically; ValueError for a missing key unless ``ignore_key_check``."""
        conn = self._direct_connection() if client is None else client
        if conn is None:
            return await _aincr(self, key, delta, version, client=client, ignore_key_check=ignore_key_check)
        nkey = self.make_key(key, version=version)
        try:
            if ignore_key_check:
                value = await conn.incrby(nkey, delta)
            else:
                value = await conn.evalsha(logic.INCR_IF_EXISTS.sha, 1, nkey, delta)
        except ResponseError:  # NOSCRIPT, READONLY, or beyond 64 bits: nothing was written
            return await _aincr(self, key, delta, version, client=client, ignore_key_check=ignore_key_check)
        except Exception as exc:
            raise_outage(exc, conn, "incrby" if ignore_key_check else "evalsha")
        return logic.incremented(key, value)

    async def decr(self: Any, key: Any, delta: int = 1, version: Any = None, client: Any = None) -> Any:
        return await self.incr(key, -delta, version, client)
