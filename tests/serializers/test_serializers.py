"""Serializers: django-valkey 0.4's bytes, the tagged encodings, options and errors."""

from __future__ import annotations

import datetime
import json
import sys
import uuid
from decimal import Decimal
from typing import Any

import msgpack
import msgspec
import pytest
from django.core.serializers.json import DjangoJSONEncoder

from valkey_cache.core.exceptions import (
    ConfigurationError,
    MissingDependencyError,
    SerializerError,
)
from valkey_cache.serializers import (
    JSONSerializer,
    MSGPackSerializer,
    MsgSpecJsonSerializer,
    MsgSpecMsgPackSerializer,
    MsgSpecMsgpackSerializer,
    OrjsonSerializer,
)

from .values import BYTES, COMMON, RICH, TAG_LOOKALIKES, UUIDS

PLAIN = {k: v for k, v in COMMON.items() if k != "bigint"}


class Opaque:
    pass


def to_text(obj: Any) -> Any:
    """A JSON_DEFAULT / MSGPACK_DEFAULT hook for the tests."""
    if isinstance(obj, Opaque):
        return {"opaque": True}
    raise TypeError(type(obj).__name__)


def mark_dicts(obj: dict[str, Any]) -> Any:
    """A JSON_OBJECT_HOOK for the tests."""
    return {**obj, "hooked": True}


# -- django-valkey 0.4 compatibility ---------------------------------------------------------
# 0.4 writes json.dumps(value, cls=DjangoJSONEncoder).encode(), msgpack.dumps(value),
# msgspec.json.encode(value) and msgspec.msgpack.encode(value).


@pytest.mark.parametrize("value", list(PLAIN.values()), ids=list(PLAIN))
def test_plain_values_are_written_as_django_valkey_04_writes_them(value: Any) -> None:
    assert JSONSerializer().dumps(value) == json.dumps(value, cls=DjangoJSONEncoder).encode()
    assert MSGPackSerializer().dumps(value) == msgpack.dumps(value)
    assert MsgSpecJsonSerializer().dumps(value) == msgspec.json.encode(value)
    assert MsgSpecMsgPackSerializer().dumps(value) == msgspec.msgpack.encode(value)


@pytest.mark.parametrize("value", list(PLAIN.values()), ids=list(PLAIN))
def test_django_valkey_04_values_read(value: Any) -> None:
    assert JSONSerializer().loads(json.dumps(value, cls=DjangoJSONEncoder).encode()) == value
    assert MSGPackSerializer().loads(msgpack.dumps(value)) == value
    assert MsgSpecJsonSerializer().loads(msgspec.json.encode(value)) == value
    assert MsgSpecMsgPackSerializer().loads(msgspec.msgpack.encode(value)) == value


DJANGO_ENCODABLE = {
    k: v
    for k, v in {**RICH, **UUIDS}.items()
    if k not in ("time_aware", "set", "frozenset", "empty_set", "decimal_nan")
}


def test_json_without_tags_writes_what_djangojsonencoder_writes() -> None:
    serializer = JSONSerializer({"JSON_TYPE_TAGS": False})
    for key, value in DJANGO_ENCODABLE.items():
        expected = json.dumps(value, cls=DjangoJSONEncoder).encode()
        assert serializer.dumps(value) == expected, key
        assert serializer.loads(expected) == json.loads(expected)
    for delta in (
        datetime.timedelta(0),
        datetime.timedelta(hours=-1, microseconds=5),
        datetime.timedelta(days=400, seconds=3723),
    ):
        assert serializer.dumps(delta) == json.dumps(delta, cls=DjangoJSONEncoder).encode()
    with pytest.raises(SerializerError):
        serializer.dumps(RICH["time_aware"])
    with pytest.raises(SerializerError, match="bytes"):
        serializer.dumps(b"x")


def test_django_0_4_strings_read_as_strings() -> None:
    written = json.dumps(DJANGO_ENCODABLE, cls=DjangoJSONEncoder).encode()
    assert JSONSerializer().loads(written) == json.loads(written)
    assert MsgSpecJsonSerializer().dumps(DJANGO_ENCODABLE) == msgspec.json.encode(DJANGO_ENCODABLE)


