"""``memoize``: keep a function's results in a cache, with stampede protection.

Works with :class:`~valkey_cache.core.Cache` and Django caches for regular functions,
and with :class:`~valkey_cache.core.AsyncCache` and Django caches (``aget``/``aset``...)
for coroutine functions. Only the caches' ``get``/``add``/``set``/``delete`` are used.

Each entry is stored as ``[value, fresh_until]`` (``fresh_until``: a Unix time, or None
for never), so a cached ``None`` is told apart from a miss. See docs/memoize.md.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime
import decimal
import enum
import fractions
import functools
import hashlib
import inspect
import math
import pathlib
import time
import uuid
from collections.abc import Callable, Coroutine, Generator
from typing import Any, ParamSpec, Protocol, TypeVar, cast, overload

from .exceptions import ConfigurationError
from .timeouts import DEFAULT_TIMEOUT

P = ParamSpec("P")
R = TypeVar("R")
R_co = TypeVar("R_co", covariant=True)

KEY_PREFIX = "memoize"
LOCK_SUFFIX = ":lock"
DEFAULT_LOCK_TIMEOUT = 10.0
_FIRST_POLL = 0.005
_LONGEST_POLL = 0.1
_DIGEST_PERSON = b"valkey-memoize1"

# A step of the lookup: (operation, *arguments). The drivers below perform it, blocking
# or awaited, and send its result back.
_Op = tuple[Any, ...]
_Flow = Generator[_Op, Any, Any]


class Memoized(Protocol[P, R_co]):
    """A memoized regular function, with helpers taking the function's own arguments.

    On a method the helpers take ``self`` too: ``obj.method.delete(obj, x)``.
    """

    __name__: str
    __qualname__: str

    @property
    def __wrapped__(self) -> Callable[P, R_co]: ...

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> R_co: ...

    @overload
    def __get__(self, instance: None, owner: type[Any] | None = None) -> Memoized[P, R_co]: ...

    @overload
    def __get__(self, instance: object, owner: type[Any] | None = None) -> Memoized[..., R_co]: ...

    def refresh(self, *args: P.args, **kwargs: P.kwargs) -> R_co:
        """Call the function now, store its result and return it."""

    def delete(self, *args: P.args, **kwargs: P.kwargs) -> bool:
        """Drop the entry for these arguments; True when there was one."""

    def key(self, *args: P.args, **kwargs: P.kwargs) -> str:
        """The key given to the cache for these arguments (before its prefix and version)."""


class AsyncMemoized(Protocol[P, R_co]):
    """A memoized coroutine function: calling it, ``refresh`` and ``delete`` are awaited."""

    __name__: str
    __qualname__: str

    @property
    def __wrapped__(self) -> Callable[P, Coroutine[Any, Any, R_co]]: ...

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> Coroutine[Any, Any, R_co]: ...

    @overload
    def __get__(self, instance: None, owner: type[Any] | None = None) -> AsyncMemoized[P, R_co]: ...

    @overload
    def __get__(self, instance: object, owner: type[Any] | None = None) -> AsyncMemoized[..., R_co]: ...

    def refresh(self, *args: P.args, **kwargs: P.kwargs) -> Coroutine[Any, Any, R_co]:
        """Await the function now, store its result and return it."""

    def delete(self, *args: P.args, **kwargs: P.kwargs) -> Coroutine[Any, Any, bool]:
        """Drop the entry for these arguments; True when there was one."""

    def key(self, *args: P.args, **kwargs: P.kwargs) -> str:
        """The key given to the cache for these arguments (not awaited)."""


def memoize(
    cache: Any,
    timeout: float | None = DEFAULT_TIMEOUT,
    *,
    key: Callable[..., str] | None = None,
    name: str | None = None,
    stale: float | None = None,
    lock: bool = True,
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
) -> Memoizer:
    """A decorator keeping the results of a function in ``cache``.

    ``timeout``: seconds a result stays fresh (None: forever; default: the cache's).
    ``key``: a callable taking the function's arguments and returning the key (str);
    default: a digest of the arguments bound to the signature. ``name``: replaces
    ``module.qualname`` in the default key. ``stale``: seconds after ``timeout`` during
    which the old result is still returned while one caller computes a new one.
    ``lock``: on a miss, one caller computes while the others wait up to
    ``lock_timeout`` seconds (also the lock's expiry), then compute themselves.
    """
    return Memoizer(cache, timeout, key=key, name=name, stale=stale, lock=lock, lock_timeout=lock_timeout)


def _seconds(option: str, value: Any, *, allow_none: bool) -> float | None:
    if value is None and allow_none:
        return None
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or not math.isfinite(value)
        or value <= 0
    ):
        accepted = "a finite number of seconds > 0" + (" or None" if allow_none else "")
        raise ConfigurationError(option, value, accepted)
    return float(value)


class Memoizer:
    """What :func:`memoize` returns (same arguments): apply it to a function."""

    def __init__(
        self,
        cache: Any,
        timeout: float | None = DEFAULT_TIMEOUT,
        *,
        key: Callable[..., str] | None = None,
        name: str | None = None,
        stale: float | None = None,
        lock: bool = True,
        lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
    ) -> None:
        if timeout is DEFAULT_TIMEOUT:
            timeout = getattr(cache, "default_timeout", None)
        self.cache = cache
        self.timeout = _seconds("timeout", timeout, allow_none=True)
        self.stale = _seconds("stale", stale, allow_none=True)
        self.lock_timeout = cast("float", _seconds("lock_timeout", lock_timeout, allow_none=False))
        if key is not None and not callable(key):
            raise ConfigurationError("key", key, "a callable returning the key (str), or None")
        if name is not None and (not isinstance(name, str) or not name):
            raise ConfigurationError("name", name, "a non-empty str, or None")
        if not isinstance(lock, bool):
            raise ConfigurationError("lock", lock, "True or False")
        if stale is not None and timeout is None:
            raise ConfigurationError("stale", stale, "None when timeout is None (values never go stale)")
        if stale is not None and not lock:
            raise ConfigurationError("stale", stale, "None when lock=False (stale values need a lock)")
        self.key = key
        self.name = name
        self.lock = lock

    @overload
    def __call__(  # type: ignore[overload-overlap]
        self, func: Callable[P, Coroutine[Any, Any, R]]
    ) -> AsyncMemoized[P, R]: ...

    @overload
    def __call__(self, func: Callable[P, R]) -> Memoized[P, R]: ...

    def __call__(self, func: Callable[..., Any]) -> Any:
        if inspect.isgeneratorfunction(func) or inspect.isasyncgenfunction(func):
            raise TypeError(f"memoize cannot cache the generator function {_describe(func)}")
        if inspect.iscoroutinefunction(func):
            return _async_wrapper(_Memo(self, func, _cache_methods(self.cache, func, want_async=True)))
        if not callable(func):
            raise TypeError(f"memoize decorates a function, not {type(func).__name__}")
        return _sync_wrapper(_Memo(self, func, _cache_methods(self.cache, func, want_async=False)))


def _describe(func: Any) -> str:
    return f"{getattr(func, '__module__', '?')}.{getattr(func, '__qualname__', type(func).__name__)}"


def _cache_methods(cache: Any, func: Any, *, want_async: bool) -> dict[str, Callable[..., Any]]:
    """``get``/``add``/``set``/``delete`` of ``cache``: blocking ones, or coroutine ones."""
    cache_type = type(cache).__name__
    prefix = ""
    if want_async:
        if not inspect.iscoroutinefunction(getattr(cache, "get", None)):
            prefix = "a"
            if not inspect.iscoroutinefunction(getattr(cache, "aget", None)):
                raise TypeError(
                    f"memoize: {_describe(func)} is a coroutine function but {cache_type} has no "
                    "async get/add/set/delete (nor aget/aadd/aset/adelete): use an AsyncCache "
                    "or a Django cache"
                )
    elif not callable(getattr(cache, "get", None)) or inspect.iscoroutinefunction(cache.get):
        raise TypeError(
            f"memoize: {_describe(func)} is a regular function but the methods of {cache_type} "
            "are coroutines (an async-only cache): use a Cache (or a Django cache), or make "
            "the function a coroutine function (async def)"
        )
    methods = {}
    for op in ("get", "add", "set", "delete"):
        method = getattr(cache, prefix + op, None)
        if not callable(method):
            raise TypeError(f"memoize needs {cache_type}.{prefix + op}()")
        methods[op] = method
    return methods


class _Memo:
    """One memoized function: its keys and the lookup steps, shared by both wrappers."""

    def __init__(
        self, config: Memoizer, func: Callable[..., Any], methods: dict[str, Callable[..., Any]]
    ) -> None:
        self.config = config
        self.func = func
        self.methods = methods
        self.ttl = None if config.timeout is None else config.timeout + (config.stale or 0.0)
        self.signature: inspect.Signature | None = None
        self.name = config.name
        if config.key is None:
            try:
                self.signature = inspect.signature(func)
            except (TypeError, ValueError) as exc:
                raise TypeError(f"memoize cannot read the signature of {func!r}: pass key=") from exc
            if self.name is None:
                module = getattr(func, "__module__", None)
                qualname = getattr(func, "__qualname__", None)
                if not isinstance(module, str) or not isinstance(qualname, str):
                    raise TypeError(f"memoize cannot name {func!r} (no __module__/__qualname__): pass name=")
                self.name = f"{module}.{qualname}"

    def key(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> str:
        if self.config.key is not None:
            key = self.config.key(*args, **kwargs)
            if not isinstance(key, str) or not key:
                raise TypeError(
                    f"memoize: key= returned {type(key).__name__} {key!r}, expected a non-empty str"
                )
            return key
        assert self.signature is not None
        bound = self.signature.bind(*args, **kwargs)
        bound.apply_defaults()
        out = bytearray()
        for parameter, value in bound.arguments.items():
            _encode(parameter, out, set())
            try:
                _encode(value, out, set())
            except _NotEncodable as exc:
                where = parameter + "".join(reversed(exc.path))
                raise TypeError(
                    f"memoize cannot build a key for {self.name}: argument '{where}' {exc.reason}"
                ) from None
        digest = hashlib.blake2b(bytes(out), digest_size=16, person=_DIGEST_PERSON).hexdigest()
        return f"{KEY_PREFIX}:{self.name}:{digest}"

    def read(self, entry: Any) -> tuple[bool, Any, bool]:
        """(found, value, fresh) of what the cache returned."""
        if not isinstance(entry, (list, tuple)) or len(entry) != 2:
            return False, None, False
        value, fresh_until = entry
        if fresh_until is not None and (
            isinstance(fresh_until, bool) or not isinstance(fresh_until, (int, float))
        ):
            return False, None, False
        fresh = self.config.stale is None or fresh_until is None or time.time() < fresh_until
        return True, value, fresh

    def lookup(self, key: str) -> _Flow:
        """The steps of a call: read, else compute under the lock or wait for its holder."""
        found, value, fresh = self.read((yield ("get", key)))
        if found and fresh:
            return value
        if not self.config.lock:
            return (yield from self.compute(key, None))
        lock_key = key + LOCK_SUFFIX
        lock_timeout = self.config.lock_timeout
        token = uuid.uuid4().hex
        deadline: float | None = None
        delay = _FIRST_POLL
        while True:
            if (yield ("add", lock_key, token, lock_timeout)):
                return (yield from self.compute(key, (lock_key, token)))
            if found:  # stale: the lock holder is computing the new value
                return value
            if deadline is None:
                # No lock although add() failed: released just now (its holder stored
                # the value: read it), or an unreachable server whose errors the cache
                # ignores (waiting would not help).
                if (yield ("get", lock_key)) is None:
                    found, value, fresh = self.read((yield ("get", key)))
                    if found and fresh:
                        return value
                    return (yield from self.compute(key, None))
                deadline = time.monotonic() + lock_timeout
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return (yield from self.compute(key, None))
            yield ("sleep", min(delay, remaining))
            delay = min(delay * 2, _LONGEST_POLL)
            found, value, fresh = self.read((yield ("get", key)))
            if found and fresh:
                return value

    def compute(self, key: str, lock: tuple[str, str] | None) -> _Flow:
        """Call the function and store its result; release ``lock`` (if ours) in any case."""
        try:
            value = yield ("call",)
            timeout = self.config.timeout
            fresh_until = None if timeout is None else time.time() + timeout
            yield ("set", key, [value, fresh_until], self.ttl)
        finally:
            if lock is not None:
                lock_key, token = lock
                if (yield ("get", lock_key)) == token:
                    yield ("delete", lock_key)
        return value


def _drive(flow: _Flow, perform: Callable[[_Op], Any]) -> Any:
    """Run ``flow`` to its end, performing each step (an error goes back into the flow)."""
    result: Any = None
    error: BaseException | None = None
    while True:
        try:
            op = flow.send(result) if error is None else flow.throw(error)
        except StopIteration as stop:
            return stop.value
        error = result = None
        try:
            result = perform(op)
        except BaseException as exc:
            error = exc


async def _adrive(flow: _Flow, perform: Callable[[_Op], Coroutine[Any, Any, Any]]) -> Any:
    """:func:`_drive` with awaited steps."""
    result: Any = None
    error: BaseException | None = None
    while True:
        try:
            op = flow.send(result) if error is None else flow.throw(error)
        except StopIteration as stop:
            return stop.value
        error = result = None
        try:
            result = await perform(op)
        except BaseException as exc:
            error = exc


def _sync_wrapper(memo: _Memo) -> Memoized[..., Any]:
    func, methods = memo.func, memo.methods

    def run(flow: _Flow, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        def perform(op: _Op) -> Any:
            kind = op[0]
            if kind == "call":
                return func(*args, **kwargs)
            if kind == "sleep":
                time.sleep(op[1])
                return None
            if kind in ("add", "set"):
                return methods[kind](op[1], op[2], timeout=op[3])
            return methods[kind](op[1])

        return _drive(flow, perform)

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return run(memo.lookup(memo.key(args, kwargs)), args, kwargs)

    def refresh(*args: Any, **kwargs: Any) -> Any:
        return run(memo.compute(memo.key(args, kwargs), None), args, kwargs)

    def delete(*args: Any, **kwargs: Any) -> bool:
        return bool(methods["delete"](memo.key(args, kwargs)))

    def key(*args: Any, **kwargs: Any) -> str:
        return memo.key(args, kwargs)

    wrapper.__dict__.update(refresh=refresh, delete=delete, key=key)
    return cast("Memoized[..., Any]", wrapper)


def _async_wrapper(memo: _Memo) -> AsyncMemoized[..., Any]:
    func, methods = memo.func, memo.methods

    async def run(flow: _Flow, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        async def perform(op: _Op) -> Any:
            kind = op[0]
            if kind == "call":
                return await func(*args, **kwargs)
            if kind == "sleep":
                await asyncio.sleep(op[1])
                return None
            if kind in ("add", "set"):
                return await methods[kind](op[1], op[2], timeout=op[3])
            return await methods[kind](op[1])

        return await _adrive(flow, perform)

    @functools.wraps(func)
    async def wrapper(*args: Any, **kwargs: Any) -> Any:
        return await run(memo.lookup(memo.key(args, kwargs)), args, kwargs)

    async def refresh(*args: Any, **kwargs: Any) -> Any:
        return await run(memo.compute(memo.key(args, kwargs), None), args, kwargs)

    async def delete(*args: Any, **kwargs: Any) -> bool:
        return bool(await methods["delete"](memo.key(args, kwargs)))

    def key(*args: Any, **kwargs: Any) -> str:
        return memo.key(args, kwargs)

    wrapper.__dict__.update(refresh=refresh, delete=delete, key=key)
    return cast("AsyncMemoized[..., Any]", wrapper)


# -- canonical encoding of arguments ----------------------------------------------------


_ACCEPTED = (
    "None, bool, int, float, complex, str, bytes, tuple, list, dict, set, frozenset, Enum, "
    "date/time/datetime/timedelta, Decimal, Fraction, UUID, PurePath, classes, dataclasses "
    "and objects with a __cache_key__() method"
)


class _NotEncodable(Exception):
    def __init__(self, reason: str) -> None:
        self.reason = reason
        self.path: list[str] = []  # innermost first

    @classmethod
    def of(cls, value: Any) -> _NotEncodable:
        kind = type(value)
        return cls(
            f"is a {kind.__module__}.{kind.__qualname__}, which has no stable encoding "
            f"(accepted: {_ACCEPTED}): pass key= to memoize"
        )


def _frame(out: bytearray, tag: bytes, payload: bytes) -> None:
    out += tag
    out += b"%d:" % len(payload)
    out += payload


def _type_name(cls: type) -> bytes:
    return f"{cls.__module__}.{cls.__qualname__}".encode()


def _encode(value: Any, out: bytearray, active: set[int]) -> None:
    """Append a type-tagged, length-prefixed encoding of ``value`` to ``out``."""
    if value is None:
        out += b"N"
    elif value is True:
        out += b"T"
    elif value is False:
        out += b"F"
    elif isinstance(value, type):
        _frame(out, b"c", _type_name(value))
    elif callable(getattr(type(value), "__cache_key__", None)):
        _frame(out, b"k", _type_name(type(value)))
        _encode_items(out, [value.__cache_key__()], active, value, lambda _: ".__cache_key__()")
    elif isinstance(value, enum.Enum):
        _frame(out, b"e", _type_name(type(value)))
        member = value.name
        _encode(member if isinstance(member, str) else value.value, out, active)
    elif isinstance(value, int):
        _frame(out, b"i", format(value, "x").encode())
    elif isinstance(value, float):
        _frame(out, b"f", repr(float(value)).encode())
    elif isinstance(value, str):
        _frame(out, b"s", value.encode("utf-8", "surrogatepass"))
    elif isinstance(value, (bytes, bytearray, memoryview)):
        _frame(out, b"b", bytes(value))
    elif isinstance(value, tuple):
        _encode_sequence(out, b"t", value, active)
    elif isinstance(value, list):
        _encode_sequence(out, b"l", value, active)
    elif isinstance(value, dict):
        _encode_dict(out, value, active)
    elif isinstance(value, (set, frozenset)):
        _encode_set(out, b"S" if isinstance(value, set) else b"R", value, active)
    else:
        _encode_other(value, out, active)


def _encode_other(value: Any, out: bytearray, active: set[int]) -> None:
    if isinstance(value, complex):
        _frame(out, b"j", f"{value.real!r},{value.imag!r}".encode())
    elif isinstance(value, datetime.datetime):
        _frame(out, b"D", value.isoformat().encode())
    elif isinstance(value, datetime.date):
        _frame(out, b"d", value.isoformat().encode())
    elif isinstance(value, datetime.time):
        _frame(out, b"h", value.isoformat().encode())
    elif isinstance(value, datetime.timedelta):
        _frame(out, b"z", b"%d,%d,%d" % (value.days, value.seconds, value.microseconds))
    elif isinstance(value, decimal.Decimal):
        _frame(out, b"m", str(value).encode())
    elif isinstance(value, fractions.Fraction):
        _frame(out, b"q", f"{value.numerator:x}/{value.denominator:x}".encode())
    elif isinstance(value, uuid.UUID):
        _frame(out, b"u", value.bytes)
    elif isinstance(value, pathlib.PurePath):
        _frame(out, b"p", _type_name(type(value)) + b"\0" + str(value).encode("utf-8", "surrogateescape"))
    elif dataclasses.is_dataclass(value):
        fields = [field.name for field in dataclasses.fields(value) if field.compare]
        _frame(out, b"a", _type_name(type(value)))
        out += b"%d:" % len(fields)
        _encode_items(
            out, [getattr(value, name) for name in fields], active, value, lambda i: f".{fields[i]}"
        )
    else:
        raise _NotEncodable.of(value)


def _encode_items(
    out: bytearray, items: list[Any], active: set[int], container: Any, where: Callable[[int], str]
) -> None:
    marker = id(container)
    if marker in active:
        raise _NotEncodable("contains itself: pass key= to memoize")
    active.add(marker)
    try:
        for index, item in enumerate(items):
            try:
                _encode(item, out, active)
            except _NotEncodable as exc:
                exc.path.append(where(index))
                raise
    finally:
        active.discard(marker)


def _encode_sequence(
    out: bytearray, tag: bytes, value: tuple[Any, ...] | list[Any], active: set[int]
) -> None:
    out += tag + b"%d:" % len(value)
    _encode_items(out, list(value), active, value, lambda i: f"[{i}]")


def _encode_dict(out: bytearray, value: dict[Any, Any], active: set[int]) -> None:
    keys = list(value)
    encoded_keys: list[bytes] = []
    for key in keys:
        part = bytearray()
        try:
            _encode(key, part, active)
        except _NotEncodable as exc:
            exc.path.append(" (a dict key)")
            raise
        encoded_keys.append(bytes(part))
    marker = id(value)
    if marker in active:
        raise _NotEncodable("contains itself: pass key= to memoize")
    active.add(marker)
    pairs: list[tuple[bytes, bytes]] = []
    try:
        for key, encoded in zip(keys, encoded_keys):
            part = bytearray()
            try:
                _encode(value[key], part, active)
            except _NotEncodable as exc:
                exc.path.append(f"[{key!r}]")
                raise
            pairs.append((encoded, bytes(part)))
    finally:
        active.discard(marker)
    pairs.sort()
    out += b"M%d:" % len(pairs)
    for encoded, item in pairs:
        out += encoded
        out += item


def _encode_set(out: bytearray, tag: bytes, value: set[Any] | frozenset[Any], active: set[int]) -> None:
    parts: list[bytes] = []
    for item in value:
        part = bytearray()
        try:
            _encode(item, part, active)
        except _NotEncodable as exc:
            exc.path.append(" (a member)")
            raise
        parts.append(bytes(part))
    parts.sort()
    out += tag + b"%d:" % len(parts)
    for encoded in parts:
        out += encoded


__all__ = ["DEFAULT_LOCK_TIMEOUT", "AsyncMemoized", "Memoized", "Memoizer", "memoize"]
