"""Django settings to core options, in one place, parsed once per configuration.

django-valkey users configure some behaviour with global settings
(``DJANGO_VALKEY_*``, ``CACHE_*``, the compressor settings); the core reads plain
``OPTIONS`` keys. :func:`merged_options` copies each global setting that is set into
the options under the core's name, unless ``OPTIONS`` already has that key.

Django creates a cache instance per thread and per async context, so
:func:`cache_config` parses and validates a ``CACHES`` entry once and hands every
later instance the same :class:`CacheConfig`.
"""

from __future__ import annotations

import functools
import inspect
import logging
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from valkey_cache.core.client.asynchronous import AsyncClientCommands
from valkey_cache.core.client.base import DEFAULT_COMPRESSOR, split_locations
from valkey_cache.core.exceptions import ConfigurationError
from valkey_cache.core.imports import build_component, import_string, resolve_class
from valkey_cache.core.near import near_settings
from valkey_cache.core.options import bool_option
from valkey_cache.core.redaction import redact_url, redact_value
from valkey_cache.core.signing import signing_mode, signing_serializer

#: Global settings of django-valkey 0.4 and the option each one provides.
GLOBAL_SETTINGS: Final[dict[str, str]] = {
    "DJANGO_VALKEY_CLOSE_CONNECTION": "CLOSE_CONNECTION",
    "DJANGO_VALKEY_SCAN_ITERSIZE": "SCAN_ITERSIZE",
    "DJANGO_VALKEY_IGNORE_EXCEPTIONS": "IGNORE_EXCEPTIONS",
    "DJANGO_VALKEY_LOG_IGNORED_EXCEPTIONS": "LOG_IGNORED_EXCEPTIONS",
    "DJANGO_VALKEY_LOGGER": "LOGGER",
    "CACHE_HERD_TIMEOUT": "HERD_TIMEOUT",
    "CACHE_COMPRESS_LEVEL": "COMPRESS_LEVEL",
    "CACHE_COMPRESS_MIN_LENGTH": "COMPRESS_MIN_LENGTH",
}

#: Chooses the connection factory when OPTIONS has no CONNECTION_FACTORY.
CONNECTION_FACTORY_SETTING: Final = "DJANGO_VALKEY_CONNECTION_FACTORY"

#: Option names django-valkey 0.4 also read, and the name they stand for.
OPTION_ALIASES: Final[dict[str, str]] = {
    "LOG_IGNORE_EXCEPTIONS": "LOG_IGNORED_EXCEPTIONS",
    "PARSER_CLS": "PARSER_CLASS",
}

#: Options read by this package (not by the core), with what they accept.
DJANGO_OPTIONS: Final[dict[str, str]] = {
    "ASYNC_CLIENT_CLASS": "dotted path of the async client behind ValkeyCache's a-methods",
    "ASYNC_CONNECTION_FACTORY": "connection factory of that async client",
    "ASYNC_CONNECTION_POOL_CLASS": "connection pool class of that async client",
    "ASYNC_BASE_CLIENT_CLASS": "valkey.asyncio client class of that async client",
    "ASYNC_PARSER_CLASS": "RESP parser class of that async client",
    "ASYNC_CONNECTION_POOL_KWARGS": "connection pool keyword arguments of that async client",
    # Read by Django's BaseCache and ignored by Valkey; accepted so checks stay quiet.
    "MAX_ENTRIES": "ignored (Valkey evicts by its own maxmemory policy)",
    "CULL_FREQUENCY": "ignored (Valkey evicts by its own maxmemory policy)",
    **dict.fromkeys(OPTION_ALIASES, "an alias kept for django-valkey 0.4 settings"),
}

DEFAULT_LOGGER: Final = "django_valkey.base"
#: The core's pickle serializer under 0.4's path, so ``isinstance`` checks on
#: ``cache.client._serializer`` against django_valkey's class hold, as in 0.4.
DJANGO_DEFAULT_SERIALIZER: Final = "django_valkey.serializers.pickle.PickleSerializer"

#: Salt of the value-signing key derived from ``SECRET_KEY`` with ``salted_hmac``.
SIGNING_SALT: Final = "django_valkey.signing.cache-value-mac"