def test_json_encoder_class_like_django_valkey_04() -> None:
    class Django04JSONSerializer(JSONSerializer):
        encoder_class = DjangoJSONEncoder

    serializer = Django04JSONSerializer()
    value = {"when": RICH["datetime"], "id": UUIDS["uuid"]}
    assert serializer.dumps(value) == json.dumps(value, cls=DjangoJSONEncoder).encode()
    assert serializer.loads(serializer.dumps(value)) == json.loads(serializer.dumps(value))


def test_lazy_translation_strings_become_text() -> None:
    from django.utils.functional import lazy

    lazy_text = lazy(lambda: "hello", str)()
    assert JSONSerializer().dumps([lazy_text]) == b'["hello"]'
    assert JSONSerializer({"JSON_TYPE_TAGS": False}).dumps([lazy_text]) == b'["hello"]'


# -- tagged JSON --------------------------------------------------------------------------------


def test_json_tag_format() -> None:
    serializer = JSONSerializer()
    assert serializer.dumps(datetime.date(2020, 1, 2)) == b'{"$vc": ["date", "2020-01-02"]}'
    assert serializer.dumps({"d": Decimal("1.50")}) == b'{"d": {"$vc": ["decimal", "1.50"]}}'
    assert serializer.dumps(b"\x00\xff") == b'{"$vc": ["bytes", "AP8="]}'
    assert serializer.dumps(datetime.timedelta(days=1, microseconds=2)) == (
        b'{"$vc": ["timedelta", [1, 0, 2]]}'
    )


@pytest.mark.parametrize("cls", [JSONSerializer, OrjsonSerializer])
def test_dicts_that_look_like_tags_are_escaped(cls: type[Any]) -> None:
    serializer = cls()
    for key, value in TAG_LOOKALIKES.items():
        out = serializer.dumps(value)
        assert serializer.loads(out) == value, key
        assert json.loads(out) != value or key == "tag_string", key


@pytest.mark.parametrize("cls", [JSONSerializer, OrjsonSerializer])
def test_foreign_objects_that_look_like_tags_pass_through(cls: type[Any]) -> None:
    serializer = cls()
    for doc in (
        b'{"$vc": ["nonsense", 1]}',
        b'{"$vc": ["date", "not a date"]}',
        b'{"$vc": "date"}',
        b'{"$vc": ["set", [[1]]]}',
    ):
        assert serializer.loads(doc) == json.loads(doc)


def test_json_and_orjson_read_each_other() -> None:
    value = {**RICH, **BYTES}
    assert OrjsonSerializer().loads(JSONSerializer().dumps(value)) == value
    assert JSONSerializer().loads(OrjsonSerializer().dumps(value)) == value
    assert MsgSpecJsonSerializer().loads(JSONSerializer().dumps(value)) == value


def test_orjson_uuid_is_native_text() -> None:
    assert OrjsonSerializer().loads(OrjsonSerializer().dumps(UUIDS["uuid"])) == str(UUIDS["uuid"])


def test_json_default_and_object_hook_options() -> None:
    for default in (to_text, f"{__name__}.to_text"):
        serializer = JSONSerializer({"JSON_DEFAULT": default})
        assert serializer.loads(serializer.dumps([Opaque()])) == [{"opaque": True}]
    serializer = JSONSerializer({"JSON_OBJECT_HOOK": f"{__name__}.mark_dicts"})
    out = serializer.dumps({"a": {"b": datetime.date(2020, 1, 1)}})
    assert serializer.loads(out) == {
        "a": {"b": datetime.date(2020, 1, 1), "hooked": True},
        "hooked": True,
    }
    assert serializer.loads(b'{"x": 1}') == {"x": 1, "hooked": True}
    plain = JSONSerializer({"JSON_TYPE_TAGS": False, "JSON_DEFAULT": to_text})
    assert plain.loads(plain.dumps(Opaque())) == {"opaque": True}


def test_orjson_options() -> None:
    assert OrjsonSerializer().dumps({1: "a"}) == b'{"1":"a"}'
    sorted_keys = OrjsonSerializer({"ORJSON_OPTION": ["OPT_SORT_KEYS", "NON_STR_KEYS"]})
    assert sorted_keys.dumps({"b": 1, "a": 2}) == b'{"a":2,"b":1}'
    strict = OrjsonSerializer({"ORJSON_OPTION": 0})
    with pytest.raises(SerializerError):
        strict.dumps({1: "a"})
    untagged = OrjsonSerializer({"ORJSON_TYPE_TAGS": False})
    assert untagged.dumps(datetime.date(2020, 1, 2)) == b'"2020-01-02"'
    with pytest.raises(SerializerError, match="Decimal"):
        untagged.dumps(Decimal(1))
    hooked = OrjsonSerializer({"ORJSON_DEFAULT": to_text})
    assert hooked.loads(hooked.dumps([Opaque()])) == [{"opaque": True}]


