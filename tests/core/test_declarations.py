"""Every declared command reaches every consumer, with its signature, docstring and kind.

A command is declared once (``commands.table``); the clients and the facade get their
methods from the declaration. These tests fail when a consumer lacks a command, when a
method's signature or kind (coroutine, iterator) drifts from its declaration, or when a
declaration has no docstring. The Django backends have their own twin of this test.
"""

from __future__ import annotations

import inspect
from typing import Any

import pytest

from valkey_cache.core import AsyncCache, Cache, ignore
from valkey_cache.core.client import (
    AsyncClusterClient,
    AsyncDefaultClient,
    AsyncHerdClient,
    AsyncSentinelClient,
    AsyncShardClient,
    ClusterClient,
    DefaultClient,
    HerdClient,
    SentinelClient,
    ShardClient,
)
from valkey_cache.core.commands.declare import AsyncSide, Command, declared, key
from valkey_cache.core.commands.table import Commands

SYNC_CLIENTS = (DefaultClient, HerdClient, SentinelClient, ShardClient, ClusterClient)
ASYNC_CLIENTS = (
    AsyncDefaultClient,
    AsyncHerdClient,
    AsyncSentinelClient,
    AsyncShardClient,
    AsyncClusterClient,
)
CONSUMERS = (*SYNC_CLIENTS, *ASYNC_CLIENTS, Cache, AsyncCache)
DECLARED = declared(Commands)


def method_params(function: Any) -> list[tuple[str, Any, Any]]:
    return [(p.name, p.kind, p.default) for p in list(inspect.signature(function).parameters.values())[1:]]


def test_the_table_declares_every_command_once_with_a_docstring() -> None:
    assert len(DECLARED) > 60
    for name, declaration in DECLARED.items():
        assert declaration.name == name
        assert declaration.doc, f"{name} has no docstring"


@pytest.mark.parametrize("consumer", CONSUMERS, ids=lambda c: c.__qualname__)
def test_every_consumer_has_every_command(consumer: type) -> None:
    is_async = issubclass(consumer, AsyncSide)
    for name, declaration in declared(consumer).items():
        method = inspect.getattr_static(consumer, name)
        assert not isinstance(method, Command), f"{consumer.__qualname__}.{name} was never made"
        assert getattr(method, "__command__", None) is declaration, name
        assert method_params(method) == method_params_of(declaration), name
        assert method.__doc__ == declaration.doc
        if declaration.iterator:
            assert not inspect.iscoroutinefunction(method)
        else:
            assert inspect.iscoroutinefunction(method) is is_async, name


@pytest.mark.parametrize("consumer", CONSUMERS, ids=lambda c: c.__qualname__)
def test_each_made_method_is_named_for_the_class_it_is_on(consumer: type) -> None:
    # A method is made once per declaration and shared by the classes inheriting it; a
    # class that needs one of its own (a variant on a sibling) gets a copy.
    for klass in consumer.__mro__:
        for name, value in vars(klass).items():
            if getattr(value, "__command__", None) is not None:
                assert value.__qualname__ == f"{klass.__qualname__}.{name}", (klass, name)


def method_params_of(declaration: Command[Any, Any]) -> list[tuple[str, Any, Any]]:
    return [(p.name, p.kind, p.default) for p in declaration.parameters]


def test_variants_replace_the_plain_commands_where_a_topology_needs_them() -> None:
    assert HerdClient.get.__command__ is not DefaultClient.get.__command__  # type: ignore[attr-defined]
    assert ShardClient.get_many.__command__ is not DefaultClient.get_many.__command__  # type: ignore[attr-defined]
    assert ShardClient.get.__command__ is DefaultClient.get.__command__  # type: ignore[attr-defined]
    # The cluster's keys takes 0.4's target_nodes.
    assert "target_nodes" in inspect.signature(ClusterClient.keys).parameters


def test_a_method_written_by_hand_wins() -> None:
    class Loud(DefaultClient):
        def get(self, key: Any, default: Any = None, version: Any = None, client: Any = None) -> Any:
            return "LOUD"

    class Louder(Loud):
        pass

    assert Louder.get is Loud.get
    assert Louder.set is DefaultClient.set


@pytest.mark.parametrize("client_class", [DefaultClient, AsyncDefaultClient, ShardClient])
def test_every_command_has_an_outage_result(client_class: type) -> None:
    tolerant = ignore.tolerant(client_class)
    assert ignore.tolerant(client_class) is tolerant  # made once
    for name in declared(client_class):
        assert getattr(tolerant, name) is not getattr(client_class, name), name


def test_outage_results_come_from_the_declarations() -> None:
    assert DECLARED["get"].outage_result(("k", "dflt"), {}) == "dflt"
    assert DECLARED["get_or_set"].outage_result(("k", lambda: 7), {}) == 7
    assert DECLARED["get_many"].outage_result((["a"],), {}) == {}
    assert DECLARED["smembers"].outage_result(("s",), {}) == set()
    assert DECLARED["delete_many"].outage_result((["a"],), {}) == 0
    assert DECLARED["incr"].outage_result(("k",), {}) is None


def test_declarations_name_the_keys_they_touch() -> None:
    assert DECLARED["get"].keys_read(("k",), {}) == ["k"]
    assert DECLARED["get"].keys_written(("k",), {}) == []
    assert DECLARED["set_many"].keys_written(({"a": 1, "b": 2},), {}) == ["a", "b"]
    assert DECLARED["smove"].keys_written(("from", "to", "m"), {}) == ["from", "to"]
    assert DECLARED["sinterstore"].keys_read(("dest", "a", "b"), {}) == ["a", "b"]
    assert DECLARED["clear"].writes[0].kind == "all"
    assert DECLARED["hset"].writes == (key("name"),)


def test_help_shows_the_command() -> None:
    assert "default" in str(inspect.signature(Cache.get))
    assert Cache.get.__doc__
    assert "default" in Cache.get.__doc__
    assert inspect.signature(AsyncCache.ttl).return_annotation == "int | None"


@pytest.mark.parametrize("cls", [DefaultClient, AsyncDefaultClient, Cache])
def test_generated_methods_show_their_source(cls: type) -> None:
    """A generated method's lines are what a traceback and ``inspect.getsource`` show."""
    source = inspect.getsource(cls.get)
    assert source.startswith(("def get(self", "async def get(self"))
    # The clients' ``get`` is cmd_get's own code with its call written in (drivers.inline).
    expected = "self.client.get(" if cls is Cache else "else c.server_key(key, version)"
    assert expected in source


def test_a_traceback_through_a_generated_method_names_its_line() -> None:
    import traceback

    def broken_make_key(self: Any, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("boom")

    client = type("Broken", (DefaultClient,), {"make_key": broken_make_key})
    with pytest.raises(RuntimeError) as info:
        client.get(object.__new__(client), "k")  # type: ignore[arg-type]
    frames = traceback.extract_tb(info.tb)
    generated = [f for f in frames if f.filename.startswith("<valkey_cache")]
    assert generated, frames
    assert all(f.line for f in generated), frames