# Options naming a class that must match the client's kind (sync or async), and a
# method whose being a coroutine function tells an async class from a sync one.
_KIND_PROBES: Final[dict[str, str]] = {
    "CONNECTION_FACTORY": "connect",
    "CONNECTION_POOL_CLASS": "get_connection",
    "BASE_CLIENT_CLASS": "execute_command",
    "PARSER_CLASS": "read_response",
}

# Sync classes whose async counterpart lives elsewhere than valkey.asyncio. A client
# class not listed takes the counterpart of its nearest listed base class.
_ASYNC_TWINS: Final[dict[str, str]] = {
    # connection factories
    "django_valkey.pool.ConnectionFactory": "django_valkey.async_cache.pool.AsyncConnectionFactory",
    "django_valkey.pool.SentinelConnectionFactory": (
        "django_valkey.async_cache.pool.AsyncSentinelConnectionFactory"
    ),
    "django_valkey.cluster_cache.pool.ClusterConnectionFactory": (
        "django_valkey.async_cache.cluster_cache.pool.AsyncClusterConnectionFactory"
    ),
    "valkey_cache.core.pool.ConnectionFactory": "valkey_cache.core.async_pool.AsyncConnectionFactory",
    "valkey_cache.core.sentinel_pool.SentinelConnectionFactory": (
        "valkey_cache.core.sentinel_pool.AsyncSentinelConnectionFactory"
    ),
    "valkey_cache.core.cluster_pool.ClusterConnectionFactory": (
        "valkey_cache.core.cluster_pool.AsyncClusterConnectionFactory"
    ),
    # clients
    "django_valkey.client.default.DefaultClient": (
        "django_valkey.async_cache.client.default.AsyncDefaultClient"
    ),
    "django_valkey.client.herd.HerdClient": "django_valkey.async_cache.client.herd.AsyncHerdClient",
    "django_valkey.client.sharded.ShardClient": "django_valkey.async_cache.client.sharded.AsyncShardClient",
    "django_valkey.client.sentinel.SentinelClient": (
        "django_valkey.async_cache.client.sentinel.AsyncSentinelClient"
    ),
    "django_valkey.cluster_cache.client.default.DefaultClusterClient": (
        "django_valkey.async_cache.cluster_cache.client.AsyncDefaultClusterClient"
    ),
    "valkey_cache.core.client.default.DefaultClient": "valkey_cache.core.client.default.AsyncDefaultClient",
    "valkey_cache.core.client.herd.HerdClient": "valkey_cache.core.client.herd.AsyncHerdClient",
    "valkey_cache.core.client.shard.ShardClient": "valkey_cache.core.client.shard.AsyncShardClient",
    "valkey_cache.core.client.sentinel.SentinelClient": (
        "valkey_cache.core.client.sentinel.AsyncSentinelClient"
    ),
    "valkey_cache.core.client.cluster.ClusterClient": "valkey_cache.core.client.cluster.AsyncClusterClient",
}

# Options the async client of a sync cache may refuse (the asyncio cluster client takes
# no pool class, and only max_connections): dropped for it, and reported by the checks.
_ASYNC_DROPPABLE: Final = ("CONNECTION_POOL_CLASS", "CONNECTION_POOL_KWARGS")

DEFAULT_ASYNC_CLIENT: Final = "django_valkey.async_cache.client.default.AsyncDefaultClient"


class _Unset:
    __slots__ = ()

    def __repr__(self) -> str:
        return "<unset>"


UNSET: Final[Any] = _Unset()


class ParsedOptions(dict[str, Any]):
    """Options of a :class:`CacheConfig`: built once, never changed afterwards.

    Connection factories built from the same ``ParsedOptions`` are shared.
    """


@functools.cache
def global_settings_map() -> dict[str, str]:
    """Every global setting that maps to an option (compressor settings included)."""
    try:
        from valkey_cache.compressors.settings_map import DJANGO_SETTINGS_MAP
    except ImportError:
        return dict(GLOBAL_SETTINGS)
    return {**DJANGO_SETTINGS_MAP, **GLOBAL_SETTINGS}


# (settings object, {setting name: value}) for the settings in force. A missing Django
# setting costs an AttributeError per lookup, so they are read once per settings
# object; override_settings() swaps that object, so overrides are seen.
_GLOBALS: tuple[Any, dict[str, Any], str] = (None, {}, "")


def global_values() -> dict[str, Any]:
    """The global settings this package reads that are set, by name."""
    return _globals()[1]