# -- msgpack extensions --------------------------------------------------------------------------


def test_msgpack_extension_codes() -> None:
    out = MSGPackSerializer().dumps(datetime.date(2020, 1, 2))
    assert msgpack.unpackb(out) == msgpack.ExtType(81, b"2020-01-02")
    out = MSGPackSerializer().dumps(UUIDS["uuid"])
    assert msgpack.unpackb(out) == msgpack.ExtType(85, UUIDS["uuid"].bytes)


def test_msgpack_options() -> None:
    assert MSGPackSerializer({"MSGPACK_USE_BIN_TYPE": False}).dumps(b"ab") == msgpack.packb(
        b"ab", use_bin_type=False
    )
    plain = MSGPackSerializer({"MSGPACK_EXT_TYPES": False})
    with pytest.raises(SerializerError, match="datetime"):
        plain.dumps(RICH["datetime"])
    ext = msgpack.packb(msgpack.ExtType(81, b"2020-01-02"))
    assert plain.loads(ext) == msgpack.ExtType(81, b"2020-01-02")
    hooked = MSGPackSerializer(
        {"MSGPACK_DEFAULT": to_text, "MSGPACK_EXT_HOOK": lambda code, data: (code, data)}
    )
    assert hooked.loads(hooked.dumps([Opaque()])) == [{"opaque": True}]
    assert hooked.loads(msgpack.packb(msgpack.ExtType(5, b"x"))) == (5, b"x")
    assert MSGPackSerializer().loads(msgpack.packb(msgpack.ExtType(5, b"x"))) == msgpack.ExtType(5, b"x")


def test_msgpack_and_msgspec_msgpack_read_each_other() -> None:
    value = dict(RICH)
    assert MsgSpecMsgPackSerializer().loads(MSGPackSerializer().dumps(value)) == value
    written = MsgSpecMsgPackSerializer().dumps(RICH["datetime_utc"])
    assert MSGPackSerializer().loads(written) == RICH["datetime_utc"]


# -- msgspec -------------------------------------------------------------------------------------


class Point(msgspec.Struct):
    x: int
    y: datetime.date


def test_msgspec_type_option() -> None:
    for cls in (MsgSpecJsonSerializer, MsgSpecMsgPackSerializer):
        serializer = cls({"MSGSPEC_TYPE": f"{__name__}.Point"})
        point = Point(1, datetime.date(2020, 1, 1))
        assert serializer.loads(serializer.dumps(point)) == point
        typed = cls({"MSGSPEC_TYPE": dict[str, datetime.datetime]})
        assert typed.loads(typed.dumps({"a": RICH["datetime"]})) == {"a": RICH["datetime"]}


def test_msgspec_hooks() -> None:
    serializer = MsgSpecJsonSerializer({"MSGSPEC_ENC_HOOK": to_text})
    assert serializer.loads(serializer.dumps([Opaque()])) == [{"opaque": True}]


def test_msgspec_alias() -> None:
    assert MsgSpecMsgpackSerializer is MsgSpecMsgPackSerializer


# -- errors --------------------------------------------------------------------------------------

ALL = [
    JSONSerializer,
    OrjsonSerializer,
    MSGPackSerializer,
    MsgSpecJsonSerializer,
    MsgSpecMsgPackSerializer,
]


@pytest.mark.parametrize("cls", ALL)
def test_unencodable_value_names_serializer_and_type(cls: type[Any]) -> None:
    with pytest.raises(SerializerError) as info:
        cls().dumps({"x": [Opaque()]})
    message = str(info.value)
    assert cls.__name__ in message
    assert "Opaque" in message


@pytest.mark.parametrize("cls", ALL)
def test_garbage_is_a_serializer_error(cls: type[Any]) -> None:
    with pytest.raises(SerializerError, match=cls.__name__):
        cls().loads(b"\xc1\x80{not valid")


