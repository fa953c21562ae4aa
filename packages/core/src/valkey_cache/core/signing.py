"""Signed values: a MAC on every serialized value, checked before it is deserialized.

Anyone who can write to the server can store a pickle under a cache key, and
unpickling runs code. With signing on, the client's serializer is a
:class:`SigningSerializer` around the configured one, and a value without our MAC is
never handed to that serializer.

Format of a signed value (before compression, so the compressor compresses all of it)::

    payload || MAGIC || MAC

- ``payload``: the inner serializer's bytes, unchanged.
- ``MAGIC``: :data:`MAGIC`, 6 bytes (``00 ff`` then ``VCS1``; ``ff`` never occurs in
  UTF-8 text, so no JSON payload can end in it by chance).
- ``MAC``: keyed BLAKE2b-256 of ``payload || MAGIC``, 32 bytes. The BLAKE2b key is
  derived from the configured key by an unkeyed BLAKE2b with its own personalisation,
  so ``SIGNING_KEY`` can be any length of at least 32 bytes.

``pickle.loads`` stops at the pickle's STOP opcode and ignores the trailer, so readers
that know nothing of signing (django-valkey 0.4) still read signed pickles. Ints and
floats are stored as plain text by :mod:`valkey_cache.core.codec` and never reach the
serializer: they stay unsigned, readable and ``INCR``-able.

Options: ``SIGNING_KEY`` (str or bytes, at least 32 bytes), ``SIGNING_FALLBACK_KEYS``
(older keys, also accepted on read) and ``SIGNING`` (True, False or
``"accept-unsigned"``; default True when a key is given).
"""

from __future__ import annotations

import copy
import hashlib
import hmac
from collections.abc import Mapping, Sequence
from typing import Any, Final

from .exceptions import ConfigurationError, SerializerError
from .options import bool_option

MAGIC: Final = b"\x00\xffVCS1"
MAC_SIZE: Final = 32
TRAILER_SIZE: Final = len(MAGIC) + MAC_SIZE
MIN_KEY_BYTES: Final = 32
ACCEPT_UNSIGNED: Final = "accept-unsigned"

#: The options this module reads, with what they accept.
SIGNING_OPTIONS: Final[dict[str, str]] = {
    "SIGNING": "sign values: True, False or 'accept-unsigned' (default True when a key is given)",
    "SIGNING_KEY": f"key of the value MAC (str or bytes, at least {MIN_KEY_BYTES} bytes)",
    "SIGNING_FALLBACK_KEYS": "older signing keys still accepted on read (a list)",
}

_KEY_ACCEPTED: Final = f"a str or bytes of at least {MIN_KEY_BYTES} bytes"
_PERSON: Final = b"valkey-cache-sig"


class SignatureError(SerializerError):
    """A value is unsigned or its MAC does not verify. The message names no content."""


class _Hidden:
    """Stands for a secret in error messages: its type or length, never its content."""

    __slots__ = ("_text",)

    def __init__(self, text: str) -> None:
        self._text = text

    def __repr__(self) -> str:
        return self._text


def signing_key_bytes(option: str, value: Any) -> bytes:
    """``value`` as key bytes; a ConfigurationError that never shows the key otherwise."""
    if isinstance(value, str):
        raw = value.encode()
    elif isinstance(value, (bytes, bytearray, memoryview)):
        raw = bytes(value)
    else:
        shown = f"<{type(value).__name__}>"
        raise ConfigurationError(option, _Hidden(shown), f"{_KEY_ACCEPTED} (got {shown})")
    if len(raw) < MIN_KEY_BYTES:
        shown = f"<{len(raw)} bytes>"
        raise ConfigurationError(option, _Hidden(shown), f"{_KEY_ACCEPTED} (got {shown})")
    return raw


def signing_mode(options: Mapping[str, Any], have_key: bool) -> str | None:
    """``None`` (signing off), ``"on"`` or ``"accept-unsigned"``, from ``SIGNING``."""
    value = options.get("SIGNING")
    if value == ACCEPT_UNSIGNED:
        return ACCEPT_UNSIGNED
    try:
        on = bool_option(options, "SIGNING", have_key)
    except ConfigurationError:
        raise ConfigurationError("SIGNING", value, f"True, False or {ACCEPT_UNSIGNED!r}") from None
    return "on" if on else None


