"""Runs the Django examples of the docs in a process of their own, with Django set up.

Started by ``tests/docs/conftest.py`` as ``python django_worker.py URL``; reads one JSON
request per line on stdin (``id``, ``doc``, ``code``, ``setup``, ``line``, ``expect``,
``ports``) and answers one JSON line each (``id``, ``ok`` and ``text``, or ``error``). Each document has its
own namespace. ``default`` in ``CACHES`` is a ``ValkeyCache`` on the test server, so
``from django.core.cache import cache`` works; a block that assigns ``CACHES`` is checked
with the backend's system checks, and its aliases on the test server are used once.
"""

from __future__ import annotations

import ast
import asyncio
import inspect
import json
import os
import sys
import traceback
from typing import Any

import django
from django.conf import settings
from run_example import assigned_names, run


def configure(url: str) -> None:
    settings.configure(
        SECRET_KEY="docs-examples-secret-key-of-some-length",
        USE_TZ=True,
        ALLOWED_HOSTS=["*"],
        INSTALLED_APPS=["django.contrib.contenttypes", "django_valkey"],
        DATABASES={},
        CACHES={"default": {"BACKEND": "django_valkey.cache.ValkeyCache", "LOCATION": url}},
    )
    django.setup()


def _locations(conf: dict[str, Any]) -> list[str]:
    location = conf.get("LOCATION", "")
    return location.split(",") if isinstance(location, str) else list(location)


def check_fragment(tree: ast.Module, namespace: dict[str, Any], test_port: int) -> None:
    """A settings fragment's ``CACHES``: no system check message, and usable if local."""
    names = assigned_names(tree)
    if "CACHES" not in names:
        return
    from django.core.cache import caches
    from django.test import override_settings

    from django_valkey.checks import _valkey_backend, check_cache

    conf_all: dict[str, Any] = namespace["CACHES"]
    problems = []
    for alias, conf in conf_all.items():
        backend = _valkey_backend(conf["BACKEND"])
        if backend is None:
            problems.append(f"{alias}: {conf['BACKEND']!r} is not a django_valkey backend")
            continue
        problems += [f"{message.id}: {message.msg}" for message in check_cache(alias, backend, conf)]
    if problems:
        raise AssertionError("the CACHES of this example do not pass the checks: " + "; ".join(problems))
    extra = {name: namespace[name] for name in names if name not in ("CACHES", "INSTALLED_APPS")}
    local = [
        alias
        for alias, conf in conf_all.items()
        if all(f"127.0.0.1:{test_port}" in location for location in _locations(conf))
    ]
    with override_settings(CACHES=conf_all, **extra):
        for alias in local:
            cache = caches[alias]
            if inspect.iscoroutinefunction(cache.set):
                asyncio.run(_use_async(cache))
            else:
                cache.set("docs:fragment", {"ok": 1}, 5)
                assert cache.get("docs:fragment") == {"ok": 1}, alias
                cache.delete("docs:fragment")


async def _use_async(cache: Any) -> None:
    await cache.set("docs:fragment", {"ok": 1}, 5)
    assert await cache.get("docs:fragment") == {"ok": 1}
    await cache.delete("docs:fragment")


def main() -> None:
    url = sys.argv[1]
    test_port = int(url.rsplit(":", 1)[1].split("/")[0])
    # Examples may print: the protocol keeps the real stdout to itself.
    protocol = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    configure(url)
    namespaces: dict[str, dict[str, Any]] = {}
    for raw in sys.stdin:
        request = json.loads(raw)
        namespace = namespaces.setdefault(request["doc"], {"__name__": "docs_example"})
        ports = {int(k): v for k, v in request["ports"].items()}
        try:
            for code in request["setup"]:
                run(code, namespace, filename=request["doc"], line=request["line"], ports=ports, expect=None)
            text = run(
                request["code"],
                namespace,
                filename=request["doc"],
                line=request["line"],
                ports=ports,
                expect=request["expect"],
                after=lambda tree, ns: check_fragment(tree, ns, test_port),
            )
            answer = {"id": request["id"], "ok": True, "text": text}
        except BaseException:
            answer = {"id": request["id"], "ok": False, "error": traceback.format_exc()}
        protocol.write(json.dumps(answer) + "\n")
        protocol.flush()


if __name__ == "__main__":
    main()
