"""The serializer x compressor advisor, and sampling values from a live server."""

from __future__ import annotations

import datetime
import sys
from typing import Any

import pytest

from valkey_cache.compressors.advisor import (
    COMPRESSORS,
    SERIALIZERS,
    Row,
    advise,
    format_table,
    sample_from_server,
)
from valkey_cache.core import Cache

from .helpers import big_value

VALUES: list[Any] = [big_value(), {"when": datetime.date(2020, 1, 1)}, 12, "short"]


def _row(rows: list[Row], serializer: str, compressor: str) -> Row:
    return next(r for r in rows if r.serializer == serializer and r.compressor == compressor)


def test_advise_measures_every_pair() -> None:
    calls: list[tuple[int, int]] = []
    rows = advise(VALUES, budget=0.001, progress=lambda done, total: calls.append((done, total)))
    assert len(rows) == len(SERIALIZERS) * len(COMPRESSORS)
    assert calls[-1] == (len(rows), len(rows))
    baseline = _row(rows, "pickle", "identity")
    assert baseline.ratio == 1.0
    assert baseline.lossless is True
    assert all(r.size is not None and r.encode_us is not None for r in rows)
    assert _row(rows, "pickle", "zstd").ratio < 0.5  # type: ignore[operator]
    # msgspec-json cannot bring the date back; JSON with tags can.
    assert _row(rows, "msgspec-json", "identity").lossless is False
    assert _row(rows, "json", "identity").lossless is True


class Opaque:
    pass


def test_advise_notes_unencodable_and_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    # brotli IS installed: this mocks its absence.
    monkeypatch.setitem(sys.modules, "brotli", None)
    rows = advise(
        [Opaque()],
        serializers={"pickle": SERIALIZERS["pickle"], "json": SERIALIZERS["json"]},
        compressors={"brotli": COMPRESSORS["brotli"], "zlib": COMPRESSORS["zlib"]},
        budget=0.001,
    )
    assert _row(rows, "json", "zlib").note.startswith("cannot encode")
    assert _row(rows, "json", "zlib").size is None
    assert _row(rows, "pickle", "zlib").ratio is not None
    note = _row(rows, "pickle", "brotli").note
    assert note == 'skipped: pip install "valkey-cache-compressors[brotli]"'


def test_advise_needs_values() -> None:
    with pytest.raises(ValueError, match="sample"):
        advise([])


def test_format_table() -> None:
    rows = [
        Row("pickle", "zstd", 50, 0.5, 3.25, 120.0, True),
        Row("json", "brotli", note="skipped: pip install x|y"),
        Row("pickle", "identity", 100, 1.0, 1.0, 1.0, False),
    ]
    table = format_table(rows, sort_by="size")
    lines = table.splitlines()
    assert lines[0].startswith("| serializer | compressor | bytes")
    assert lines[2] == "| pickle | zstd | 50 | 0.50 | 3.2 | 120 | yes |  |"
    assert lines[3].startswith("| pickle | identity | 100 | 1.00")
    assert lines[4] == "| json | brotli |  |  |  |  |  | skipped: pip install x\\|y |"


def test_sample_from_server(valkey_url: str) -> None:
    writer = Cache(valkey_url, key_prefix="app", compressor=COMPRESSORS["zstd"])
    for i in range(30):
        writer.set(f"item:{i}", {"i": i, "payload": "x" * (i * 10)})
    writer.set("count", 7)
    other = Cache(valkey_url, key_prefix="other")
    other.set("item:0", "not sampled")
    client = other.client.get_client()
    client.rpush("app:1:a-list", b"not a string")  # other types are skipped
    client.set("app:1:corrupt", b"\x80\x05garbage")  # undecodable values are skipped

    progress: list[tuple[int, int]] = []
    values = sample_from_server(
        valkey_url, "app:*", 1000, progress=lambda done, total: progress.append((done, total))
    )
    assert len(values) == 31
    assert 7 in values
    assert {"i": 3, "payload": "x" * 30} in values
    assert progress[-1] == (32, 32)

    assert len(sample_from_server(valkey_url, "app:*", 5)) == 5
    # Keys whose values do not decode are replaced by others, while there are others.
    for i in range(10):
        client.set(f"app:1:corrupt-{i}", b"\x80\x05garbage")
    assert len(sample_from_server(valkey_url, "app:*", 25)) == 25
    assert len(sample_from_server(valkey_url, "app:*", 40)) == 31
    json_values = sample_from_server(
        valkey_url,
        "json:*",
        10,
        serializer="valkey_cache.serializers.json.JSONSerializer",
    )
    assert json_values == []
    writer.close()
    other.close()
