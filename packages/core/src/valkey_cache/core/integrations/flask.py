"""A Flask-Caching backend on :class:`valkey_cache.core.Cache`.

``CACHE_TYPE = "valkey_cache.core.integrations.flask.ValkeyCache"`` with
``CACHE_VALKEY_URL`` (one URL, a comma-separated string or a list), ``CACHE_KEY_PREFIX``,
``CACHE_DEFAULT_TIMEOUT`` and ``CACHE_OPTIONS`` (the core's options: ``CLIENT_CLASS``,
``SERIALIZER``, ``SIGNING_KEY``...). Every method keeps cachelib's meaning: a timeout of
0 never expires, ``None`` is the default, ``inc`` creates a missing key, and ``clear``
with a key prefix deletes only the keys under it. Needs the ``[flask]`` extra.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Mapping
from typing import Any

from flask import Flask
from flask_caching.backends.base import BaseCache

from ..exceptions import ConfigurationError
from ..facade import Cache

_URL_ACCEPTED = (
    "a valkey://, valkeys://, redis://, rediss:// or unix:// URL, a comma-separated string "
    "of them or a list (the first takes writes)"
)
_TIMEOUT_ACCEPTED = "a number of seconds >= 0 (0: never expire) or a datetime.timedelta"
# Flask-Caching hands these to every backend with CACHE_OPTIONS; they are not core options.
_FLASK_CACHING_ARGUMENTS = frozenset({"default_timeout", "ignore_delete_many_errors"})


def flask_key(key: Any, key_prefix: str, version: Any) -> str:
    """cachelib's key: the prefix, then the key (no separator, no version)."""
    return f"{key_prefix}{key}"


def _prefix_stripper(prefix: str) -> Callable[[str], str]:
    def strip(key: str) -> str:
        return key[len(prefix) :] if key.startswith(prefix) else key

    return strip


def _seconds(timeout: Any) -> float | None:
    """A timeout in seconds, None when it is not a finite number or a timedelta."""
    if isinstance(timeout, dt.timedelta):
        return timeout.total_seconds()
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not math.isfinite(timeout):
        return None
    return float(timeout)


def _default_timeout(value: Any) -> float | None:
    """``CACHE_DEFAULT_TIMEOUT`` as the core's default: 0 is None (never expire)."""
    seconds = _seconds(value)
    if seconds is None or seconds < 0:
        raise ConfigurationError("CACHE_DEFAULT_TIMEOUT", value, _TIMEOUT_ACCEPTED)
    return seconds or None


def _location(value: Any) -> str | list[str]:
    if isinstance(value, str) and value.strip():
        return value
    if isinstance(value, (list, tuple)) and value and all(isinstance(url, str) and url for url in value):
        return list(value)
    raise ConfigurationError("CACHE_VALKEY_URL", value, _URL_ACCEPTED)


def _options(value: Any) -> tuple[dict[str, Any], dict[str, str]]:
    """The core options (names in upper case) and the name each was given under."""
    if value is None:
        return {}, {}
    if not isinstance(value, Mapping) or not all(isinstance(name, str) for name in value):
        raise ConfigurationError(
            "CACHE_OPTIONS", value, "a dict of valkey-cache options (see docs/options.md)"
        )
    options: dict[str, Any] = {}
    given: dict[str, str] = {}
    for name, option in value.items():
        if name in _FLASK_CACHING_ARGUMENTS:
            continue
        options[name.upper()] = option
        given[name.upper()] = name
    return options, given


def _renamed(exc: ConfigurationError, name: str) -> ConfigurationError:
    """The same error (same class, same message) naming the Flask setting ``name``."""
    renamed: ConfigurationError = Exception.__new__(type(exc))
    renamed.__dict__.update(exc.__dict__)
    message = str(exc)
    if message.startswith(exc.option):
        message = name + message[len(exc.option) :]
    renamed.args = (message,)
    renamed.option = name
    return renamed


