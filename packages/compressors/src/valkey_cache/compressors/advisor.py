"""Measure every serializer x compressor on sample values, to choose a pair.

::

    from valkey_cache.compressors.advisor import advise, format_table, sample_from_server

    values = sample_from_server("valkey://localhost:6379/0", "myapp:*", 500)
    print(format_table(advise(values)))

Sizes and times go through the core's ``encode``/``decode``, so ints and floats are
measured as the plain text the cache stores them as.
"""

from __future__ import annotations

import io
import itertools
import pickle
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from valkey_cache.core.codec import decode, encode
from valkey_cache.core.exceptions import MissingDependencyError
from valkey_cache.core.imports import resolve_class
from valkey_cache.core.serializer import PickleSerializer
from valkey_cache.core.signing import SigningSerializer, signing_serializer

#: ``progress(done, total)``, called as work advances.
Progress = Callable[[int, int], None]

SERIALIZERS: dict[str, str] = {
    "pickle": "valkey_cache.core.serializer.PickleSerializer",
    "json": "valkey_cache.serializers.json.JSONSerializer",
    "orjson": "valkey_cache.serializers.orjson.OrjsonSerializer",
    "msgpack": "valkey_cache.serializers.msgpack.MSGPackSerializer",
    "msgspec-json": "valkey_cache.serializers.msgspec.MsgSpecJsonSerializer",
    "msgspec-msgpack": "valkey_cache.serializers.msgspec.MsgSpecMsgPackSerializer",
}
COMPRESSORS: dict[str, str] = {
    "identity": "valkey_cache.core.compressor.IdentityCompressor",
    "zlib": "valkey_cache.compressors.zlib.ZlibCompressor",
    "gzip": "valkey_cache.compressors.gzip.GzipCompressor",
    "bz2": "valkey_cache.compressors.bz2.Bz2Compressor",
    "lzma": "valkey_cache.compressors.lzma.LzmaCompressor",
    "lz4": "valkey_cache.compressors.lz4.Lz4Compressor",
    "zstd": "valkey_cache.compressors.zstd.ZStdCompressor",
    "brotli": "valkey_cache.compressors.brotli.BrotliCompressor",
}


@dataclass(frozen=True)
class Row:
    """One serializer x compressor pair measured on the sample values.

    The numbers are None when the pair was skipped (``note`` says why).
    """

    serializer: str
    compressor: str
    #: Total bytes stored for all the sample values.
    size: int | None = None
    #: ``size`` divided by the size with pickle and no compression.
    ratio: float | None = None
    #: Mean microseconds to encode (serialize + compress) one value.
    encode_us: float | None = None
    #: Mean microseconds to decode one value.
    decode_us: float | None = None
    #: Whether every value decoded equal to the original.
    lossless: bool | None = None
    note: str = ""


def advise(
    values: Sequence[Any],
    *,
    serializers: Mapping[str, Any] | None = None,
    compressors: Mapping[str, Any] | None = None,
    budget: float = 0.02,
    progress: Progress | None = None,
) -> list[Row]:
    """Measure each serializer x compressor pair on ``values``.

    ``serializers`` and ``compressors`` map a display name to a dotted path, a class or
    an instance (defaults: :data:`SERIALIZERS`, :data:`COMPRESSORS`, with default
    options). Pairs whose library is missing come back with a note giving the pip line.
    Each pair is timed for about ``budget`` seconds per direction.
    """
    if not values:
        raise ValueError("advise() needs at least one sample value")
    serializer_specs = SERIALIZERS if serializers is None else serializers
    compressor_specs = COMPRESSORS if compressors is None else compressors
    built_serializers = {name: _build("SERIALIZER", spec) for name, spec in serializer_specs.items()}
    built_compressors = {name: _build("COMPRESSOR", spec) for name, spec in compressor_specs.items()}
    total = len(built_serializers) * len(built_compressors)
    rows: list[Row] = []
    for s_name, serializer in built_serializers.items():
        for c_name, compressor in built_compressors.items():
            if isinstance(serializer, str) or isinstance(compressor, str):
                note = serializer if isinstance(serializer, str) else compressor
                rows.append(Row(s_name, c_name, note=str(note)))
            else:
                rows.append(_measure(s_name, serializer, c_name, compressor, values, budget))
            if progress is not None:
                progress(len(rows), total)
    baseline = _baseline(values)
    return [
        row
        if row.size is None
        else Row(
            row.serializer,
            row.compressor,
            row.size,
            row.size / baseline if baseline else None,
            row.encode_us,
            row.decode_us,
            row.lossless,
            row.note,
        )
        for row in rows
    ]


