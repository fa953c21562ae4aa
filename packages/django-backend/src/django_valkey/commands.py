"""How the Django backends get their methods from the core's declarations.

Every declared command (``valkey_cache.core.commands.table``) becomes a method of the
backend classes, on the class, so that ``mock.patch.object(ValkeyCache, "get")``,
``help()`` and per-instance wrapping (django-debug-toolbar) work:

- ``ValkeyCache``-style backends (``BackendCommands``): ``name`` forwards to the
  blocking ``client``; ``aname`` is native async on ``async_client`` (no ``client``
  argument, as Django's signatures);
- ``AsyncValkeyCache``-style backends (``AsyncBackendCommands``): ``name`` is a coroutine
  on the asyncio ``client``; ``aname`` awaits ``self.name``, so a subclass's own
  ``name`` serves both.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from valkey_cache.core.commands.declare import Command, declared, forwarding, make_function
from valkey_cache.core.commands.table import Commands

#: Django's cache API, and the Valkey commands beyond it that django-valkey 0.4 offers.
DJANGO_COMMANDS: Final = tuple(name for name, d in declared(Commands).items() if d.django)
EXTRA_COMMANDS: Final = tuple(name for name, d in declared(Commands).items() if not d.django)
#: Commands that return an iterator (async: an async iterator) rather than a value.
ITERATOR_COMMANDS: Final = frozenset(name for name, d in declared(Commands).items() if d.iterator)

_sync = forwarding("client", is_async=False)
_async = forwarding("client", is_async=True)


def _a_method(declaration: Command[Any, Any], target: str) -> Callable[..., Any]:
    """``a<name>``, without the ``client`` argument, calling ``<name>`` on ``self.<target>``."""
    call = f"self.{target}{'.' if target else ''}{declaration.name}({{args}})"
    body = f"return {call}" if declaration.iterator else f"return await {call}"
    return make_function(
        declaration,
        "a" + declaration.name,
        body,
        {},
        is_async=not declaration.iterator,
        drop=("client",),
        passthrough=True,
    )


def sync_backend_methods(declaration: Command[Any, Any]) -> list[tuple[str, Callable[..., Any]]]:
    """``name`` on ``self.client``; ``aname`` awaiting ``self.async_client``."""
    return [*_sync(declaration), ("a" + declaration.name, _a_method(declaration, "async_client"))]


def async_backend_methods(declaration: Command[Any, Any]) -> list[tuple[str, Callable[..., Any]]]:
    """``name`` a coroutine on ``self.client``; ``aname`` the same through ``self.name``."""
    return [*_async(declaration), ("a" + declaration.name, _a_method(declaration, ""))]


def overrides_storage(cls: type[Any], base: type[Any], prefix: str = "") -> bool:
    """Whether ``cls`` overrides ``get``, ``add`` or ``set`` (named with ``prefix``) of
    ``base``: its ``get_or_set`` must then go through them, as Django's does."""
    return any(
        getattr(cls, prefix + name, None) is not getattr(base, prefix + name, None)
        for name in ("get", "add", "set")
    )
