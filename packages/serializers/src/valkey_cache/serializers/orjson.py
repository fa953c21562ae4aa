"""JSON with ``orjson`` (``[orjson]`` extra), in the same tagged format as JSONSerializer."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from valkey_cache.core.exceptions import ConfigurationError
from valkey_cache.core.options import bool_option
from valkey_cache.core.serializer import BaseSerializer

from . import _tags
from ._common import Unencodable, callable_option, decode_error, encode_error, missing

_TAG_KEY = b'"$vc":'


class OrjsonSerializer(BaseSerializer):
    """Fast JSON. What it writes, :class:`~valkey_cache.serializers.json.JSONSerializer`
    reads, and the other way round.

    With ``ORJSON_TYPE_TAGS`` (default True) datetimes, dates, times, Decimals, bytes,
    bytearrays, sets and frozensets are written as the same tagged objects as
    JSONSerializer writes and come back as themselves; UUIDs, dataclasses, enums and
    numpy arrays are written natively by orjson and come back as strings, dicts and
    lists. With False, orjson's own encoding is used (RFC 3339 strings for datetimes).

    Options: ``ORJSON_OPTION`` (an int of ``orjson.OPT_*`` flags or a list of their
    names; default ``["OPT_NON_STR_KEYS"]`` so that non-string keys become strings as
    with the json module), ``ORJSON_TYPE_TAGS`` and ``ORJSON_DEFAULT`` (function, or
    dotted path, turning any other object into something encodable).
    """

    OPTIONS: ClassVar[frozenset[str]] = frozenset({"ORJSON_OPTION", "ORJSON_TYPE_TAGS", "ORJSON_DEFAULT"})

    def __init__(self, options: Mapping[str, Any] | None = None) -> None:
        super().__init__(options)
        try:
            import orjson
        except ImportError as exc:
            raise missing(type(self), "orjson") from exc
        self._orjson: Any = orjson
        self.type_tags = bool_option(self._options, "ORJSON_TYPE_TAGS", True)
        self.option = _option_flags(orjson, self._options, "ORJSON_OPTION")
        self._write_option = self.option
        if self.type_tags:
            self._write_option |= orjson.OPT_PASSTHROUGH_DATETIME
        self._user_default = callable_option(self._options, "ORJSON_DEFAULT")

    def dumps(self, value: Any) -> bytes:
        try:
            if not self.type_tags:
                out: bytes = self._orjson.dumps(value, default=self._plain_default, option=self._write_option)
                return out
            return self._dumps_tagged(value)
        except (TypeError, ValueError, self._orjson.JSONEncodeError) as exc:
            cause = exc.__cause__ if isinstance(exc.__cause__, Unencodable) else exc
            raise encode_error(self, value, cause, "ORJSON_DEFAULT") from exc

    def _plain_default(self, obj: Any) -> Any:
        if self._user_default is not None:
            return self._user_default(obj)
        raise Unencodable(obj)

    def _dumps_tagged(self, value: Any) -> bytes:
        tags = 0
        user_default = self._user_default

        def default(obj: Any) -> Any:
            nonlocal tags
            tagged = _tags.encode(obj)
            if tagged is not _tags.NOT_TAGGED:
                tags += 1
                return tagged
            if user_default is not None:
                return _tags.escape(user_default(obj))
            raise Unencodable(obj)

        out: bytes = self._orjson.dumps(value, default=default, option=self._write_option)
        if out.count(_TAG_KEY) > tags:
            # A dict of the caller's has a "$vc" key: escape it so it reads back as itself.
            out = self._orjson.dumps(_tags.escape(value), default=default, option=self._write_option)
        return out

    def loads(self, value: bytes) -> Any:
        try:
            result = self._orjson.loads(value)
        except Exception as exc:
            raise decode_error(self, exc) from exc
        if self.type_tags and _tags.TAG_BYTES in value:
            return _tags.decode_tree(result)
        return result


def _option_flags(orjson: Any, options: Mapping[str, Any], name: str) -> int:
    value = options.get(name, ("OPT_NON_STR_KEYS",))
    accepted = "an int of orjson.OPT_* flags or a list of their names"
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str):
        value = (value,)
    if not isinstance(value, (list, tuple, set, frozenset)):
        raise ConfigurationError(name, value, accepted)
    flags = 0
    for item in value:
        flag_name = item if isinstance(item, str) and item.startswith("OPT_") else f"OPT_{item}"
        flag = getattr(orjson, flag_name, None)
        if not isinstance(flag, int):
            raise ConfigurationError(name, options.get(name), accepted)
        flags |= flag
    return flags
