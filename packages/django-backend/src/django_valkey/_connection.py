"""Raw connections of a configured cache (``get_valkey_connection``)."""

from __future__ import annotations

from typing import Any

_UNSUPPORTED = "This backend does not support this feature"


def _cache(alias: str) -> Any:
    from django.core.cache import caches

    return caches[alias]


def valkey_connection(alias: str, write: bool, key: Any) -> Any:
    client = getattr(_cache(alias), "client", None)
    get_client = getattr(client, "get_client", None)
    if get_client is None:
        raise NotImplementedError(_UNSUPPORTED)
    return get_client(write=write, key=key)


async def async_valkey_connection(alias: str, write: bool, key: Any) -> Any:
    client = getattr(_cache(alias), "async_client", None)
    get_client = getattr(client, "get_client", None)
    if get_client is None:
        raise NotImplementedError(_UNSUPPORTED)
    return await get_client(write=write, key=key)
