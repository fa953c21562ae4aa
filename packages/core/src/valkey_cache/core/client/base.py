"""State every client shares: locations, options, serializer, compressor, key making."""

from __future__ import annotations

import logging
import math
import random
from collections.abc import Callable, Iterable, Mapping
from typing import Any, ClassVar, Generic, TypeVar
from urllib.parse import parse_qsl, unquote, urlparse

from valkey._parsers.url_parser import URL_QUERY_ARGUMENT_PARSERS

from ..codec import make_decoder, make_encoder
from ..commands.protocol import MISS, CacheSettings
from ..exceptions import ConfigurationError, DecompressionLimitExceeded, SerializerError
from ..imports import build_component, resolve_class
from ..keys import CacheKey, default_key_func, default_reverse_key, make_key, make_keys, make_pattern
from ..options import bool_option, choice_option, int_option
from ..pool import get_connection_factory
from ..signing import SIGNING_OPTIONS, signing_serializer
from ..timeouts import DEFAULT_TIMEOUT, to_milliseconds

Backend = TypeVar("Backend")

logger = logging.getLogger("valkey_cache")

DEFAULT_SERIALIZER = "valkey_cache.core.serializer.PickleSerializer"
DEFAULT_COMPRESSOR = "valkey_cache.core.compressor.IdentityCompressor"

#: Values of ``CLEAR_SCOPE``: FLUSHDB, or only the keys under the cache's prefix.
CLEAR_SCOPES = ("database", "prefix")

CLIENT_OPTIONS: dict[str, str] = {
    "CLIENT_CLASS": "dotted path of the client class",
    "SERIALIZER": "dotted path, class or instance of the serializer",
    "COMPRESSOR": "dotted path, class or instance of the compressor",
    "REPLICA_READ_ONLY": "False lets writes fall back to another location (bool, default True)",
    "CLOSE_CONNECTION": "close() disconnects the pools (bool, default False)",
    "SCAN_ITERSIZE": "keys asked per SCAN step (integer >= 1, default 100)",
    "USE_UNLINK": "delete with UNLINK instead of DEL (bool, default True)",
    "IGNORE_EXCEPTIONS": "a server outage makes reads misses and writes no-ops (bool)",
    "LOG_IGNORED_EXCEPTIONS": "log the exceptions that IGNORE_EXCEPTIONS hides (bool)",
    "LOGGER": "logger name for ignored exceptions (default 'valkey_cache')",
    "REVERSE_KEY_FUNCTION": "dotted path of the function that undoes the key function",
    "CLEAR_SCOPE": "what clear() empties: 'database' (FLUSHDB, default) or 'prefix' (this cache's keys)",
    "NEAR_CACHE": "keep hot values in process, kept coherent by CLIENT TRACKING (bool or dict)",
    **SIGNING_OPTIONS,
}


def split_locations(server: Any) -> list[str]:
    if isinstance(server, str):
        locations = [part.strip() for part in server.split(",") if part.strip()]
    elif isinstance(server, Iterable):
        locations = [str(part) for part in server]
    else:
        locations = []
    if not locations:
        raise ConfigurationError(
            "LOCATION", server, "a URL such as 'valkey://127.0.0.1:6379/0', or a list of URLs"
        )
    for location in locations:
        check_location(location)
    return locations


#: URL schemes valkey-py connects with.
LOCATION_SCHEMES = ("valkey", "valkeys", "redis", "rediss", "unix")

_LOCATION_ACCEPTED = (
    "a URL such as 'valkey://127.0.0.1:6379/0' or 'unix:///path/to.sock?db=0', with scheme "
    + ", ".join(LOCATION_SCHEMES)
)


