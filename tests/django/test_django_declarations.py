"""The Django backends: every declared command as a method on the class (sync, native
``a``-method, or coroutine), class-level patching, instance wrapping, ``help()``; and the
0.4 compatibility modules hold no logic."""

from __future__ import annotations

import ast
import importlib
import inspect
import pathlib
from typing import Any
from unittest import mock

import pytest

import django_valkey
from django_valkey.async_cache.cache import AsyncValkeyCache
from django_valkey.async_cache.cluster_cache.cache import AsyncClusterValkeyCache
from django_valkey.cache import ValkeyCache
from django_valkey.cluster_cache.cache import ClusterValkeyCache
from valkey_cache.core.commands.declare import declared

SYNC_BACKENDS = (ValkeyCache, ClusterValkeyCache)
ASYNC_BACKENDS = (AsyncValkeyCache, AsyncClusterValkeyCache)
#: Methods the backends write by hand, for Django's own rules.
DJANGO_RULES = {
    "get_or_set",
    "delete_many",
    "delete_pattern",
    "aget_or_set",
    "adelete_many",
    "adelete_pattern",
}


def params(function: Any, drop: tuple[str, ...] = ()) -> list[str]:
    return [n for n in list(inspect.signature(function).parameters)[1:] if n not in drop]


@pytest.mark.parametrize("backend", SYNC_BACKENDS + ASYNC_BACKENDS, ids=lambda b: b.__qualname__)
def test_every_command_is_a_method_of_the_class(backend: type) -> None:
    is_async = backend in ASYNC_BACKENDS
    for name, declaration in declared(backend).items():
        for attr in (name, "a" + name):
            method = inspect.getattr_static(backend, attr)
            assert callable(method), attr
            if attr in DJANGO_RULES:
                continue
            assert getattr(method, "__command__", None) is declaration, attr
            drop = ("client",) if attr != name else ()
            assert params(method) == [p.name for p in declaration.parameters if p.name not in drop], attr
            coroutine = not declaration.iterator and (is_async or attr != name)
            assert inspect.iscoroutinefunction(method) is coroutine, attr


def test_class_level_patching_is_seen(url: str) -> None:
    cache = ValkeyCache(url, {})
    with mock.patch.object(ValkeyCache, "get", return_value="patched") as get:
        assert cache.get("k") == "patched"
    get.assert_called_once_with("k")
    with mock.patch.object(ValkeyCache, "client") as client:
        cache.ttl("k", version=2)
    client.ttl.assert_called_once_with("k", version=2)  # forwarded as given, as 0.4 does


def test_instance_wrapping_is_seen(url: str) -> None:
    """What django-debug-toolbar's cache panel does: wrap a method on the instance."""
    cache = ValkeyCache(url, {})
    seen: list[str] = []
    original = cache.get

    def recording(*args: Any, **kwargs: Any) -> Any:
        seen.append(args[0])
        return original(*args, **kwargs)

    cache.get = recording  # type: ignore[method-assign]
    cache.set("k", 1)
    assert cache.get("k") == 1
    assert seen == ["k"]
    assert ValkeyCache(url, {}).get("k") == 1  # other instances are untouched


def test_help_shows_the_signature_and_docstring() -> None:
    assert params(ValkeyCache.get) == ["key", "default", "version", "client"]
    assert params(ValkeyCache.aget) == ["key", "default", "version"]
    assert ValkeyCache.get.__doc__
    assert "default" in ValkeyCache.get.__doc__
    assert AsyncValkeyCache.attl.__doc__ == AsyncValkeyCache.ttl.__doc__


# -- compatibility modules --------------------------------------------------------------

#: Modules with real code; every other module of the package only re-exports 0.4's names.
REAL_MODULES = {
    "__init__",  # get_valkey_connection
    "_connection",
    "_extras",
    "apps",
    "async_cache/__init__",  # the async get_valkey_connection
    "async_cache/pool",
    "async_commands",
    "base",
    "base_client",
    "checks",
    "closing",
    "cluster_cache/commands",
    "commands",
    "demo",
    "exceptions",
    "hash_ring",
    "keyfunc",
    "management/commands/valkey",
    "management/progress",
    "management/server",
    "pool",
    "serializers/pickle",
    "settings",
    "sharing",
    "sync_commands",
}
ROOT = pathlib.Path(django_valkey.__file__).parent


def _module_names() -> list[str]:
    return sorted(str(p.relative_to(ROOT).with_suffix("")) for p in ROOT.rglob("*.py"))


def _logic_in(tree: ast.Module) -> list[str]:
    """What in a module is more than imports, names and classes of class attributes."""
    found = []
    for node in tree.body:
        if isinstance(node, (ast.Import, ast.ImportFrom, ast.Assign, ast.AnnAssign)):
            continue
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            continue  # a docstring
        if (
            isinstance(node, ast.Expr)
            and isinstance(node.value, ast.Call)
            and getattr(node.value.func, "id", "") == "require"  # an optional extra's import check
        ):
            continue
        if isinstance(node, ast.Try) and all(isinstance(n, (ast.Import, ast.ImportFrom)) for n in node.body):
            continue  # re-export of an optional distribution, with an install hint
        if isinstance(node, ast.ClassDef) and all(
            isinstance(n, (ast.Assign, ast.AnnAssign, ast.Pass))
            or (isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant))
            for n in node.body
        ):
            continue
        found.append(f"line {node.lineno}: {type(node).__name__}")
    return found


def test_compatibility_modules_hold_no_logic() -> None:
    names = _module_names()
    assert set(names) >= REAL_MODULES, REAL_MODULES - set(names)
    compat = [n for n in names if n not in REAL_MODULES]
    assert len(compat) > len(REAL_MODULES)
    for name in compat:
        logic = _logic_in(ast.parse((ROOT / f"{name}.py").read_text()))
        assert not logic, f"django_valkey/{name}.py is a compatibility module but has {logic}"
        importlib.import_module("django_valkey." + name.replace("/", ".").removesuffix(".__init__"))