def _globals() -> tuple[Any, dict[str, Any], str]:
    global _GLOBALS
    wrapped = getattr(settings, "_wrapped", None)
    if _GLOBALS[0] is wrapped and wrapped is not None:
        return _GLOBALS
    values = {}
    for name in (*global_settings_map(), CONNECTION_FACTORY_SETTING):
        value = getattr(settings, name, UNSET)
        if value is not UNSET:
            values[name] = value
    _GLOBALS = (wrapped, values, repr(values))
    return _GLOBALS


def merged_options(options: Mapping[str, Any], names: Mapping[str, str]) -> ParsedOptions:
    """``options`` with aliases renamed and the global settings filled in; OPTIONS win."""
    merged = ParsedOptions()
    for name, value in options.items():
        merged[OPTION_ALIASES.get(name, name)] = value
    values = global_values()
    for setting_name, option in names.items():
        if setting_name in values and option not in merged:
            merged[option] = values[setting_name]
    return merged


def connection_factory_setting(client: Any, base: str | None = None) -> str | None:
    """``DJANGO_VALKEY_CONNECTION_FACTORY`` when it suits ``client``, else None.

    One site may hold sync and async caches, and caches of several topologies; the
    global factory applies to the clients of its own kind (sync or async) and, when
    ``base`` names a factory class, only if it is a subclass of it (a sentinel or
    cluster client needs a factory of its topology). The others keep their
    ``CONNECTION_FACTORY_PATH``.
    """
    path = global_values().get(CONNECTION_FACTORY_SETTING)
    if not path:
        return None
    factory = resolve_class(CONNECTION_FACTORY_SETTING, path)
    if is_async_class(factory, "connect") != isinstance(client, AsyncClientCommands):
        return None
    if base is not None and not issubclass(factory, import_string(base)):
        return None
    return path if isinstance(path, str) else f"{factory.__module__}.{factory.__qualname__}"


def is_async_class(cls: Any, probe: str) -> bool:
    return inspect.iscoroutinefunction(getattr(cls, probe, None))


def redact(location: Any) -> str:
    """A LOCATION for messages: any password in a URL replaced by ``***``."""
    try:
        parts = split_locations(location)
    except ConfigurationError:
        return repr(redact_value("LOCATION", location))
    return ",".join(redact_url(part) for part in parts)


def describe_error(exc: ConfigurationError) -> str:
    """``exc`` as a message: option, value (secrets hidden) and what is accepted."""
    return str(exc)


def alias_of(server: Any, params: Mapping[str, Any]) -> str | None:
    """The ``CACHES`` alias configured with this LOCATION and these parameters."""
    for alias, conf in getattr(settings, "CACHES", {}).items():
        if conf.get("LOCATION", "") != server:
            continue
        if all(conf.get(name) == value for name, value in params.items()):
            return str(alias)
    return None


def improperly_configured(server: Any, params: Mapping[str, Any], exc: ConfigurationError) -> str:
    alias = alias_of(server, params)
    where = f"CACHES[{alias!r}]" if alias is not None else f"Valkey cache at {redact(server)}"
    return f"{where}: {describe_error(exc)}"


# -- the parsed configuration ------------------------------------------------------------


@dataclass(frozen=True)
class CacheConfig:
    """A ``CACHES`` entry parsed and validated: what each cache instance is built from."""

    client_class: type[Any]
    params: dict[str, Any]
    user_options: Mapping[str, Any]
    options: dict[str, Any]
    ignore_exceptions: bool
    close_connection: bool
    logger: logging.Logger | None
    async_client_class: type[Any] | None = None
    async_params: dict[str, Any] | None = None
    #: (option, value) pairs the async client could not use (see ``async_options``).
    async_dropped: tuple[tuple[str, Any], ...] = field(default=())

    def __repr__(self) -> str:
        options = redact_value("OPTIONS", dict(self.user_options))
        return f"<CacheConfig {self.client_class.__qualname__} OPTIONS={options!r}>"


_CONFIGS: dict[tuple[Any, ...], CacheConfig] = {}
_CONFIGS_LOCK = threading.Lock()
_MAX_CONFIGS = 256


