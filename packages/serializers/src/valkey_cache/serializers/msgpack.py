"""MessagePack with ``msgpack`` (``[msgpack]`` extra)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from valkey_cache.core.options import bool_option
from valkey_cache.core.serializer import BaseSerializer

from . import _ext
from ._common import Unencodable, callable_option, decode_error, encode_error, missing


class MSGPackSerializer(BaseSerializer):
    """MessagePack, readable by any msgpack library.

    Native msgpack values are written exactly as django-valkey 0.4 writes them (bin
    type for bytes, str type for text). datetimes, dates, times, timedeltas,
    Decimals, UUIDs, sets and frozensets are written as extension types 80-88 (see
    :mod:`valkey_cache.serializers._ext`) and come back as themselves. Tuples come back
    as lists; integer dict keys are kept.

    Options: ``MSGPACK_USE_BIN_TYPE`` (default True), ``MSGPACK_EXT_TYPES`` (default
    True; False raises for those types, as django-valkey 0.4 did), ``MSGPACK_DEFAULT``
    (function, or dotted path, turning any other object into something encodable) and
    ``MSGPACK_EXT_HOOK`` (function ``(code, data) -> value`` for other extension codes).
    """

    OPTIONS: ClassVar[frozenset[str]] = frozenset(
        {"MSGPACK_USE_BIN_TYPE", "MSGPACK_EXT_TYPES", "MSGPACK_DEFAULT", "MSGPACK_EXT_HOOK"}
    )

    def __init__(self, options: Mapping[str, Any] | None = None) -> None:
        super().__init__(options)
        try:
            import msgpack
        except ImportError as exc:
            raise missing(type(self), "msgpack") from exc
        self._msgpack: Any = msgpack
        self.use_bin_type = bool_option(self._options, "MSGPACK_USE_BIN_TYPE", True)
        self.ext_types = bool_option(self._options, "MSGPACK_EXT_TYPES", True)
        self._user_default = callable_option(self._options, "MSGPACK_DEFAULT")
        self._user_ext_hook = callable_option(self._options, "MSGPACK_EXT_HOOK")

    def _pack(self, value: Any) -> bytes:
        out: bytes = self._msgpack.packb(value, default=self._default, use_bin_type=self.use_bin_type)
        return out

    def _unpack(self, value: bytes) -> Any:
        return self._msgpack.unpackb(
            value, raw=False, strict_map_key=False, timestamp=3, ext_hook=self._ext_hook
        )

    def _default(self, obj: Any) -> Any:
        if self.ext_types:
            ext = _ext.encode(obj, self._pack, self._msgpack.ExtType)
            if ext is not None:
                return self._msgpack.ExtType(*ext)
        if self._user_default is not None:
            return self._user_default(obj)
        raise Unencodable(obj)

    def _ext_hook(self, code: int, data: bytes) -> Any:
        if self.ext_types and code in _ext.CODES:
            return _ext.decode(code, data, self._unpack)
        if self._user_ext_hook is not None:
            return self._user_ext_hook(code, data)
        return self._msgpack.ExtType(code, data)

    def dumps(self, value: Any) -> bytes:
        try:
            return self._pack(value)
        except (TypeError, ValueError, OverflowError) as exc:
            raise encode_error(self, value, exc, "MSGPACK_DEFAULT") from exc

    def loads(self, value: bytes) -> Any:
        try:
            return self._unpack(value)
        except Exception as exc:
            raise decode_error(self, exc) from exc