def format_table(rows: Iterable[Row], *, sort_by: str | None = None) -> str:
    """A markdown table of ``rows``; ``sort_by`` is a numeric Row field, e.g. ``"size"``."""
    rows = list(rows)
    if sort_by is not None:
        rows.sort(key=lambda row: (getattr(row, sort_by) is None, getattr(row, sort_by) or 0))
    lines = [
        "| serializer | compressor | bytes | vs pickle | encode µs | decode µs | lossless | note |",
        "| --- | --- | ---: | ---: | ---: | ---: | --- | --- |",
    ]
    for row in rows:
        cells = [
            row.serializer,
            row.compressor,
            "" if row.size is None else str(row.size),
            "" if row.ratio is None else f"{row.ratio:.2f}",
            "" if row.encode_us is None else _us(row.encode_us),
            "" if row.decode_us is None else _us(row.decode_us),
            "" if row.lossless is None else ("yes" if row.lossless else "no"),
            row.note.replace("|", "\\|"),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def sample_from_server(
    client_url: str,
    pattern: str = "*",
    n: int = 100,
    *,
    serializer: Any = None,
    compressor: Any = None,
    progress: Progress | None = None,
    scan_count: int = 1000,
    signing_key: str | bytes | None = None,
    signing_fallback_keys: Sequence[str | bytes] = (),
    unpickle_unsigned: bool = False,
) -> list[Any]:
    """Decode up to ``n`` string values whose keys match ``pattern`` on a live server.

    Keys are found with SCAN (never KEYS). ``serializer`` and ``compressor`` are what the
    cache uses (dotted path, class or instance; defaults: pickle, and this package's
    :class:`~valkey_cache.compressors.identity.IdentityCompressor`, which reads values
    of every compressor). Values that do not decode are left out and more keys are read
    in their place. ``progress(done, total)`` is called as values are read.

    Whoever can write to the server can store a pickle that runs code when loaded, so
    pickled values are only fully unpickled when they verify: give the cache's
    ``signing_key`` (and ``signing_fallback_keys``), or a signing serializer. Without
    one, pickles are read by an unpickler that builds plain data only (no class but a
    few value types such as ``datetime``), unless ``unpickle_unsigned=True`` says the
    server's data is trusted.
    """
    import valkey

    from .identity import IdentityCompressor

    serializer = _sampling_serializer(
        _component("SERIALIZER", serializer or "valkey_cache.core.serializer.PickleSerializer"),
        signing_key,
        signing_fallback_keys,
        unpickle_unsigned,
    )
    compressor = _component("COMPRESSOR", compressor or IdentityCompressor)
    client: Any = valkey.Valkey.from_url(client_url)
    try:
        scan = client.scan_iter(match=pattern, count=scan_count, _type="string")
        keys: list[bytes] = list(itertools.islice(scan, n))
        values: list[Any] = []
        done = 0
        while done < len(keys):
            batch = keys[done : done + 100]
            for raw in client.mget(batch):
                if raw is not None:
                    try:
                        values.append(decode(raw, serializer, compressor))
                    except Exception:
                        pass
            done += len(batch)
            missing = n - len(values) - (len(keys) - done)
            if missing > 0:  # values that did not decode: read as many more keys
                keys.extend(itertools.islice(scan, missing))
            if progress is not None:
                progress(done, len(keys))
        return values
    finally:
        client.close()


def _sampling_serializer(
    serializer: Any, key: str | bytes | None, fallback_keys: Sequence[str | bytes], unpickle_unsigned: bool
) -> Any:
    """The serializer that reads server data: verifying, or unable to run code."""
    if key is not None:
        options = {"SIGNING_KEY": key, "SIGNING_FALLBACK_KEYS": list(fallback_keys)}
        return signing_serializer(serializer, options)
    if isinstance(serializer, SigningSerializer):
        return serializer if unpickle_unsigned else serializer.strict()
    if isinstance(serializer, PickleSerializer) and not unpickle_unsigned:
        return _PlainDataPickle()
    return serializer


# Classes a pickle of plain data may name: value types whose constructors run no code
# chosen by the pickle.
_PLAIN_CLASSES: frozenset[tuple[str, str]] = frozenset(
    {
        ("builtins", "set"),
        ("builtins", "frozenset"),
        ("builtins", "bytearray"),
        ("builtins", "complex"),
        ("collections", "OrderedDict"),
        ("datetime", "date"),
        ("datetime", "datetime"),
        ("datetime", "time"),
        ("datetime", "timedelta"),
        ("datetime", "timezone"),
        ("decimal", "Decimal"),
    }
)


class _PlainDataUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in _PLAIN_CLASSES:
            raise pickle.UnpicklingError(f"{module}.{name} is not plain data")
        return super().find_class(module, name)


class _PlainDataPickle:
    """Reads pickles of plain data (containers, scalars, a few value types) and refuses
    any other class, so an unsigned pickle from the server cannot run code."""

    def dumps(self, value: Any) -> bytes:
        """Pickle ``value`` (the advisor only reads)."""
        return pickle.dumps(value)

    def loads(self, value: bytes) -> Any:
        """Unpickle ``value`` if it names no class outside the allowed value types."""
        return _PlainDataUnpickler(io.BytesIO(value)).load()


def _component(option: str, spec: Any) -> Any:
    """A serializer or compressor from a dotted path, a class (default options) or itself."""
    if isinstance(spec, (str, type)):
        return resolve_class(option, spec)(options={})
    return spec


def _build(option: str, spec: Any) -> Any:
    """The component, or a note saying why it is unavailable."""
    try:
        return _component(option, spec)
    except MissingDependencyError as exc:
        return f"skipped: pip install {exc.requirement}"
    except Exception as exc:
        if isinstance(spec, str) and spec.startswith("valkey_cache.serializers."):
            return 'skipped: pip install "valkey-cache-serializers"'
        return f"skipped: {exc}"


def _stored(encoded: bytes | int | float) -> bytes:
    """What the server holds: valkey-py sends numbers as their repr."""
    return encoded if isinstance(encoded, bytes) else repr(encoded).encode()


def _baseline(values: Sequence[Any]) -> int | None:
    from valkey_cache.core.compressor import IdentityCompressor
    from valkey_cache.core.serializer import PickleSerializer

    serializer, compressor = PickleSerializer(), IdentityCompressor()
    try:
        return sum(len(_stored(encode(v, serializer, compressor))) for v in values)
    except Exception:  # values pickle cannot encode: no ratio
        return None


def _measure(
    s_name: str,
    serializer: Any,
    c_name: str,
    compressor: Any,
    values: Sequence[Any],
    budget: float,
) -> Row:
    try:
        stored = [_stored(encode(v, serializer, compressor)) for v in values]
    except Exception as exc:
        return Row(s_name, c_name, note=f"cannot encode: {exc}")
    try:
        decoded = [decode(raw, serializer, compressor) for raw in stored]
    except Exception as exc:
        return Row(s_name, c_name, note=f"cannot decode: {exc}")
    lossless = all(_same(a, b) for a, b in zip(values, decoded))
    encode_us = _time_per_value(lambda: [encode(v, serializer, compressor) for v in values], budget)
    decode_us = _time_per_value(lambda: [decode(raw, serializer, compressor) for raw in stored], budget)
    count = len(values)
    return Row(
        s_name,
        c_name,
        size=sum(len(raw) for raw in stored),
        encode_us=encode_us / count,
        decode_us=decode_us / count,
        lossless=lossless,
    )


def _same(a: Any, b: Any) -> bool:
    try:
        return type(a) is type(b) and bool(a == b)
    except Exception:
        return False


def _time_per_value(run: Callable[[], object], budget: float) -> float:
    """Microseconds one call of ``run`` takes: the best of repeated timings."""
    start = time.perf_counter()
    run()
    once = time.perf_counter() - start
    loops = max(1, min(10_000, int(budget / 5 / once) if once else 10_000))
    best = once
    deadline = time.perf_counter() + budget
    while True:
        start = time.perf_counter()
        for _ in range(loops):
            run()
        best = min(best, (time.perf_counter() - start) / loops)
        if time.perf_counter() >= deadline:
            return best * 1e6


def _us(value: float) -> str:
    return f"{value:.1f}" if value < 100 else f"{value:.0f}"