def cache_config(cache_class: type[Any], server: Any, params: Mapping[str, Any]) -> CacheConfig:
    """The :class:`CacheConfig` of a ``CACHES`` entry, built once per distinct entry.

    Raises :class:`ConfigurationError` naming the option that is wrong.
    """
    names = global_settings_map()
    key = (cache_class, repr(server), repr(params), _globals()[2], _signing_secrets(params))
    config = _CONFIGS.get(key)
    if config is None:
        config = build_config(cache_class, server, params, names)
        with _CONFIGS_LOCK:
            if len(_CONFIGS) >= _MAX_CONFIGS:
                _CONFIGS.clear()
            _CONFIGS[key] = config
    return config


def build_config(
    cache_class: type[Any], server: Any, params: Mapping[str, Any], names: Mapping[str, str]
) -> CacheConfig:
    split_locations(server)
    user_options = params.get("OPTIONS") or {}
    if not isinstance(user_options, Mapping):
        raise ConfigurationError("OPTIONS", user_options, "a dict of options")
    options = merged_options(user_options, names)
    client_class = resolve_class(
        "CLIENT_CLASS", options.get("CLIENT_CLASS") or cache_class.DEFAULT_CLIENT_CLASS
    )
    # Serializer and compressor are stateless: build them once for every instance.
    options["SERIALIZER"] = signing_serializer(
        build_component(
            "SERIALIZER", options.get("SERIALIZER") or DJANGO_DEFAULT_SERIALIZER, options, ("dumps", "loads")
        ),
        options,
        secret_key_signing_keys(options),
    )
    options["COMPRESSOR"] = build_component(
        "COMPRESSOR",
        options.get("COMPRESSOR") or DEFAULT_COMPRESSOR,
        options,
        ("compress", "decompress"),
    )
    ignore = bool_option(options, "IGNORE_EXCEPTIONS", False)
    near_settings(options)
    logger = None
    if ignore and bool_option(options, "LOG_IGNORED_EXCEPTIONS", False):
        logger = logging.getLogger(options.get("LOGGER") or DEFAULT_LOGGER)
    config_params = {**params, "OPTIONS": options}
    # Building a client checks every option it reads; it opens no connection.
    probe_client(client_class, server, config_params)
    async_class = async_params = None
    dropped: tuple[tuple[str, Any], ...] = ()
    if getattr(cache_class, "NATIVE_ASYNC", False):
        async_class = async_client_class(options, client_class)
        async_opts, dropped = async_options(options)
        async_params = {**params, "OPTIONS": async_opts}
        dropped += probe_async_client(async_class, server, async_params, options)
    return CacheConfig(
        client_class=client_class,
        params=config_params,
        user_options=user_options,
        options=options,
        ignore_exceptions=ignore,
        close_connection=bool_option(options, "CLOSE_CONNECTION", False),
        logger=logger,
        async_client_class=async_class,
        async_params=async_params,
        async_dropped=dropped,
    )


def secret_key_signing_keys(options: Mapping[str, Any]) -> list[bytes]:
    """Signing keys derived from ``SECRET_KEY`` then ``SECRET_KEY_FALLBACKS``, when
    ``SIGNING`` is on and no ``SIGNING_KEY`` is given; else none."""
    if options.get("SIGNING_KEY") is not None or signing_mode(options, False) is None:
        return []
    from django.utils.crypto import salted_hmac

    secrets = _secrets()
    if not secrets:
        raise ConfigurationError(
            "SIGNING", options.get("SIGNING"), "False, or a SIGNING_KEY when settings.SECRET_KEY is empty"
        )
    return [salted_hmac(SIGNING_SALT, b"", secret=secret, algorithm="sha256").digest() for secret in secrets]


def _secrets() -> tuple[Any, ...]:
    """``SECRET_KEY`` and ``SECRET_KEY_FALLBACKS`` (Django 4.1+); empty without a key."""
    try:
        secret = settings.SECRET_KEY
    except ImproperlyConfigured:
        return ()
    if not secret:
        return ()
    return (secret, *getattr(settings, "SECRET_KEY_FALLBACKS", ()))


def _signing_secrets(params: Mapping[str, Any]) -> tuple[Any, ...]:
    """The secrets a configuration's signing keys derive from (part of its cache key)."""
    options = params.get("OPTIONS")
    if not isinstance(options, Mapping) or options.get("SIGNING") in (None, False):
        return ()
    if options.get("SIGNING_KEY") is not None:
        return ()
    return _secrets()


def probe_client(client_class: type[Any], server: Any, params: Mapping[str, Any]) -> Any:
    """A client built only to validate options (it opens no connection)."""
    return client_class(server, params, _Probe(params))


