"""Consistent hashing of keys onto named servers, as django-valkey 0.4 places them.

Each node gets ``replicas`` points on the ring: the SHA-256 hex digests of
``"{node}:{i}"``. A key belongs to the node owning the greatest point not above the
digest of the key (compared as hex strings), wrapping round to the greatest point of
all. With the same node names (the LOCATION entries) and replica count, every key lands
where 0.4 puts it, so a site can switch libraries without losing its cache.
"""

from __future__ import annotations

import bisect
import hashlib
from collections.abc import Iterable


def _point(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def placement_key(key: str) -> str:
    """The part of ``key`` that chooses its node: a ``{tag}`` if it has one.

    As in 0.4, only the first line counts, and the tag runs from the last ``{`` that is
    followed by a ``}`` to the last ``}`` of that line; ``"{}"`` is the empty tag.
    """
    line = key.split("\n", 1)[0]
    close = line.rfind("}")
    if close < 0:
        return key
    start = line.rfind("{", 0, close)
    if start < 0:
        return key
    return line[start + 1 : close]


class HashRing:
    """A ring of named nodes; all state belongs to the instance."""

    def __init__(self, nodes: Iterable[str] = (), replicas: int = 128) -> None:
        self.replicas = replicas
        self._nodes: list[str] = []
        self._points: list[str] = []
        self._owners: dict[str, str] = {}
        for node in nodes:
            self.add_node(node)

    @property
    def nodes(self) -> list[str]:
        return list(self._nodes)

    def add_node(self, node: str) -> None:
        self._nodes.append(node)
        for index in range(self.replicas):
            point = _point(f"{node}:{index}")
            if point not in self._owners:
                bisect.insort(self._points, point)
            self._owners[point] = node

    def remove_node(self, node: str) -> None:
        self._nodes.remove(node)
        if node in self._nodes:
            return  # listed twice: its points stay
        for index in range(self.replicas):
            point = _point(f"{node}:{index}")
            if self._owners.get(point) == node:
                del self._owners[point]
                self._points.pop(bisect.bisect_left(self._points, point))

    def position(self, key: str) -> int:
        """The index, among the sorted points, of the point that owns ``key``."""
        if not self._points:
            raise LookupError("the hash ring has no nodes")
        # Before the first point: the key wraps round to the last one.
        return (bisect.bisect_right(self._points, _point(key)) - 1) % len(self._points)

    def get_node(self, key: str) -> str:
        """The node ``key`` belongs to (``key`` as given: apply ``placement_key`` first)."""
        return self._owners[self._points[self.position(key)]]

    def __len__(self) -> int:
        return len(self._nodes)
