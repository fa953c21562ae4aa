"""Routes that name a server rather than a key, for commands that visit every server."""

from __future__ import annotations

from typing import Any, Final, NamedTuple

from .ops import Op, local


class Node(NamedTuple):
    """Route of a call that must run on one given server: a shard index, a cluster node."""

    handle: Any


#: Route of the call that lists the servers (``get_primaries()``: what to pass to ``Node``).
ALL_NODES: Final[object] = object()


def list_nodes() -> Op[Any]:
    """The op whose result is the handles of every server holding keys (primaries only)."""
    return local("get_primaries", ALL_NODES)
