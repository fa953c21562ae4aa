"""The shard ring places keys exactly where django-valkey 0.4 does, and consistently."""

from __future__ import annotations

import bisect
import functools
import hashlib
import random
import re
import string

import pytest

from valkey_cache.core.client.hash_ring import HashRing, placement_key

NODES = ["valkey://10.0.0.1:6379/0", "valkey://10.0.0.2:6379/0", "valkey://10.0.0.3:6379/0"]


@functools.cache
def _ring_04(nodes: tuple[str, ...]) -> tuple[dict[str, str], list[str]]:
    owners = {hashlib.sha256(f"{node}:{i}".encode()).hexdigest(): node for node in nodes for i in range(128)}
    return owners, sorted(owners)


def placement_04(nodes: list[str], key: str) -> str:
    """django-valkey 0.4's placement, rebuilt here from its published facts.

    128 points per node: sha256 hex of "node:i"; the key, or what its regex
    ``.*\\{(.*)\\}.*`` captures, hashed the same way; the owner is the point at
    ``bisect(points, digest) - 1`` (index -1 wraps to the last point).
    """
    owners, points = _ring_04(tuple(nodes))
    found = re.match(r".*\{(.*)\}.*", key)
    if found is not None:
        key = found.group(1)
    digest = hashlib.sha256(key.encode()).hexdigest()
    return owners[points[bisect.bisect(points, digest) - 1]]


# Indices into NODES, computed with django-valkey 0.4.1's own HashRing and ShardClient
# regex for these keys.
KNOWN_04 = {
    ":1:a": 0,
    ":1:b": 2,
    "p:1:user:{42}:x": 1,
    ":1:{tag}a": 0,
    ":1:{tag}b": 0,
    ":1:session": 1,
    "x": 2,
    "": 0,
}
KNOWN_04_SEQUENCE = [1, 0, 0, 1, 0, 1, 1, 1, 2, 0, 0, 0, 0, 1, 2, 2, 0, 1, 1, 1, 2, 0, 1, 1]


def place(ring: HashRing, key: str) -> str:
    return ring.get_node(placement_key(key))


def test_known_placements_of_04() -> None:
    ring = HashRing(NODES)
    for key, index in KNOWN_04.items():
        assert place(ring, key) == NODES[index], key
    assert [NODES.index(place(ring, f":1:key{i}")) for i in range(24)] == KNOWN_04_SEQUENCE


def test_same_placement_as_04_on_many_keys() -> None:
    rnd = random.Random(1234)
    alphabet = string.ascii_letters + string.digits + ":{}\n _-"
    ring = HashRing(NODES)
    keys = ["".join(rnd.choice(alphabet) for _ in range(rnd.randint(0, 24))) for _ in range(3000)]
    keys += [f"prefix:1:user:{i}" for i in range(2000)]
    for key in keys:
        assert place(ring, key) == placement_04(NODES, key), repr(key)


@pytest.mark.parametrize(
    ("key", "tag"),
    [
        ("a{user1}b", "user1"),
        ("{user1}", "user1"),
        ("a{x}b{y}c", "y"),
        ("a{x}b}", "x}b"),
        ("{}", ""),
        ("no tag", "no tag"),
        ("only{open", "only{open"),
        ("first line\n{tag}", "first line\n{tag}"),
    ],
)
def test_tag_rule(key: str, tag: str) -> None:
    assert placement_key(key) == tag


def test_same_tag_same_node() -> None:
    ring = HashRing(NODES)
    assert len({place(ring, f":1:{{cart:7}}:item{i}") for i in range(50)}) == 1
    assert len({place(ring, f":1:item{i}") for i in range(50)}) == 3


def test_instances_share_no_state() -> None:
    first = HashRing(NODES[:2])
    before = [place(first, f":1:k{i}") for i in range(500)]
    second = HashRing(["valkey://elsewhere:6379/0"])
    assert first.nodes == NODES[:2]
    assert second.nodes == ["valkey://elsewhere:6379/0"]
    assert {place(second, f":1:k{i}") for i in range(50)} == {"valkey://elsewhere:6379/0"}
    assert [place(first, f":1:k{i}") for i in range(500)] == before


@pytest.mark.parametrize("count", [2, 3, 4, 5])
def test_adding_a_node_moves_about_its_share(count: int) -> None:
    nodes = [f"valkey://127.0.0.1:{7000 + i}/0" for i in range(count)]
    added = f"valkey://127.0.0.1:{7000 + count}/0"
    before, after = HashRing(nodes), HashRing([*nodes, added])
    keys = [f":1:key{i}" for i in range(20000)]
    moved = [k for k in keys if place(before, k) != place(after, k)]
    share = 1 / (count + 1)
    print(f"{count} -> {count + 1} nodes: {len(moved) / len(keys):.3f} of keys moved (ideal {share:.3f})")
    assert 0.6 * share < len(moved) / len(keys) < 1.4 * share
    assert all(place(after, k) == added for k in moved)  # nothing moves between old nodes


def test_remove_node_restores_placement() -> None:
    ring = HashRing(NODES)
    before = [place(ring, f":1:k{i}") for i in range(300)]
    ring.add_node("valkey://10.0.0.4:6379/0")
    ring.remove_node("valkey://10.0.0.4:6379/0")
    assert [place(ring, f":1:k{i}") for i in range(300)] == before
    with pytest.raises(LookupError):
        HashRing().get_node("k")
