"""What a new user meets first, on the core: unpicklable values and get_or_set races.

Real server throughout. A value pickle refuses raises SerializerError naming the key
and the value's type (pickle's error as ``__cause__``), and nothing is half-written;
``get_or_set`` whose add loses a race returns the winner's value and leaves it stored.
"""

from __future__ import annotations

import threading
from typing import Any

import pytest
import valkey

from valkey_cache.core import AsyncCache, Cache
from valkey_cache.core.exceptions import SerializerError

CLIENTS = {
    "default": {},
    "herd": {"CLIENT_CLASS": "valkey_cache.core.client.HerdClient"},
    "signed": {"SIGNING_KEY": "s" * 32},
}
ASYNC_CLIENTS = {
    "default": {},
    "herd": {"CLIENT_CLASS": "valkey_cache.core.client.AsyncHerdClient"},
    "signed": {"SIGNING_KEY": "s" * 32},
}


def _unpicklable() -> Any:
    return threading.Lock()


def _check(caught: pytest.ExceptionInfo[SerializerError], key: str) -> None:
    message = str(caught.value)
    assert repr(key) in message
    assert "_thread.lock" in message
    assert isinstance(caught.value.__cause__, TypeError)


@pytest.mark.parametrize("options", list(CLIENTS.values()), ids=list(CLIENTS))
def test_unpicklable_value_names_the_key(
    options: dict[str, Any], valkey_url: str, raw_valkey: valkey.Valkey
) -> None:
    cache = Cache(valkey_url, options=options)
    with pytest.raises(SerializerError) as caught:
        cache.set("the-key", _unpicklable())
    _check(caught, "the-key")
    with pytest.raises(SerializerError) as caught:
        cache.set("the-key", _unpicklable(), timeout=None)
    _check(caught, "the-key")
    with pytest.raises(SerializerError) as caught:
        cache.add("added", _unpicklable())
    _check(caught, "added")
    with pytest.raises(SerializerError) as caught:
        cache.get_or_set("computed", _unpicklable)
    _check(caught, "computed")
    for timeout in (300, None):
        with pytest.raises(SerializerError) as caught:
            cache.set_many({"fine": 1, "bad": _unpicklable(), "after": "x"}, timeout=timeout)
        _check(caught, "bad")
    with pytest.raises(SerializerError) as caught:
        cache.mset({"fine": 1, "bad2": _unpicklable()})
    _check(caught, "bad2")
    assert raw_valkey.keys("*") == []  # nothing half-written


@pytest.mark.anyio
@pytest.mark.parametrize("options", list(ASYNC_CLIENTS.values()), ids=list(ASYNC_CLIENTS))
async def test_unpicklable_value_names_the_key_async(
    options: dict[str, Any], valkey_url: str, raw_valkey: valkey.Valkey
) -> None:
    cache = AsyncCache(valkey_url, options=options)
    await cache.set("warm", 1)  # the direct path needs an open connection
    with pytest.raises(SerializerError) as caught:
        await cache.set("the-key", _unpicklable())
    _check(caught, "the-key")
    with pytest.raises(SerializerError) as caught:
        await cache.add("added", _unpicklable())
    _check(caught, "added")
    with pytest.raises(SerializerError) as caught:
        await cache.get_or_set("computed", _unpicklable)
    _check(caught, "computed")
    with pytest.raises(SerializerError) as caught:
        await cache.set_many({"fine": 1, "bad": _unpicklable()})
    _check(caught, "bad")
    with pytest.raises(SerializerError) as caught:
        await cache.mset({"fine": 1, "bad2": _unpicklable()})
    _check(caught, "bad2")
    assert raw_valkey.keys("*") == [b":1:warm"]
    await cache.close()


def test_unpicklable_value_on_shards_writes_nothing(valkey_url: str, raw_valkey: valkey.Valkey) -> None:
    shards = Cache(
        [valkey_url, valkey_url.rstrip("/") + "/1"], client_class="valkey_cache.core.client.ShardClient"
    )
    with pytest.raises(SerializerError) as caught:
        shards.set_many({f"k{i}": i for i in range(10)} | {"bad": _unpicklable()})
    _check(caught, "bad")
    assert raw_valkey.keys("*") == []


# -- get_or_set: the winner of a race keeps its value -------------------------------------


@pytest.mark.parametrize("options", list(CLIENTS.values()), ids=list(CLIENTS))
def test_get_or_set_returns_the_winner_and_keeps_it(options: dict[str, Any], valkey_url: str) -> None:
    first = Cache(valkey_url, options=options)
    second = Cache(valkey_url, options=dict(options))
    calls: list[str] = []

    def default() -> str:
        calls.append("computed")
        second.set("race", "winner")  # another process stores it meanwhile
        return "loser"

    assert first.get_or_set("race", default) == "winner"
    assert calls == ["computed"]
    assert first.get("race") == "winner"
    assert second.get("race") == "winner"
    assert first.get_or_set("race", default) == "winner"
    assert calls == ["computed"]
    assert first.get_or_set("fresh", "value") == "value"
    assert second.get("fresh") == "value"


@pytest.mark.anyio
@pytest.mark.parametrize("options", list(ASYNC_CLIENTS.values()), ids=list(ASYNC_CLIENTS))
async def test_get_or_set_returns_the_winner_and_keeps_it_async(
    options: dict[str, Any], valkey_url: str
) -> None:
    first = AsyncCache(valkey_url, options=options)
    sync_second = Cache(valkey_url, options={k: v.replace("Async", "") for k, v in options.items()})

    def default() -> str:
        sync_second.set("race", "winner")
        return "loser"

    assert await first.get_or_set("race", default) == "winner"
    assert await first.get("race") == "winner"
    assert sync_second.get("race") == "winner"
    await first.close()