class ValkeyCache(BaseCache):
    """Flask-Caching backend: cachelib's API on a valkey-cache :class:`~valkey_cache.core.Cache`.

    ``ValkeyCache.factory`` builds it from the app's ``CACHE_*`` settings; it can also be
    built directly, with the settings' values as arguments. ``core`` is the
    :class:`~valkey_cache.core.Cache` behind it, for the Valkey extras (``ttl``,
    ``lock``, ``iter_keys``...).
    """

    def __init__(
        self,
        location: Any = None,
        default_timeout: float | dt.timedelta = 300,
        key_prefix: str | None = "",
        ignore_delete_many_errors: bool = False,
        options: Mapping[str, Any] | None = None,
    ) -> None:
        if key_prefix is None:
            key_prefix = ""
        if not isinstance(key_prefix, str):
            raise ConfigurationError("CACHE_KEY_PREFIX", key_prefix, "a string")
        timeout = _default_timeout(default_timeout)
        core_options, given = _options(options)
        core_options.setdefault("CLEAR_SCOPE", "prefix" if key_prefix else "database")
        core_options.setdefault("REVERSE_KEY_FUNCTION", _prefix_stripper(key_prefix))
        super().__init__(default_timeout=0, ignore_delete_many_errors=ignore_delete_many_errors)
        self.default_timeout = 0 if timeout is None else timeout  # type: ignore[assignment]
        self.key_prefix = key_prefix
        try:
            self.core = Cache(
                _location(location),
                timeout=timeout,
                key_prefix=key_prefix,
                key_func=flask_key,
                options=core_options,
            )
        except ConfigurationError as exc:
            if exc.option == "LOCATION":
                raise _renamed(exc, "CACHE_VALKEY_URL") from exc.__cause__
            if exc.option in given:
                raise _renamed(exc, f"CACHE_OPTIONS[{given[exc.option]!r}]") from exc.__cause__
            raise

    @classmethod
    def factory(
        cls, app: Flask, config: dict[str, Any], args: list[Any], kwargs: dict[str, Any]
    ) -> ValkeyCache:
        """Build the backend from the ``CACHE_*`` settings (Flask-Caching calls this)."""
        if args:
            raise ConfigurationError(
                "CACHE_ARGS",
                args,
                "an empty list (ValkeyCache reads CACHE_VALKEY_URL and CACHE_OPTIONS)",
                show_value=False,
            )
        location = config.get("CACHE_VALKEY_URL")
        if not location:
            hint = " (CACHE_REDIS_URL is set, but this backend reads CACHE_VALKEY_URL)"
            accepted = _URL_ACCEPTED + (hint if config.get("CACHE_REDIS_URL") else "")
            raise ConfigurationError("CACHE_VALKEY_URL", location, accepted)
        return cls(
            location,
            default_timeout=kwargs.get("default_timeout", config.get("CACHE_DEFAULT_TIMEOUT", 300)),
            key_prefix=config.get("CACHE_KEY_PREFIX", ""),
            ignore_delete_many_errors=bool(kwargs.get("ignore_delete_many_errors", False)),
            options=config.get("CACHE_OPTIONS"),
        )

    def _timeout(self, timeout: Any) -> float | None:
        """A cachelib timeout as the core's: None is the default, 0 never expires."""
        if timeout is None:
            return self.core.default_timeout
        seconds = _seconds(timeout)
        if seconds is None:
            raise TypeError(
                f"timeout must be a number of seconds, a datetime.timedelta or None, not {timeout!r}"
            )
        return seconds or None

    def get(self, key: str) -> Any:
        """The value, or None when the key is missing (or holds None)."""
        return self.core.get(key)

    def get_many(self, *keys: str) -> list[Any]:
        """The values in the order of ``keys``, None for each missing one (one MGET)."""
        if not keys:
            return []
        found = self.core.get_many(keys)
        return [found.get(key) for key in keys]

    def set(self, key: str, value: Any, timeout: float | dt.timedelta | None = None) -> bool:
        """Store ``value``; True when stored (False for a negative timeout: not kept)."""
        return bool(self.core.set(key, value, self._timeout(timeout)))

    def add(self, key: str, value: Any, timeout: float | dt.timedelta | None = None) -> bool:
        """Store only when the key is absent; True when stored."""
        return bool(self.core.add(key, value, self._timeout(timeout)))

    def set_many(self, mapping: Mapping[str, Any], timeout: float | dt.timedelta | None = None) -> list[Any]:
        """Store every pair in one round trip; returns the keys stored."""
        expiry = self._timeout(timeout)
        failed = set(self.core.set_many(mapping, expiry) or ()) if mapping else set()
        if expiry is not None and expiry < 0:
            return []
        return [key for key in mapping if key not in failed]

    def delete(self, key: str) -> bool:
        """Delete ``key``; True when it existed."""
        return bool(self.core.delete(key))

    def delete_many(self, *keys: str) -> list[Any]:
        """Delete the keys in one call; returns them all (a missing key counts as deleted)."""
        if keys:
            self.core.delete_many(keys)
        return list(keys)

    def has(self, key: str) -> bool:
        """Whether the key exists, without reading its value."""
        return bool(self.core.has_key(key))

    def clear(self) -> bool:
        """Delete this cache's keys (all of the database when there is no key prefix)."""
        return bool(self.core.clear())

    def inc(self, key: str, delta: int = 1) -> Any:
        """Add ``delta`` atomically; a missing key starts from 0 (and never expires)."""
        return self.core.incr(key, delta, ignore_key_check=True)

    def dec(self, key: str, delta: int = 1) -> Any:
        """Subtract ``delta`` atomically; a missing key starts from 0 (and never expires)."""
        return self.core.incr(key, -delta, ignore_key_check=True)

    def close(self) -> None:
        """Close the core cache (disconnects only with ``CLOSE_CONNECTION``)."""
        self.core.close()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.core!r}>"


__all__ = ["ValkeyCache", "flask_key"]