def check_location(location: str) -> None:
    """Raise :class:`ConfigurationError` for a LOCATION URL valkey-py would refuse later.

    Checks the scheme, the port, the database (path or ``?db=``) and the query parameters
    valkey-py converts (``socket_timeout=``, ...); the message hides any password.
    """
    try:
        parsed = urlparse(location)
        port = parsed.port
    except ValueError as exc:
        raise ConfigurationError("LOCATION", location, f"{_LOCATION_ACCEPTED} and a numeric port") from exc
    scheme = parsed.scheme.lower()
    if scheme not in LOCATION_SCHEMES or (scheme != "unix" and not location[len(scheme) :].startswith("://")):
        raise ConfigurationError("LOCATION", location, _LOCATION_ACCEPTED)
    if port is not None and not 0 < port < 65536:
        raise ConfigurationError("LOCATION", location, f"{_LOCATION_ACCEPTED} and a port from 1 to 65535")
    db = unquote(parsed.path).replace("/", "") if scheme != "unix" else ""
    if db and not db.isdigit():
        accepted = f"{_LOCATION_ACCEPTED}; the path is the database number"
        raise ConfigurationError("LOCATION", location, accepted)
    for name, value in parse_qsl(parsed.query, keep_blank_values=True):
        convert = URL_QUERY_ARGUMENT_PARSERS.get(name)
        if convert is None:
            continue
        accepted = f"{_LOCATION_ACCEPTED}; ?{name}= takes " + ("an integer" if convert is int else "a number")
        try:
            number = convert(unquote(value))
        except (TypeError, ValueError) as exc:
            raise ConfigurationError("LOCATION", location, accepted) from exc
        if isinstance(number, float) and not math.isfinite(number):
            raise ConfigurationError("LOCATION", location, accepted)


def _each_made(client: Any, keys: Iterable[Any], version: Any = None) -> list[Any]:
    """``make_keys`` of a client with its own ``make_key``: that, key by key."""
    return [client.make_key(key, version) for key in keys]


