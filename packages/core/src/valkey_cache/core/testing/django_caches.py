"""Point Django ``CACHES`` entries at test servers (used by ``valkey_django_caches``).

Only entries whose ``BACKEND`` is one of ``django_valkey``'s classes (or a subclass of
one) are changed; each is sorted by the topology it needs: ``"cluster"`` for the
cluster backends, ``"sentinel"`` for an entry with ``SENTINELS`` or a Sentinel client
or connection factory, ``"server"`` for every other one. Importing this module
imports Django.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal
from urllib.parse import urlsplit, urlunsplit

from django.utils.module_loading import import_string

Topology = Literal["server", "cluster", "sentinel"]

_CLUSTER_BACKENDS = frozenset({"ClusterValkeyCache", "AsyncClusterValkeyCache"})
# Credentials of the production servers; the test server's come with its location.
_CREDENTIALS = ("PASSWORD", "USERNAME")
_SENTINEL_CREDENTIALS = ("password", "username")


def _name(value: Any) -> str:
    return str(getattr(value, "__qualname__", value) or "")


def alias_topology(config: Mapping[str, Any]) -> Topology | None:
    """The topology a ``CACHES`` entry needs, or ``None`` when its backend is not ours."""
    backend = config.get("BACKEND")
    if not isinstance(backend, str):
        return None
    try:
        backend_class = import_string(backend)
    except ImportError:
        return None  # Django reports it when the alias is used
    ours = [
        cls
        for cls in getattr(backend_class, "__mro__", ())
        if cls.__module__.partition(".")[0] == "django_valkey"
    ]
    if not ours:
        return None
    if any(cls.__name__ in _CLUSTER_BACKENDS for cls in ours):
        return "cluster"
    options = config.get("OPTIONS") or {}
    named = (_name(options.get(option)).lower() for option in ("CLIENT_CLASS", "CONNECTION_FACTORY"))
    if "SENTINELS" in options or any("sentinel" in name for name in named):
        return "sentinel"
    return "server"


def valkey_aliases(caches: Mapping[str, Mapping[str, Any]]) -> dict[str, Topology]:
    """``{alias: topology}`` for every entry of ``caches`` that uses a ``django_valkey`` backend."""
    found: dict[str, Topology] = {}
    for alias, config in caches.items():
        topology = alias_topology(config)
        if topology is not None:
            found[alias] = topology
    return found


def _options(config: Mapping[str, Any], password: str | None) -> dict[str, Any]:
    options = {k: v for k, v in (config.get("OPTIONS") or {}).items() if k not in _CREDENTIALS}
    if password is not None:
        options["PASSWORD"] = password
    return options


def retarget(
    config: Mapping[str, Any], location: str | list[str], password: str | None = None
) -> dict[str, Any]:
    """A copy of ``config`` with ``LOCATION`` replaced and its ``PASSWORD``/``USERNAME``
    options dropped (``password`` given: set to it); every other key is kept."""
    return {**config, "LOCATION": location, "OPTIONS": _options(config, password)}


def _locations(value: Any) -> list[str]:
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return [str(part) for part in value or ()]


def retarget_sentinel(
    config: Mapping[str, Any],
    service_name: str,
    sentinels: list[tuple[str, int]],
    password: str | None = None,
) -> dict[str, Any]:
    """A copy of a Sentinel entry aimed at ``service_name`` as monitored by ``sentinels``.

    Each location keeps its database and query (``?is_master=0`` still reads from a
    replica) with ``valkey://`` and the service name as scheme and host; ``SENTINELS``
    is replaced and the credentials in ``SENTINEL_KWARGS`` are dropped.
    """
    locations = []
    for location in _locations(config.get("LOCATION")) or ["valkey:///0"]:
        parts = urlsplit(location)
        locations.append(urlunsplit(("valkey", service_name, parts.path, parts.query, "")))
    options = _options(config, password)
    options["SENTINELS"] = list(sentinels)
    kwargs = options.get("SENTINEL_KWARGS")
    if isinstance(kwargs, Mapping):
        options["SENTINEL_KWARGS"] = {k: v for k, v in kwargs.items() if k not in _SENTINEL_CREDENTIALS}
    return {**config, "LOCATION": locations, "OPTIONS": options}


__all__ = ["Topology", "alias_topology", "retarget", "retarget_sentinel", "valkey_aliases"]
