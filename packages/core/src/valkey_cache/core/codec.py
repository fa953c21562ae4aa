"""Value encoding: serializer then compressor, with numbers stored as plain text.

Ints and floats (not bools, not subclasses) are written as their decimal text so that
server-side INCR/INCRBYFLOAT work on them and other clients can read them.
"""

from __future__ import annotations

import hmac
import importlib
import pickle
from collections.abc import Callable
from functools import cache
from typing import Any, Protocol, TypeGuard

from .compressor import DEFAULT_MAX_DECOMPRESSED_SIZE, IdentityCompressor
from .exceptions import CompressorError, DecompressionLimitExceeded
from .serializer import PickleSerializer
from .signing import MAC_SIZE, MAGIC, SigningSerializer


class Serializer(Protocol):
    def dumps(self, value: Any) -> bytes: ...

    def loads(self, value: bytes) -> Any: ...


class Compressor(Protocol):
    def compress(self, value: bytes) -> bytes: ...

    def decompress(self, value: bytes) -> bytes: ...


# First bytes of the text forms of int and float (including "inf", "-inf", "nan").
_NUMBER_START = frozenset(b"+-0123456789.inIN")


def encode(value: Any, serializer: Serializer, compressor: Compressor) -> bytes | int | float:
    value_type = type(value)
    if value_type is int or value_type is float:
        return value  # type: ignore[no-any-return]
    return compressor.compress(serializer.dumps(value))


def decode(value: bytes | int | float, serializer: Serializer, compressor: Compressor) -> Any:
    """Reverse :func:`encode`. Raises whatever the compressor or serializer raises.

    A :class:`CompressorError` means "not compressed" and the serializer reads the value
    as stored, except :class:`DecompressionLimitExceeded`, which propagates. When the
    serializer cannot read it either, the value may have been written under another
    ``COMPRESSOR`` setting: see :func:`read_other_format`.
    """
    if isinstance(value, (int, float)):
        return value
    if value and value[0] in _NUMBER_START:
        number = parse_number(value)
        if number is not None:
            return number
    try:
        value = compressor.decompress(value)
    except DecompressionLimitExceeded:
        raise
    except CompressorError:
        pass
    try:
        return serializer.loads(value)
    except Exception:
        unpacked = read_other_format(value, compressor)
        if unpacked is None:
            raise
    return serializer.loads(unpacked)


@cache
def _format_detector() -> Any:
    """The compressors distribution's shared format detector, or None without it."""
    try:
        detect = importlib.import_module("valkey_cache.compressors.detect")
    except ImportError:
        return None
    return detect.detector()


def read_other_format(value: bytes, compressor: Compressor) -> bytes | None:
    """``value`` decompressed from whichever known format it is in, or None.

    Runs only after a value failed to decode, so compression can be switched off (or
    changed) on a cache that holds compressed values without making them misses; the
    formats are recognised by ``valkey_cache.compressors.detect`` when that distribution
    is installed (a compressed value cannot have been written without it). Bounded by the
    compressor's ``max_decompressed_size``; raises :class:`DecompressionLimitExceeded`.
    """
    detector = _format_detector()
    if detector is None:
        return None
    limit = getattr(compressor, "max_decompressed_size", DEFAULT_MAX_DECOMPRESSED_SIZE)
    out, _ = detector.try_decompress(value, limit)
    return out  # type: ignore[no-any-return]


def parse_number(value: bytes) -> int | float | None:
    """Return the int or float that ``value`` spells, or None. Negative ints stay ints."""
    try:
        return int(value)
    except ValueError:
        pass
    try:
        return float(value)
    except ValueError:
        return None


def make_encoder(serializer: Serializer, compressor: Compressor) -> Callable[[Any], bytes | int | float]:
    """:func:`encode` bound to a serializer and compressor, specialised for the defaults.

    With the default pickle serializer and no compression the value goes straight to
    ``pickle.dumps``: the same bytes, without two method calls per value. The same holds
    for signed pickle (:mod:`valkey_cache.core.signing`), with the MAC computed inline.
    """
    if _signed_pickle(serializer, compressor):
        protocol = serializer.inner._pickle_version
        dumps = pickle.dumps
        copy = serializer._sign_state.copy
        magic = MAGIC

        def encode_signed_pickle(value: Any) -> bytes | int | float:
            value_type = type(value)
            if value_type is int or value_type is float:
                return value  # type: ignore[no-any-return]
            signed = dumps(value, protocol) + magic
            state = copy()
            state.update(signed)
            return signed + state.digest()

        return encode_signed_pickle
    if _plain_pickle(serializer) and type(compressor) is IdentityCompressor:
        protocol = serializer._pickle_version
        dumps = pickle.dumps

        def encode_pickle(value: Any) -> bytes | int | float:
            value_type = type(value)
            if value_type is int or value_type is float:
                return value  # type: ignore[no-any-return]
            return dumps(value, protocol)

        return encode_pickle
    return lambda value: encode(value, serializer, compressor)


def make_decoder(serializer: Serializer, compressor: Compressor) -> Callable[[bytes], Any]:
    """:func:`decode` bound to a serializer and compressor, specialised for the defaults.

    A pickle (protocol 2 or later) starts with byte 0x80, which no stored number does,
    so with the default pickle serializer and no compression such values go straight
    to ``pickle.loads`` (signed ones through the MAC check first).
    """
    if _signed_pickle(serializer, compressor):
        loads = pickle.loads
        copy = serializer._sign_state.copy
        same = hmac.compare_digest
        mac = -MAC_SIZE

        def decode_signed_pickle(value: bytes) -> Any:
            if value and value[0] == 0x80:
                state = copy()
                state.update(value[:mac])
                if same(state.digest(), value[mac:]):
                    return loads(value)  # pickle stops at its STOP opcode, before the trailer
            return decode(value, serializer, compressor)

        return decode_signed_pickle
    if _plain_pickle(serializer) and type(compressor) is IdentityCompressor:
        loads = pickle.loads

        def decode_pickle(value: bytes) -> Any:
            if value and value[0] == 0x80:
                try:
                    return loads(value)
                except Exception:  # a compressed value may start with 0x80 too (brotli)
                    pass
            return decode(value, serializer, compressor)

        return decode_pickle
    return lambda value: decode(value, serializer, compressor)


def _plain_pickle(serializer: Any) -> TypeGuard[PickleSerializer]:
    """The core's pickle serializer, or a subclass that changes neither ``dumps`` nor
    ``loads`` (django_valkey.serializers.pickle's): the fast paths apply to both."""
    cls = type(serializer)
    return (
        isinstance(serializer, PickleSerializer)
        and cls.dumps is PickleSerializer.dumps
        and cls.loads is PickleSerializer.loads
    )


def _signed_pickle(serializer: Serializer, compressor: Compressor) -> TypeGuard[SigningSerializer]:
    return (
        type(serializer) is SigningSerializer
        and _plain_pickle(serializer.inner)
        and type(compressor) is IdentityCompressor
    )
