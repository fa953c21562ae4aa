"""``manage.py valkey`` and the system checks on the herd, shard, sentinel and cluster caches."""

from __future__ import annotations

from collections.abc import Iterator
from io import StringIO
from typing import Any

import pytest
from django.core.cache import caches
from django.core.management import call_command
from django.test import override_settings
from django_topologies import TOPOLOGIES, Topology, build_topology

from django_valkey.checks import check_valkey_caches

#: Servers holding keys: the shard spans two, the cluster has three primaries.
NODES = {"herd": 1, "shard": 2, "sentinel": 1, "cluster": 3}


@pytest.fixture(params=TOPOLOGIES)
def topology(request: pytest.FixtureRequest) -> Topology:
    return build_topology(str(request.param), request)


@pytest.fixture(params=["sync", "async"])
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def configured(topology: Topology, kind: str) -> Iterator[Topology]:
    """``CACHES["default"]`` on the topology; ``"filler"`` (sync) to store keys with."""
    with override_settings(CACHES={"default": topology.entry(kind), "filler": topology.entry("sync")}):
        yield topology


def valkey_command(*args: str, **options: Any) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("valkey", *args, stdout=out, stderr=err, **options)
    return out.getvalue(), err.getvalue()


def fill() -> Any:
    cache = caches["filler"]
    cache.set_many({f"user:{i}": i for i in range(30)})
    cache.set_many({f"other:{i}": i for i in range(5)})
    return cache


def test_ping_every_server(configured: Topology) -> None:
    out, _ = valkey_command("ping")
    lines = out.splitlines()
    assert len(lines) == NODES[configured.name]
    assert all(line.startswith("PONG from 127.0.0.1:") for line in lines)


def test_info(configured: Topology, kind: str) -> None:
    fill()
    out, _ = valkey_command("info")
    assert out.count("server: valkey") == NODES[configured.name]
    if NODES[configured.name] > 1:
        assert "servers: " in out
        assert "35 keys in all" in out
    else:
        assert "keys: 35 in db 0" in out
    assert configured.entry(kind)["BACKEND"].rpartition(".")[2] in out


def test_keys_across_servers(configured: Topology) -> None:
    fill()
    out, err = valkey_command("keys", "user:*")
    assert sorted(out.split()) == sorted(f"user:{i}" for i in range(30))
    assert err.strip() == "30 keys"


def test_delete_pattern_across_servers(configured: Topology) -> None:
    cache = fill()
    out, _ = valkey_command("delete_pattern", "user:*", dry_run=True)
    assert "Would delete 30 keys" in out
    out, _ = valkey_command("delete_pattern", "user:*", interactive=False, itersize=7)
    assert "Deleted 30 keys" in out
    assert cache.get_many([f"user:{i}" for i in range(30)]) == {}
    assert len(cache.get_many([f"other:{i}" for i in range(5)])) == 5


def test_clear_every_server(configured: Topology) -> None:
    cache = fill()
    out, _ = valkey_command("clear", dry_run=True)
    assert "Would remove all 35 keys" in out
    out, _ = valkey_command("clear", interactive=False)
    assert "Removed 35 keys" in out
    assert cache.get_many([f"other:{i}" for i in range(5)]) == {}


# -- checks ------------------------------------------------------------------------------


def test_valid_topologies_pass_the_checks(topology: Topology, kind: str) -> None:
    options: dict[str, Any] = {"HERD_TIMEOUT": 30} if topology.name == "herd" else {}
    if topology.name == "cluster":
        options = {"READ_FROM_REPLICAS": True, "CONNECTION_POOL_KWARGS": {"max_connections": 10}}
    if topology.name == "sentinel":
        options = {"SENTINEL_KWARGS": {"socket_timeout": 1}}
    with override_settings(CACHES={"default": topology.entry(kind, OPTIONS=options)}):
        assert check_valkey_caches() == []


def test_topology_option_typos_are_reported(topology: Topology) -> None:
    typo, meant = {
        "herd": ("HERD_TIMEOUTS", "HERD_TIMEOUT"),
        "shard": ("SCAN_ITERSISE", "SCAN_ITERSIZE"),
        "sentinel": ("SENTINEL_KWARG", "SENTINEL_KWARGS"),
        "cluster": ("READ_FROM_REPLICA", "READ_FROM_REPLICAS"),
    }[topology.name]
    with override_settings(CACHES={"default": topology.entry(OPTIONS={typo: 1})}):
        [message] = check_valkey_caches()
    assert message.id == "django_valkey.W001"
    assert message.hint == f"Did you mean {meant!r}?"


@pytest.mark.parametrize("topology", ["sentinel"], indirect=True)
def test_sentinel_without_sentinels_is_an_error(topology: Topology) -> None:
    entry = topology.entry()
    del entry["OPTIONS"]["SENTINELS"]
    with override_settings(CACHES={"default": entry}):
        [message] = check_valkey_caches()
    assert message.id == "django_valkey.E001"
    assert "SENTINELS" in message.msg


@pytest.mark.parametrize("topology", ["cluster"], indirect=True)
def test_cluster_pool_options_the_async_methods_cannot_use_are_a_warning(topology: Topology) -> None:
    options = {"CONNECTION_POOL_CLASS": "valkey.connection.BlockingConnectionPool"}
    with override_settings(CACHES={"default": topology.entry(OPTIONS=options)}):
        [message] = check_valkey_caches()
    assert message.id == "django_valkey.W002"
    assert "CONNECTION_POOL_CLASS" in message.msg