def probe_async_client(
    client_class: type[Any], server: Any, params: dict[str, Any], options: Mapping[str, Any]
) -> tuple[tuple[str, Any], ...]:
    """Validate the async client of a sync cache; an option it refuses that was given
    for the sync client (not as ``ASYNC_<NAME>``) is dropped from ``params["OPTIONS"]``.

    Returns the dropped ``(option, value)`` pairs.
    """
    dropped: list[tuple[str, Any]] = []
    while True:
        try:
            probe_client(client_class, server, params)
        except ConfigurationError as exc:
            name, async_opts = exc.option, params["OPTIONS"]
            if name not in _ASYNC_DROPPABLE or name not in async_opts or options.get(f"ASYNC_{name}"):
                raise
            dropped.append((name, options.get(name)))
            # A new object: factories are shared per options object.
            params["OPTIONS"] = ParsedOptions({k: v for k, v in async_opts.items() if k != name})
            continue
        return tuple(dropped)


class _Probe:
    """Stands in for the cache while a client is built only to validate options."""

    def __init__(self, params: Mapping[str, Any]) -> None:
        self.key_prefix = params.get("KEY_PREFIX", "")
        self.version = params.get("VERSION", 1)
        self.default_timeout = 300

    @staticmethod
    def key_func(key: Any, prefix: str, version: Any) -> str:
        return f"{prefix}:{version}:{key}"


# -- the async twin of a sync cache's options --------------------------------------------


def async_client_class(options: Mapping[str, Any], client_class: type[Any]) -> type[Any]:
    """``ASYNC_CLIENT_CLASS``, else the async twin of the sync ``client_class`` (of its
    nearest base class that has one: a subclass of ``ShardClient`` gets
    ``AsyncShardClient``), else the default."""
    explicit = options.get("ASYNC_CLIENT_CLASS")
    if explicit:
        return resolve_class("ASYNC_CLIENT_CLASS", explicit)
    if issubclass(client_class, AsyncClientCommands):
        return client_class
    for cls in client_class.__mro__:
        twin = _ASYNC_TWINS.get(f"{cls.__module__}.{cls.__qualname__}")
        if twin:
            return resolve_class("CLIENT_CLASS", twin)
    return resolve_class("ASYNC_CLIENT_CLASS", DEFAULT_ASYNC_CLIENT)


def async_options(
    options: Mapping[str, Any],
) -> tuple[ParsedOptions, tuple[tuple[str, Any], ...]]:
    """Options for the async client of a sync cache.

    ``ASYNC_<NAME>`` wins; a sync class is replaced by its asyncio counterpart
    (``valkey.connection.ConnectionPool`` -> ``valkey.asyncio.connection.ConnectionPool``);
    a sync class without one is dropped, and reported by the system checks.
    """
    result = ParsedOptions(options)
    dropped: list[tuple[str, Any]] = []
    explicit_kwargs = options.get("ASYNC_CONNECTION_POOL_KWARGS")
    if explicit_kwargs is not None:
        result["CONNECTION_POOL_KWARGS"] = explicit_kwargs
    for name, probe in _KIND_PROBES.items():
        explicit = options.get(f"ASYNC_{name}")
        if explicit:
            result[name] = explicit
            continue
        value = options.get(name)
        if not value:
            continue
        twin = async_twin(name, value, probe)
        if twin is None:
            del result[name]
            dropped.append((name, value))
        else:
            result[name] = twin
    return result, tuple(dropped)


def async_twin(option: str, value: Any, probe: str) -> Any:
    cls = resolve_class(option, value)
    if is_async_class(cls, probe):
        return value
    path = f"{cls.__module__}.{cls.__qualname__}"
    for candidate in _twin_candidates(path):
        try:
            found = import_string(candidate)
        except ImportError:
            continue
        if is_async_class(found, probe):
            return candidate
    return None


def _twin_candidates(path: str) -> list[str]:
    known = _ASYNC_TWINS.get(path)
    if known:
        return [known]
    module, _, name = path.rpartition(".")
    if not module.startswith("valkey.") or module.startswith("valkey.asyncio"):
        return []
    async_module = "valkey.asyncio." + module.removeprefix("valkey.")
    async_name = f"_Async{name[1:]}" if name.startswith("_") else f"Async{name}"
    return [
        f"{async_module}.{name}",
        f"{module}.{async_name}",
        f"{async_module}.{async_name}",
    ]