class BaseClient(Generic[Backend]):
    """Connection handling and encoding; the commands come from a commands mixin.

    ``server`` is one URL, a comma-separated string or a list: the first location
    takes writes, reads go to the others. ``params`` holds ``OPTIONS``; ``backend`` is
    the owner that supplies ``key_func``, ``key_prefix``, ``version`` and
    ``default_timeout``.
    """

    CONNECTION_FACTORY_PATH: ClassVar[str] = "valkey_cache.core.pool.ConnectionFactory"
    OPTIONS: ClassVar[frozenset[str]] = frozenset(CLIENT_OPTIONS)
    #: ``SCAN_ITERSIZE``; also a class default, for subclasses that skip ``__init__``.
    _scan_itersize: int = 100
    #: ``(prefix, version, "prefix:version:")`` of the owner, as ``server_key`` last made it.
    _key_head: tuple[Any, Any, str] = (object(), object(), "")
    #: Whether the rewritten commands may call the one connection (``_inline_ok``).
    _inline: bool = False

    def __init__(self, server: Any, params: Mapping[str, Any], backend: Any) -> None:
        self._server: list[str] = split_locations(server)
        self._params = params
        self._backend = backend
        options = params.get("OPTIONS") or {}
        if not isinstance(options, Mapping):
            raise ConfigurationError("OPTIONS", options, "a dict of options")
        self._options: Mapping[str, Any] = options
        reverse = params.get("REVERSE_KEY_FUNCTION") or options.get("REVERSE_KEY_FUNCTION")
        self.reverse_key = resolve_callable("REVERSE_KEY_FUNCTION", reverse, default_reverse_key)
        self._clients: list[Backend | None] = [None] * len(self._server)
        # The class's ``_inline_ok``, which the rewritten commands read on every call:
        # on CPython 3.11 an instance attribute reads faster than a class one.
        self._inline = bool(getattr(type(self), "_inline_ok", False))
        self._replica_read_only = bool_option(options, "REPLICA_READ_ONLY", True)
        self._close_connection = bool_option(options, "CLOSE_CONNECTION", False)
        self._scan_itersize = int_option(options, "SCAN_ITERSIZE", 100, 1) or 100
        self.delete_command = "unlink" if bool_option(options, "USE_UNLINK", True) else "delete"
        self.clear_prefix = choice_option(options, "CLEAR_SCOPE", "database", CLEAR_SCOPES) == "prefix"
        self._serializer: Any = signing_serializer(
            build_component(
                "SERIALIZER",
                options.get("SERIALIZER") or DEFAULT_SERIALIZER,
                options,
                ("dumps", "loads"),
            ),
            options,
        )
        self._compressor: Any = build_component(
            "COMPRESSOR",
            options.get("COMPRESSOR") or DEFAULT_COMPRESSOR,
            options,
            ("compress", "decompress"),
        )
        self._encode = make_encoder(self._serializer, self._compressor)
        self._decode = make_decoder(self._serializer, self._compressor)
        cls = type(self)
        #: What the commands encode and decode with: the codec's functions, specialised
        #: for the serializer and compressor (a call costs no method frame), or the
        #: subclass's own ``encode``/``decode`` when it has them.
        self.encoder: Callable[[Any], bytes | int | float] = (
            self._encode if cls.encode is BaseClient.encode else self.encode
        )
        self.decoder: Callable[[bytes], Any] = (
            self._decode if cls.decode is BaseClient.decode else self.decode
        )
        self._default_marker = getattr(backend, "DEFAULT_TIMEOUT_MARKER", DEFAULT_TIMEOUT)
        self.connection_factory = get_connection_factory(self.connection_factory_path(), options)
        check_locations = getattr(self.connection_factory, "check_locations", None)
        if check_locations is not None:
            check_locations(self._server)

    @property
    def scan_itersize(self) -> int:
        """Keys asked per SCAN step (``SCAN_ITERSIZE``; 0.4 names it ``_scan_itersize``)."""
        return self._scan_itersize

    @property
    def settings(self) -> CacheSettings:
        """The owner whose key function, prefix, version and default timeout apply."""
        return self._backend  # type: ignore[no-any-return]

    def connection_factory_path(self) -> str:
        """The factory used when ``CONNECTION_FACTORY`` is not in the options."""
        return self.CONNECTION_FACTORY_PATH

    def _has_compression_enabled(self) -> bool:
        """Whether values are compressed: a ``COMPRESSOR`` other than the identity one."""
        return bool(getattr(self._compressor, "compresses", True))

    def _close_requested(self) -> bool:
        """Whether ``close()`` disconnects: ``CLOSE_CONNECTION`` as the options say now."""
        return bool_option(self._options, "CLOSE_CONNECTION", self._close_connection)

    def get_next_client_index(self, write: bool = True, tried: list[int] | None = None) -> int:
        """Index of the location to use: 0 for writes, a replica for reads."""
        count = len(self._server)
        if write or count == 1:
            return 0
        if tried:
            untried = [i for i in range(count) if i not in tried]
            if untried:
                return random.choice(untried)
        return random.randint(1, count - 1)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # A subclass written for django-valkey 0.4 changes keys by overriding make_key:
        # the commands, which ask server_key and make_keys, then ask it.
        if "make_key" in cls.__dict__:
            if "server_key" not in cls.__dict__:
                cls.server_key = cls.make_key  # type: ignore[method-assign]
            if "make_keys" not in cls.__dict__:
                cls.make_keys = _each_made  # type: ignore[method-assign, assignment]

    def make_key(self, key: Any, version: Any = None, prefix: str | None = None) -> Any:
        """The stored key: ``key`` through the key function, with the prefix and version.

        A :class:`CacheKey`, which no later call makes again; one given is returned as is.
        """
        if isinstance(key, CacheKey):
            return key
        return CacheKey(BaseClient.server_key(self, key, version, prefix))

    def server_key(self, key: Any, version: Any = None, prefix: str | None = None) -> str:
        """:meth:`make_key` as a plain ``str``: what the commands send.

        Their keys go to the server and into log lines, never back through a key
        function, and wrapping each in :class:`CacheKey` costs about as much as making it.
        This runs once per key of every command: for a ``str`` key and the default key
        function (or one that checks the default key: ``check_made_keys`` in ``keys``),
        the owner's ``prefix:version:`` is kept, made again only when the owner's prefix
        or version is another object, and the key is appended.
        """
        backend = self._backend
        key_func = backend.key_func
        if type(key) is str and (
            key_func is default_key_func or (check := getattr(key_func, "check_made_keys", None)) is not None
        ):
            if version is None and prefix is None:
                head = self._key_head
                if not (head[0] is backend.key_prefix and head[1] is backend.version):
                    head = (backend.key_prefix, backend.version, f"{backend.key_prefix}:{backend.version}:")
                    if type(self).server_key is BaseClient.server_key:
                        # Kept only for the stock rule: the rewritten commands make their
                        # keys from it (drivers.inline._KEY) without asking server_key.
                        self._key_head = head
                made_here = head[2] + key
            else:
                made_here = (
                    f"{backend.key_prefix if prefix is None else prefix}:"
                    f"{backend.version if version is None else version}:{key}"
                )
            if key_func is not default_key_func:  # the default format, checked (see keys)
                check([made_here])  # type: ignore[misc]  # bound by the test above
            return made_here
        if isinstance(key, CacheKey):
            return key
        version = backend.version if version is None else version
        prefix = backend.key_prefix if prefix is None else prefix
        try:
            made = key_func(key, prefix, version)
        except TypeError:
            return make_key(key, key_func, version, prefix)  # raises, naming the key
        return made if type(made) is str else CacheKey(made)

    def make_keys(self, keys: Iterable[Any], version: Any = None) -> list[Any]:
        """``make_key`` for a batch, reading the owner's settings once."""
        backend = self._backend
        return make_keys(
            keys, backend.key_func, backend.version if version is None else version, backend.key_prefix
        )

    def make_pattern(self, pattern: Any, version: Any = None, prefix: str | None = None) -> Any:
        backend = self._backend
        return make_pattern(
            pattern,
            backend.key_func,
            backend.version if version is None else version,
            backend.key_prefix if prefix is None else prefix,
        )

    def encode(self, value: Any) -> bytes | int | float:
        """``value`` as stored: serialized, then compressed (ints and floats as text)."""
        return self._encode(value)

    def encode_value(self, key: Any, value: Any, stored: Any = MISS) -> bytes | int | float:
        """Encode the value of ``key`` (``stored``, when given, is what is written for it).

        A value the serializer cannot encode raises :class:`SerializerError` naming the
        key and the value's type, the serializer's own error as ``__cause__``.
        """
        try:
            return self.encoder(value if stored is MISS else stored)
        except Exception as exc:
            raise SerializerError(
                f"cannot store the value of {key!r}: {type(self._serializer).__name__} cannot encode"
                f" {type(value).__module__}.{type(value).__qualname__} ({type(exc).__name__}: {exc})"
            ) from exc

    def encode_values(self, data: Mapping[Any, Any]) -> list[bytes | int | float]:
        """:meth:`encode_value` of each ``(key, value)`` of ``data``, in order: one loop of
        the encoder; only when a value fails are they encoded again one by one, so that the
        error names the key."""
        encode = self.encoder
        try:
            return [encode(value) for value in data.values()]
        except Exception:
            return [self.encode_value(key, value) for key, value in data.items()]

    def decode(self, value: bytes) -> Any:
        """A stored value read back; raises if it cannot be (see :meth:`decode_or_miss`)."""
        return self._decode(value)

    def decode_or_miss(self, value: bytes, key: Any = None) -> Any:
        """Decode, or log a warning and return ``MISS`` for a value that cannot be read."""
        try:
            return self.decoder(value)
        except DecompressionLimitExceeded as exc:
            logger.warning(
                "valkey-cache: the value of %r decompresses to more than MAX_DECOMPRESSED_SIZE=%d "
                "bytes; it is read as a miss",
                key,
                exc.limit,
            )
            return MISS
        except Exception as exc:
            logger.warning(
                "valkey-cache: could not decode the value of %r (%d bytes) with %s/%s: %s: %s",
                key,
                len(value),
                type(self._serializer).__name__,
                type(self._compressor).__name__,
                type(exc).__name__,
                exc,
            )
            return MISS

    def value_or_default(self, raw: bytes | None, key: Any, default: Any) -> Any:
        """What a read of ``key`` returns: the value, or ``default`` if absent or unreadable."""
        if raw is None:
            return default
        try:
            return self.decoder(raw)
        except Exception:
            value = self.decode_or_miss(raw, key)  # logs why; a miss unless it now reads
        return default if value is MISS else value

    def is_default_timeout(self, timeout: Any) -> bool:
        """Whether ``timeout`` asks for the cache's default (the core's or the owner's marker)."""
        return timeout is DEFAULT_TIMEOUT or timeout is self._default_marker

    def expiry_ms(self, timeout: Any) -> int | None:
        """Milliseconds to keep a value, None for forever; <= 0 means do not keep it."""
        if timeout is DEFAULT_TIMEOUT or timeout is self._default_marker:
            timeout = self._backend.default_timeout
        if timeout is None:
            return None
        ms = int(timeout * 1000)
        return ms if ms > 0 or timeout <= 0 else to_milliseconds(timeout)

    def original_key(self, key: Any) -> Any:
        """The key before the key function, for a made key."""
        return key.original_key() if isinstance(key, CacheKey) else key


def resolve_callable(option: str, value: Any, default: Any) -> Any:
    if value is None:
        return default
    if callable(value):
        return value
    if isinstance(value, str):
        from ..imports import import_string

        try:
            return import_string(value)
        except ImportError as exc:
            raise ConfigurationError(option, value, f"an importable dotted path ({exc})") from exc
    raise ConfigurationError(option, value, "a callable or a dotted path to one")


__all__ = ["MISS", "BaseClient", "CacheSettings", "resolve_class"]
