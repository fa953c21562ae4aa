"""Values each serializer round-trips exactly, and the serializer list."""

from __future__ import annotations

import datetime
import uuid
from decimal import Decimal
from typing import Any

SERIALIZERS = {
    "pickle": "valkey_cache.core.serializer.PickleSerializer",
    "json": "valkey_cache.serializers.json.JSONSerializer",
    "orjson": "valkey_cache.serializers.orjson.OrjsonSerializer",
    "msgpack": "valkey_cache.serializers.msgpack.MSGPackSerializer",
    "msgspec-json": "valkey_cache.serializers.msgspec.MsgSpecJsonSerializer",
    "msgspec-msgpack": "valkey_cache.serializers.msgspec.MsgSpecMsgPackSerializer",
}

COMMON: dict[str, Any] = {
    "none": None,
    "true": True,
    "false": False,
    "int": 7,
    "negative": -12,
    "bigint": 2**80,
    "float": 3.25,
    "str": "héllo wörld ✓",
    "long_str": "lorem ipsum " * 60,
    "empty_str": "",
    "numeric_str": "12",
    "list": [1, "a", None, 2.5, [True, False]],
    "dict": {"a": 1, "nested": {"b": [1, 2, {"c": "d"}], "f": -0.5}},
    "empty_dict": {},
    "empty_list": [],
    "rows": [{"id": i, "name": f"row {i}", "ok": i % 2 == 0} for i in range(50)],
}

PARIS = datetime.timezone(datetime.timedelta(hours=2))

#: The types the JSON tags and the msgpack extensions add.
RICH: dict[str, Any] = {
    "datetime": datetime.datetime(2024, 2, 29, 13, 14, 15, 123456),
    "datetime_utc": datetime.datetime(2024, 2, 29, 13, 14, 15, tzinfo=datetime.timezone.utc),
    "datetime_offset": datetime.datetime(2024, 2, 29, 13, 14, 15, 7, tzinfo=PARIS),
    "date": datetime.date(1999, 12, 31),
    "time": datetime.time(23, 59, 58, 999),
    "time_aware": datetime.time(8, 0, tzinfo=PARIS),
    "timedelta": datetime.timedelta(days=-3, seconds=5, microseconds=1),
    "decimal": Decimal("12345678901234567890.000000001"),
    "decimal_nan": Decimal("-Infinity"),
    "set": {1, "two", 3.0, (4, (5, "six"))},
    "frozenset": frozenset({"a", "b"}),
    "empty_set": set(),
    "nested": {"when": [datetime.date(2020, 1, 1)], "amounts": {"x": Decimal("0.10")}},
}
BYTES: dict[str, Any] = {
    "bytes": b"\x00\x01\xfe\xff" * 10,
    "bytearray": bytearray(b"mutable"),
}
UUIDS: dict[str, Any] = {"uuid": uuid.UUID("12345678-1234-5678-1234-567812345678")}
#: Dicts whose keys collide with the JSON tag key.
TAG_LOOKALIKES: dict[str, Any] = {
    "tag_key": {"$vc": ["date", "2020-01-01"]},
    "tag_key_extra": {"$vc": 1, "other": [{"$vc": ["set", []]}]},
    "tag_string": ["$vc", '"$vc": ', {"k": '"$vc":'}],
}


def supported(name: str) -> dict[str, Any]:
    """What ``name`` round-trips exactly (equal value, same types)."""
    if name == "pickle":
        return {
            **COMMON,
            **RICH,
            **BYTES,
            **UUIDS,
            **TAG_LOOKALIKES,
            "tuple": (1, 2),
            "int_keys": {1: "a"},
        }
    if name == "json":
        return {**COMMON, **RICH, **BYTES, **UUIDS, **TAG_LOOKALIKES}
    if name == "orjson":
        return {**COMMON, **RICH, **BYTES, **TAG_LOOKALIKES}
    if name == "msgpack":
        return {
            **COMMON,
            **RICH,
            "bytes": BYTES["bytes"],
            **UUIDS,
            **TAG_LOOKALIKES,
            "int_keys": {1: "a", -2: ["b"]},
        }
    if name == "msgspec-json":
        # msgspec writes dicts as they are: one shaped exactly like a tag reads as the
        # tagged value (the documented price of reading JSONSerializer's tags).
        return {**COMMON, "tag_string": TAG_LOOKALIKES["tag_string"]}
    if name == "msgspec-msgpack":
        return {
            **COMMON,
            "bytes": BYTES["bytes"],
            "datetime_utc": RICH["datetime_utc"],
            **TAG_LOOKALIKES,
        }
    raise KeyError(name)
