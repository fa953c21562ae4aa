"""JSON with the standard library, round-tripping the common types JSON lacks."""

from __future__ import annotations

import datetime
import json
import sys
import uuid
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any, ClassVar

from valkey_cache.core.options import bool_option
from valkey_cache.core.serializer import BaseSerializer

from . import _tags
from ._common import Unencodable, callable_option, decode_error, encode_error

_TAG_KEY = '"$vc": '


class JSONSerializer(BaseSerializer):
    """JSON (``json`` module), readable by any JSON parser.

    Plain JSON values are written exactly as django-valkey 0.4 writes them. datetimes,
    dates, times, timedeltas, Decimals, UUIDs, bytes, bytearrays, sets and frozensets
    are written as tagged objects (see :mod:`valkey_cache.serializers._tags`) and come
    back as themselves. As in any JSON, tuples come back as lists and dict keys as
    strings.

    Options: ``JSON_TYPE_TAGS`` (default True; False writes those types as strings
    exactly as django-valkey 0.4 did, and bytes and sets raise), ``JSON_DEFAULT``
    (function, or its dotted path, that turns any other object into something
    encodable) and ``JSON_OBJECT_HOOK`` (function applied to every decoded dict that
    is not a tag).

    A subclass may set ``encoder_class`` to a ``json.JSONEncoder`` subclass; values are
    then written with it and read without tags, as in django-valkey 0.4.
    """

    OPTIONS: ClassVar[frozenset[str]] = frozenset({"JSON_TYPE_TAGS", "JSON_DEFAULT", "JSON_OBJECT_HOOK"})
    encoder_class: ClassVar[type[json.JSONEncoder] | None] = None

    def __init__(self, options: Mapping[str, Any] | None = None) -> None:
        super().__init__(options)
        self.type_tags = bool_option(self._options, "JSON_TYPE_TAGS", True)
        self._user_default = callable_option(self._options, "JSON_DEFAULT")
        self._user_object_hook = callable_option(self._options, "JSON_OBJECT_HOOK")
        user_hook = self._user_object_hook
        if user_hook is None:
            self._tag_hook: Callable[[dict[str, Any]], Any] = _tags.decode
        else:

            def tag_hook(obj: dict[str, Any]) -> Any:
                result = _tags.decode(obj)
                return user_hook(obj) if result is obj else result

            self._tag_hook = tag_hook

    def dumps(self, value: Any) -> bytes:
        try:
            if self.encoder_class is not None:
                return json.dumps(value, cls=self.encoder_class).encode()
            if not self.type_tags:
                return json.dumps(value, default=self._plain_default).encode()
            return self._dumps_tagged(value).encode()
        except (TypeError, ValueError, RecursionError) as exc:
            raise encode_error(self, value, exc, "JSON_DEFAULT") from exc

    def _dumps_tagged(self, value: Any) -> str:
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
            return _plain_or_raise(obj)

        text = json.dumps(value, default=default)
        if text.count(_TAG_KEY) > tags:
            # Some dict of the caller's has a "$vc" key (or a string looks like one):
            # encode again with such dicts escaped so they cannot pass for tags.
            text = json.dumps(_tags.escape(value), default=default)
        return text

    def _plain_default(self, obj: Any) -> Any:
        """django-valkey 0.4's encoding (Django's ``DjangoJSONEncoder``)."""
        if isinstance(obj, datetime.datetime):
            text = obj.isoformat()
            if obj.microsecond:
                text = text[:23] + text[26:]
            if text.endswith("+00:00"):
                text = text[:-6] + "Z"
            return text
        if isinstance(obj, datetime.date):
            return obj.isoformat()
        if isinstance(obj, datetime.time):
            if obj.utcoffset() is not None:
                raise ValueError("JSON can't represent timezone-aware times.")
            text = obj.isoformat()
            return text[:12] if obj.microsecond else text
        if isinstance(obj, datetime.timedelta):
            return _duration_iso(obj)
        if isinstance(obj, (Decimal, uuid.UUID)):
            return str(obj)
        if self._user_default is not None:
            return self._user_default(obj)
        return _plain_or_raise(obj)

    def loads(self, value: bytes) -> Any:
        try:
            if self.encoder_class is not None or not self.type_tags:
                return json.loads(value, object_hook=self._user_object_hook)
            if _tags.TAG_BYTES in value:
                return json.loads(value, object_hook=self._tag_hook)
            return json.loads(value, object_hook=self._user_object_hook)
        except Exception as exc:
            raise decode_error(self, exc) from exc


def _plain_or_raise(obj: Any) -> Any:
    """Django's lazy translation strings become text, as Django's encoder does."""
    functional = sys.modules.get("django.utils.functional")
    if functional is not None and isinstance(obj, functional.Promise):
        return str(obj)
    raise Unencodable(obj)


def _duration_iso(delta: datetime.timedelta) -> str:
    """ISO 8601 duration as Django writes it, e.g. ``P1DT02H03M04.000005S``."""
    sign = ""
    if delta < datetime.timedelta(0):
        sign = "-"
        delta = -delta
    minutes, seconds = divmod(delta.seconds, 60)
    hours, minutes = divmod(minutes, 60)
    fraction = f".{delta.microseconds:06d}" if delta.microseconds else ""
    return f"{sign}P{delta.days}DT{hours:02d}H{minutes:02d}M{seconds:02d}{fraction}S"
