"""The base of every Valkey cache backend, and the command sets that complete it.

A backend is ``BaseValkeyCache`` plus ``BackendCommands`` (sync methods, with native
async ``a``-methods) or ``AsyncBackendCommands`` (every method a coroutine)::

    class ValkeyCache(BaseValkeyCache[DefaultClient, Valkey], BackendCommands):
        DEFAULT_CLIENT_CLASS = "django_valkey.client.DefaultClient"
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from operator import attrgetter
from typing import Any, ClassVar, Generic, TypeVar

from django.core.cache.backends.base import DEFAULT_TIMEOUT, BaseCache
from django.core.exceptions import ImproperlyConfigured

from valkey_cache.core import ignore
from valkey_cache.core.exceptions import ConfigurationError
from valkey_cache.core.memoize import Memoizer, memoize
from valkey_cache.core.near import near_class, near_settings
from valkey_cache.core.options import bool_option, int_option
from valkey_cache.core.timeouts import DEFAULT_TIMEOUT as CORE_DEFAULT_TIMEOUT

from .async_commands import AsyncBackendCommands
from .keyfunc import KeyFunc, validating
from .settings import DEFAULT_LOGGER, CacheConfig, cache_config, improperly_configured, redact
from .sync_commands import BackendCommands

Client = TypeVar("Client")
Backend = TypeVar("Backend")


class BaseValkeyCache(BaseCache, Generic[Client, Backend]):
    """Configuration, client construction and keys; the commands come from a mixin.

    ``client`` is built from ``OPTIONS["CLIENT_CLASS"]`` (default
    ``DEFAULT_CLIENT_CLASS``); the command methods, on the command mixin's class,
    forward to it.
    """

    DEFAULT_CLIENT_CLASS: ClassVar[str]
    #: Django's "use the default timeout" marker, understood by the core clients.
    DEFAULT_TIMEOUT_MARKER: ClassVar[Any] = DEFAULT_TIMEOUT

    raw_key_func: KeyFunc

    def __init__(self, server: Any, params: Mapping[str, Any]) -> None:
        super().__init__(dict(params))
        self._server = server
        self._params = params
        try:
            config = cache_config(type(self), server, params)
            self._config: CacheConfig = config
            # Stored behind the ``client`` property, not through it, so that a test that
            # patches ``ValkeyCache.client`` on the class is seen by caches it makes meanwhile.
            self._client = self._build_client(config.client_class, config.params)
        except ConfigurationError as exc:
            raise ImproperlyConfigured(improperly_configured(server, params, exc)) from exc

    def _set_client(self, client: Client) -> None:
        self._client = client

    #: The client (``OPTIONS["CLIENT_CLASS"]``). A property, so that tests can patch
    #: ``ValkeyCache.client``.
    client = property(attrgetter("_client"), _set_client)

    #: ``IGNORE_EXCEPTIONS`` as configured (OPTIONS, else ``DJANGO_VALKEY_IGNORE_EXCEPTIONS``).
    _ignore_exceptions = property(attrgetter("_config.ignore_exceptions"))

    @property
    def _log_ignored_exceptions(self) -> bool:
        """``LOG_IGNORED_EXCEPTIONS`` as configured (or ``DJANGO_VALKEY_LOG_IGNORED_EXCEPTIONS``)."""
        return bool_option(self._config.options, "LOG_IGNORED_EXCEPTIONS", False)

    @property
    def logger(self) -> logging.Logger | None:
        """The logger of ignored exceptions (``LOGGER``), None when they are not logged."""
        if not self._log_ignored_exceptions:
            return None
        return self._config.logger or logging.getLogger(self._config.options.get("LOGGER") or DEFAULT_LOGGER)

    @property
    def _default_scan_itersize(self) -> int:
        """``SCAN_ITERSIZE`` as configured (or ``DJANGO_VALKEY_SCAN_ITERSIZE``)."""
        return int_option(self._config.options, "SCAN_ITERSIZE", 100, 1) or 100

    def _build_client(self, client_class: type[Any], params: dict[str, Any]) -> Any:
        config = self._config
        if near_settings(config.options) is not None:
            client_class = near_class(client_class)
        if config.ignore_exceptions:
            client_class = ignore.tolerant(client_class)
        client = client_class(self._server, params, self)
        if config.ignore_exceptions:
            client.ignored_exceptions_logger = config.logger
        return client

    def get_client_class(self) -> type[Any]:
        return self._config.client_class

    @property
    def near_cache(self) -> Any:
        """The near cache (``NEAR_CACHE``) of this cache's client, or None when it is off."""
        return getattr(self._client, "near_cache", None)

    def near_cache_stats(self) -> dict[str, Any] | None:
        """The near cache's counters (hits, misses, invalidations, evictions, entries,
        bytes), or None when it is off."""
        near = self.near_cache
        return None if near is None else near.stats()

    # -- keys -----------------------------------------------------------------------

    #: The configured key function, also warning about memcached-unsafe keys. A plain
    #: attribute (the clients read it for every key they make, and CPython 3.11 reads a
    #: property 0.04 µs slower), so assigning it goes through :meth:`__setattr__`.
    key_func: KeyFunc

    def __setattr__(self, name: str, value: Any) -> None:
        if name == "key_func":
            # Django sets it in ``BaseCache.__init__``; its own tests swap it on a live
            # cache. Either way the function given is kept in raw_key_func and wrapped.
            object.__setattr__(self, "raw_key_func", value)
            overridden = type(self).validate_key is not BaseCache.validate_key
            value = validating(value, self.validate_key if overridden else None)
        object.__setattr__(self, name, value)

    def make_key(self, key: Any, version: Any = None, prefix: str | None = None) -> Any:
        return self.client.make_key(key, version=version, prefix=prefix)

    def make_pattern(self, pattern: Any, version: Any = None, prefix: str | None = None) -> Any:
        return self.client.make_pattern(pattern, version=version, prefix=prefix)

    def memoize(self, timeout: Any = CORE_DEFAULT_TIMEOUT, **kwargs: Any) -> Memoizer:
        """A decorator keeping a function's results in this cache (sync functions, or
        coroutine functions on the ``a``-methods): see ``valkey_cache.core.memoize``."""
        return memoize(self, timeout, **kwargs)

    def make_and_validate_key(self, key: Any, version: Any = None) -> Any:
        # make_key validates already (see key_func).
        return self.make_key(key, version=version)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {redact(self._server)} prefix={self.key_prefix!r}>"


async def close_async_caches(**kwargs: Any) -> None:
    """django-valkey 0.4's ``request_finished`` receiver: close every cache made so far.

    Valkey caches are closed with ``await cache.aclose()`` (this event loop's async
    connections too), the others with ``close()``. Unlike 0.4 it is not connected on
    import: Django's own ``close_caches`` closes these caches correctly from sync code
    (see ``django_valkey.closing``), and an async receiver would make every sync request
    end through ``async_to_sync``. Connect it yourself if you want it.
    """
    from django.core.cache import caches

    for cache in caches.all(initialized_only=True):
        if isinstance(cache, (BaseValkeyCache, BackendCommands, AsyncBackendCommands)):
            await cache.aclose()
        else:
            cache.close()


__all__ = ["AsyncBackendCommands", "BackendCommands", "BaseValkeyCache", "close_async_caches"]