@pytest.mark.parametrize(
    ("cls", "options"),
    [
        (JSONSerializer, {"JSON_DEFAULT": "no.such.function"}),
        (JSONSerializer, {"JSON_DEFAULT": 3}),
        (JSONSerializer, {"JSON_TYPE_TAGS": "sometimes"}),
        (JSONSerializer, {"JSON_OBJECT_HOOK": "json"}),
        (OrjsonSerializer, {"ORJSON_OPTION": ["OPT_NOPE"]}),
        (OrjsonSerializer, {"ORJSON_OPTION": 1.5}),
        (MSGPackSerializer, {"MSGPACK_USE_BIN_TYPE": "x"}),
        (MSGPackSerializer, {"MSGPACK_EXT_HOOK": "nowhere.hook"}),
        (MsgSpecJsonSerializer, {"MSGSPEC_TYPE": "no.such.Type"}),
        (MsgSpecJsonSerializer, {"MSGSPEC_TYPE": 5}),
        (MsgSpecMsgPackSerializer, {"MSGSPEC_DEC_HOOK": 5}),
    ],
)
def test_bad_options(cls: type[Any], options: dict[str, Any]) -> None:
    with pytest.raises(ConfigurationError) as info:
        cls(options)
    assert info.value.option in options
    assert info.value.option in cls.OPTIONS


@pytest.mark.parametrize(
    ("cls", "modules", "extra"),
    [
        (MSGPackSerializer, ["msgpack"], "msgpack"),
        (MsgSpecJsonSerializer, ["msgspec"], "msgspec"),
        (MsgSpecMsgPackSerializer, ["msgspec"], "msgspec"),
        (OrjsonSerializer, ["orjson"], "orjson"),
    ],
)
def test_missing_library_gives_the_pip_line(
    cls: type[Any], modules: list[str], extra: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The library IS installed in the test environment: this mocks its absence by
    # making the import fail.
    for module in modules:
        monkeypatch.setitem(sys.modules, module, None)
    with pytest.raises(MissingDependencyError) as info:
        cls()
    assert f'pip install "valkey-cache-serializers[{extra}]"' in str(info.value)
    assert info.value.option == "SERIALIZER"
    assert info.value.value == f"{cls.__module__}.{cls.__qualname__}"


def test_modules_import_without_their_libraries() -> None:
    import subprocess

    # A fresh interpreter in which the (installed) libraries are made unimportable.
    code = """
import sys
for name in ("msgpack", "msgspec", "orjson", "lz4", "lz4.frame", "brotli",
             "backports.zstd", "compression.zstd"):
    sys.modules[name] = None
import valkey_cache.serializers, valkey_cache.compressors
from valkey_cache.compressors import advisor, detect, settings_map
from valkey_cache.core.exceptions import MissingDependencyError
assert valkey_cache.serializers.JSONSerializer().dumps([1]) == b"[1]"
assert valkey_cache.compressors.ZlibCompressor().decompress(
    valkey_cache.compressors.ZlibCompressor().compress(b"x" * 100)) == b"x" * 100
for cls in (valkey_cache.serializers.MSGPackSerializer, valkey_cache.compressors.ZStdCompressor):
    try:
        cls()
    except MissingDependencyError as exc:
        print(exc)
    else:
        raise AssertionError(cls)
"""
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert 'pip install "valkey-cache-serializers[msgpack]"' in result.stdout
    assert 'pip install "valkey-cache-compressors[zstd]"' in result.stdout


def test_declared_options() -> None:
    assert frozenset({"JSON_TYPE_TAGS", "JSON_DEFAULT", "JSON_OBJECT_HOOK"}) == JSONSerializer.OPTIONS
    assert frozenset({"ORJSON_OPTION", "ORJSON_TYPE_TAGS", "ORJSON_DEFAULT"}) == OrjsonSerializer.OPTIONS
    assert "MSGPACK_EXT_TYPES" in MSGPackSerializer.OPTIONS
    assert len(MSGPackSerializer.OPTIONS) == 4
    assert (
        MsgSpecJsonSerializer.OPTIONS
        == MsgSpecMsgPackSerializer.OPTIONS
        == {"MSGSPEC_TYPE", "MSGSPEC_ENC_HOOK", "MSGSPEC_DEC_HOOK"}
    )


def test_uuid_round_trip_json() -> None:
    value = uuid.uuid4()
    assert JSONSerializer().loads(JSONSerializer().dumps(value)) == value
