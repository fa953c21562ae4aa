"""django-valkey 0.4's ``HashRing``: the core's ring with 0.4's lookup methods.

Nodes may be any objects: a node's points are hashed from ``str(node)`` and lookups
return the node itself. Keys land on the same nodes as with 0.4 (see
``valkey_cache.core.client.hash_ring``).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from valkey_cache.core.client.hash_ring import HashRing as CoreHashRing


class HashRing(CoreHashRing):
    """A consistent hash ring: ``HashRing(nodes=(), replicas=128)``."""

    @property
    def ring(self) -> dict[str, Any]:
        """Each point (a SHA-256 hex digest) and the node that owns it."""
        return dict(self._owners)

    @property
    def sorted_keys(self) -> list[str]:
        """The points of the ring, in order."""
        return list(self._points)

    def get_node(self, key: str) -> Any:
        """The node ``key`` belongs to; None when the ring is empty."""
        return super().get_node(key) if self._points else None

    def get_node_pos(self, key: str) -> tuple[Any, int] | tuple[None, None]:
        """The node of ``key`` and the index of its point; ``(None, None)`` when empty."""
        if not self._points:
            return None, None
        position = self.position(key)
        return self._owners[self._points[position]], position

    def iter_nodes(self, key: str) -> Iterator[tuple[str, Any] | tuple[None, None]]:
        """``(point, node)`` from the point of ``key`` to the end of the ring."""
        if not self._points:
            yield None, None
            return
        for point in self._points[self.position(key) :]:
            yield point, self._owners[point]

    def __call__(self, key: str) -> Any:
        """The node ``key`` belongs to (``get_node``)."""
        return self.get_node(key)


__all__ = ["HashRing"]
