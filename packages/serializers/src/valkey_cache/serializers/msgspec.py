"""JSON and MessagePack with ``msgspec`` (``[msgspec]`` extra)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from valkey_cache.core.exceptions import ConfigurationError
from valkey_cache.core.imports import import_string
from valkey_cache.core.serializer import BaseSerializer

from . import _ext, _tags
from ._common import Unencodable, callable_option, decode_error, encode_error, missing


class _MsgSpecSerializer(BaseSerializer):
    OPTIONS: ClassVar[frozenset[str]] = frozenset({"MSGSPEC_TYPE", "MSGSPEC_ENC_HOOK", "MSGSPEC_DEC_HOOK"})

    def __init__(self, options: Mapping[str, Any] | None = None) -> None:
        super().__init__(options)
        try:
            import msgspec
        except ImportError as exc:
            raise missing(type(self), "msgspec") from exc
        self._msgspec: Any = msgspec
        self._type = _type_option(self._options, "MSGSPEC_TYPE")
        self._untyped = self._type is Any
        self._enc_hook = callable_option(self._options, "MSGSPEC_ENC_HOOK") or _unencodable
        self._dec_hook = callable_option(self._options, "MSGSPEC_DEC_HOOK")
        self._encoder: Any = None
        self._decoder: Any = None

    def _make_decoder(self, decoder_class: Any, **kwargs: Any) -> Any:
        try:
            return decoder_class(self._type, dec_hook=self._dec_hook, **kwargs)
        except TypeError as exc:
            raise ConfigurationError(
                "MSGSPEC_TYPE",
                self._options.get("MSGSPEC_TYPE"),
                f"a type msgspec supports ({exc})",
            ) from exc

    def dumps(self, value: Any) -> bytes:
        try:
            out: bytes = self._encoder.encode(value)
        except (TypeError, ValueError, OverflowError) as exc:
            cause = exc.__cause__ if isinstance(exc.__cause__, Unencodable) else exc
            raise encode_error(self, value, cause, "MSGSPEC_ENC_HOOK") from exc
        return out

    def loads(self, value: bytes) -> Any:
        try:
            return self._decoder.decode(value)
        except Exception as exc:
            raise decode_error(self, exc) from exc


class MsgSpecJsonSerializer(_MsgSpecSerializer):
    """JSON with ``msgspec.json``, byte for byte as django-valkey 0.4 writes it.

    msgspec writes datetimes, dates, times, timedeltas, Decimals and UUIDs as strings
    and bytes as base64, which come back as strings unless ``MSGSPEC_TYPE`` says what
    to decode into (a type or its dotted path, e.g. a ``msgspec.Struct``). Values
    written by :class:`~valkey_cache.serializers.json.JSONSerializer` with type tags
    read back as their types. Options: ``MSGSPEC_TYPE`` (default ``Any``),
    ``MSGSPEC_ENC_HOOK`` and ``MSGSPEC_DEC_HOOK`` (functions or dotted paths, passed to
    msgspec's encoder and decoder).
    """

    def __init__(self, options: Mapping[str, Any] | None = None) -> None:
        super().__init__(options)
        json = self._msgspec.json
        self._encoder = json.Encoder(enc_hook=self._enc_hook)
        self._decoder = self._make_decoder(json.Decoder)

    def loads(self, value: bytes) -> Any:
        result = super().loads(value)
        if self._untyped and _tags.TAG_BYTES in value:
            return _tags.decode_tree(result)
        return result


class MsgSpecMsgPackSerializer(_MsgSpecSerializer):
    """MessagePack with ``msgspec.msgpack``, byte for byte as django-valkey 0.4 writes it.

    msgspec writes aware datetimes as msgpack timestamps (read back as UTC datetimes)
    and naive ones, dates, times, Decimals and UUIDs as strings, which come back as
    strings unless ``MSGSPEC_TYPE`` says otherwise. Extension types written by
    :class:`~valkey_cache.serializers.msgpack.MSGPackSerializer` read back as their
    types. Options as :class:`MsgSpecJsonSerializer`.
    """

    def __init__(self, options: Mapping[str, Any] | None = None) -> None:
        super().__init__(options)
        msgpack = self._msgspec.msgpack
        self._encoder = msgpack.Encoder(enc_hook=self._enc_hook)
        self._decoder = self._make_decoder(msgpack.Decoder, ext_hook=self._ext_hook)
        self._nested = msgpack.Decoder(ext_hook=self._ext_hook)

    def _ext_hook(self, code: int, data: memoryview) -> Any:
        if code in _ext.CODES:
            return _ext.decode(code, bytes(data), self._nested.decode)
        return self._msgspec.msgpack.Ext(code, bytes(data))


#: The spelling the task list and some docs use.
MsgSpecMsgpackSerializer = MsgSpecMsgPackSerializer


def _unencodable(obj: Any) -> Any:
    raise Unencodable(obj)


def _type_option(options: Mapping[str, Any], name: str) -> Any:
    value = options.get(name)
    if value is None:
        return Any
    if isinstance(value, str):
        try:
            return import_string(value)
        except ImportError as exc:
            raise ConfigurationError(name, value, f"a type or an importable dotted path ({exc})") from exc
    return value
