"""Test helpers for the core: run one test body against ``Cache`` and ``AsyncCache``."""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

from valkey_cache.core import AsyncCache, Cache


class EitherCache:
    """Calls the sync or the async cache the same way: every method is awaited.

    Lets one test body assert the behaviour of both clients.
    """

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.is_async = isinstance(inner, AsyncCache)

    def __getattr__(self, name: str) -> Callable[..., Any]:
        method = getattr(self.inner, name)

        async def call(*args: Any, **kwargs: Any) -> Any:
            result = method(*args, **kwargs)
            if inspect.isawaitable(result):
                return await result
            return result

        return call

    async def collect(self, name: str, *args: Any, **kwargs: Any) -> list[Any]:
        """Run an iterator command to the end."""
        result = getattr(self.inner, name)(*args, **kwargs)
        if isinstance(result, AsyncIterator):
            return [item async for item in result]
        assert isinstance(result, Iterator)
        return list(result)


def make_cache(kind: str, url: str, **kwargs: Any) -> EitherCache:
    cls = AsyncCache if kind == "async" else Cache
    return EitherCache(cls(url, **kwargs))


def count_disconnects(client: Any, monkeypatch: Any) -> list[Any]:
    """Record every ``connection_factory.disconnect`` of ``client`` (still performed)."""
    calls: list[Any] = []
    disconnect = client.connection_factory.disconnect

    def counting(conn: Any) -> Any:
        calls.append(conn)
        return disconnect(conn)

    monkeypatch.setattr(client.connection_factory, "disconnect", counting)
    return calls


def specialised_reads(obj: Any, *names: str) -> set[str]:
    """What CPython specialised a loop of reads of ``obj.<name>`` for each name into
    (``LOAD_ATTR_INSTANCE_VALUE`` is the fast one on 3.11)."""
    import dis

    read = eval(compile(f"lambda o: ({', '.join(f'o.{n}' for n in names)},)", "<reads>", "eval"))
    for _ in range(100):
        read(obj)
    return {i.opname for i in dis.get_instructions(read, adaptive=True) if i.opname.startswith("LOAD_ATTR")}