def signing_keys(options: Mapping[str, Any]) -> list[bytes]:
    """``SIGNING_KEY`` then ``SIGNING_FALLBACK_KEYS``, validated; empty without a key."""
    keys: list[bytes] = []
    main = options.get("SIGNING_KEY")
    if main is not None:
        keys.append(signing_key_bytes("SIGNING_KEY", main))
    fallbacks = options.get("SIGNING_FALLBACK_KEYS")
    if fallbacks is None:
        return keys
    if isinstance(fallbacks, (str, bytes, bytearray)) or not isinstance(fallbacks, Sequence):
        shown = f"<{type(fallbacks).__name__}>"
        raise ConfigurationError("SIGNING_FALLBACK_KEYS", _Hidden(shown), f"a list of keys (got {shown})")
    keys.extend(signing_key_bytes("SIGNING_FALLBACK_KEYS", key) for key in fallbacks)
    return keys


def signing_serializer(
    serializer: Any, options: Mapping[str, Any], default_keys: Sequence[bytes] = ()
) -> Any:
    """The serializer a client uses: ``serializer`` wrapped when the options sign.

    An already signing serializer is returned as it is. ``default_keys`` (main key
    first) are used when the options give no ``SIGNING_KEY``; Django derives them from
    ``SECRET_KEY``.
    """
    if isinstance(serializer, SigningSerializer):
        return serializer
    have_key = options.get("SIGNING_KEY") is not None
    mode = signing_mode(options, have_key)
    if mode is None:
        return serializer
    keys = signing_keys(options) if have_key else [*default_keys, *signing_keys(options)]
    if not keys or (not have_key and not default_keys):
        raise ConfigurationError(
            "SIGNING", options.get("SIGNING"), "False unless SIGNING_KEY is set (signing needs a key)"
        )
    return SigningSerializer(serializer, keys, accept_unsigned=mode == ACCEPT_UNSIGNED)


def _mac_state(key: bytes) -> hashlib.blake2b:
    derived = hashlib.blake2b(key, digest_size=64, person=_PERSON).digest()
    return hashlib.blake2b(key=derived, digest_size=MAC_SIZE)


class SigningSerializer:
    """Wraps a serializer: ``dumps`` appends ``MAGIC + MAC``, ``loads`` checks it first.

    ``keys``: the signing key, then older keys accepted on read. With
    ``accept_unsigned`` a value without the trailer is passed to the inner serializer
    as it is (for the switch from unsigned values); a value with the trailer and a bad
    MAC is always refused.
    """

    def __init__(self, inner: Any, keys: Sequence[bytes], *, accept_unsigned: bool = False) -> None:
        if not keys:
            raise ConfigurationError("SIGNING_KEY", None, _KEY_ACCEPTED)
        self.inner = inner
        self.accept_unsigned = accept_unsigned
        self._states = tuple(_mac_state(key) for key in keys)
        self._sign_state = self._states[0]

    @property
    def OPTIONS(self) -> frozenset[str]:
        """The inner serializer's options and the signing ones."""
        return frozenset(getattr(self.inner, "OPTIONS", ())) | frozenset(SIGNING_OPTIONS)

    def __repr__(self) -> str:
        mode = ", accept_unsigned" if self.accept_unsigned else ""
        return f"<SigningSerializer({self.inner!r}, {len(self._states)} key(s){mode})>"

    def strict(self) -> SigningSerializer:
        """This serializer with the same keys, refusing unsigned values."""
        if not self.accept_unsigned:
            return self
        twin = copy.copy(self)
        twin.accept_unsigned = False
        return twin

    def sign(self, payload: bytes) -> bytes:
        """``payload`` with the trailer appended."""
        signed = payload + MAGIC
        state = self._sign_state.copy()
        state.update(signed)
        return signed + state.digest()

    def verify(self, value: bytes) -> bytes:
        """The payload of a signed ``value``; raises :class:`SignatureError` otherwise."""
        if value[-TRAILER_SIZE:-MAC_SIZE] != MAGIC:
            if self.accept_unsigned:
                return value
            raise SignatureError("the value is not signed")
        signed = value[:-MAC_SIZE]
        mac = value[-MAC_SIZE:]
        for base in self._states:
            state = base.copy()
            state.update(signed)
            if hmac.compare_digest(state.digest(), mac):
                return value[:-TRAILER_SIZE]
        raise SignatureError("the value's signature does not verify")

    def dumps(self, value: Any) -> bytes:
        """Serialize with the inner serializer, then sign."""
        return self.sign(self.inner.dumps(value))

    def loads(self, value: bytes) -> Any:
        """Verify, then deserialize with the inner serializer."""
        return self.inner.loads(self.verify(value))


__all__ = [
    "ACCEPT_UNSIGNED",
    "MAGIC",
    "SIGNING_OPTIONS",
    "SignatureError",
    "SigningSerializer",
    "signing_keys",
    "signing_mode",
    "signing_serializer",
]
