"""``Cache`` and ``AsyncCache``: the cache for programs that do not use Django.

Same method names and arguments as Django's cache API plus the Valkey extras: one
method per declared command (``commands.table``), each forwarding to the client's.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any, ClassVar

from . import ignore
from .commands.declare import AsyncSide, declared, forwarding
from .commands.table import Commands
from .exceptions import ConfigurationError
from .imports import resolve_class
from .keys import KeyFunc, default_key_func
from .memoize import Memoizer, memoize
from .near import near_class, near_settings
from .option_names import known_options, unknown_options
from .options import bool_option, number_option
from .redaction import redact_url
from .timeouts import DEFAULT_TIMEOUT

# Keyword arguments that name an option in lower case.
_KEYWORD_OPTIONS = {
    "serializer": "SERIALIZER",
    "compressor": "COMPRESSOR",
    "client_class": "CLIENT_CLASS",
    "ignore_exceptions": "IGNORE_EXCEPTIONS",
    "log_ignored_exceptions": "LOG_IGNORED_EXCEPTIONS",
}
_GENERAL_OPTIONS = frozenset({"CLIENT_CLASS", "IGNORE_EXCEPTIONS", "LOG_IGNORED_EXCEPTIONS", "LOGGER"})


class _CacheBase:
    DEFAULT_CLIENT_CLASS: ClassVar[str]

    def __init__(
        self,
        location: str | list[str],
        *,
        timeout: float | None = 300,
        key_prefix: str = "",
        version: Any = 1,
        key_func: KeyFunc | str | None = None,
        options: Mapping[str, Any] | None = None,
        **keyword_options: Any,
    ) -> None:
        merged = dict(options or {})
        for name, value in keyword_options.items():
            merged[_KEYWORD_OPTIONS.get(name, name.upper())] = value
        self.default_timeout = number_option({"timeout": timeout}, "timeout", None)
        self.key_prefix = key_prefix
        self.version = version
        self.key_func: KeyFunc = _key_func(key_func)
        self.location = location
        self.options = merged
        client_cls = resolve_class("CLIENT_CLASS", merged.get("CLIENT_CLASS") or self.DEFAULT_CLIENT_CLASS)
        if near_settings(merged) is not None:
            client_cls = near_class(client_cls)
        ignoring = bool_option(merged, "IGNORE_EXCEPTIONS", False)
        if ignoring:
            client_cls = ignore.tolerant(client_cls)
        self.client: Any = client_cls(location, {"OPTIONS": merged}, self)
        self._check_option_names(merged)
        # The client's own bound methods on the instance: a call through the facade then
        # costs no frame of its own. A subclass's own methods are left in place.
        for name in _forwarded(type(self)):
            self.__dict__[name] = getattr(self.client, name)
        if ignoring and bool_option(merged, "LOG_IGNORED_EXCEPTIONS", False):
            self.client.ignored_exceptions_logger = logging.getLogger(merged.get("LOGGER") or "valkey_cache")

    def make_key(self, key: Any, version: Any = None, prefix: str | None = None) -> Any:
        """The stored key for ``key``: through the key function, with prefix and version."""
        return self.client.make_key(key, version=version, prefix=prefix)

    @property
    def near_cache(self) -> Any:
        """The client's near cache (``NEAR_CACHE``), or None when it is off."""
        return getattr(self.client, "near_cache", None)

    def near_cache_stats(self) -> dict[str, Any] | None:
        """The near cache's counters (hits, misses, invalidations, evictions, entries,
        bytes), or None when it is off."""
        near = getattr(self.client, "near_cache", None)
        return None if near is None else near.stats()

    def make_pattern(self, pattern: Any, version: Any = None, prefix: str | None = None) -> Any:
        """The SCAN glob for ``pattern``, with prefix and version (escaped)."""
        return self.client.make_pattern(pattern, version=version, prefix=prefix)

    def memoize(self, timeout: Any = DEFAULT_TIMEOUT, **kwargs: Any) -> Memoizer:
        """A decorator keeping a function's results here: see ``valkey_cache.core.memoize``."""
        return memoize(self, timeout, **kwargs)

    def _check_option_names(self, options: Mapping[str, Any]) -> None:
        client = self.client
        known = _GENERAL_OPTIONS | known_options(
            client, client.connection_factory, client._serializer, client._compressor
        )
        bad = unknown_options(options, known)
        if bad:
            name, close = bad[0]
            hint = f"did you mean {close!r}?" if close else "see the option table in the docs"
            raise ConfigurationError(name, options[name], f"a known option name ({hint})", show_value=False)

    def __repr__(self) -> str:
        locations = [redact_url(url) for url in self.client._server]
        return f"<{type(self).__name__} {locations!r} prefix={self.key_prefix!r}>"


_FORWARDED: dict[type, tuple[str, ...]] = {}


def _forwarded(cls: type) -> tuple[str, ...]:
    """The commands of facade class ``cls`` that are the declared forwarding methods."""
    names = _FORWARDED.get(cls)
    if names is None:
        names = _FORWARDED[cls] = tuple(
            name
            for name, declaration in declared(cls).items()
            if getattr(getattr(cls, name, None), "__command__", None) is declaration
        )
    return names


def _key_func(value: KeyFunc | str | None) -> KeyFunc:
    if value is None:
        return default_key_func
    if callable(value):
        return value
    from .client.base import resolve_callable

    func: KeyFunc = resolve_callable("key_func", value, default_key_func)
    return func


class Cache(_CacheBase, Commands):
    """A blocking Valkey cache: ``Cache("valkey://127.0.0.1:6379/0", key_prefix="app")``.

    ``timeout`` is the default in seconds (None: forever); other keyword arguments are
    options (``serializer=``, ``compressor=``, ``client_class=``, ``socket_timeout=``,
    ``ignore_exceptions=`` ...), in lower or upper case.
    """

    DEFAULT_CLIENT_CLASS = "valkey_cache.core.client.DefaultClient"
    MATERIALIZE = forwarding("client", is_async=False)

    def close(self) -> None:
        """Disconnect the pools when ``CLOSE_CONNECTION`` is set; otherwise keep them."""
        self.client.close()

    def __contains__(self, key: Any) -> bool:
        return bool(self.has_key(key))


class AsyncCache(AsyncSide, _CacheBase, Commands):
    """The asyncio twin of :class:`Cache`: every command is awaited."""

    DEFAULT_CLIENT_CLASS = "valkey_cache.core.client.AsyncDefaultClient"
    MATERIALIZE = forwarding("client", is_async=True)

    async def close(self) -> None:
        """Disconnect this event loop's pools when ``CLOSE_CONNECTION`` is set."""
        await self.client.close()


__all__ = ["DEFAULT_TIMEOUT", "AsyncCache", "Cache"]
