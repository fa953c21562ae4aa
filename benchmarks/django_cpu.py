"""CPU time per Django cache call with the server connection replaced by a stub.

Run it with the Python of a benchmark venv (built by ``django_backends.py``), e.g.
``.venvs/bench-ours/bin/python benchmarks/django_cpu.py ours``,
``.venvs/bench-django-valkey/bin/python benchmarks/django_cpu.py django-valkey-0.4`` and
``.venvs/bench-django-redis/bin/python benchmarks/django_cpu.py django-redis``.
No server is contacted: the stub stands in for the valkey-py/redis-py client in
``client._clients[0]`` (the layout all three share) and answers with fixed replies, so
the figures are the library's own cost per call, steady even on a busy machine.
"""

from __future__ import annotations

import pickle
import sys
import time
from collections.abc import Callable
from typing import Any

import django
from django.conf import settings

REDIS = "redis" in " ".join(sys.argv[1:])
BACKEND = "django_redis.cache.RedisCache" if REDIS else "django_valkey.cache.ValkeyCache"
settings.configure(CACHES={"default": {"BACKEND": BACKEND, "LOCATION": "redis://127.0.0.1:1"}}, USE_TZ=True)
django.setup()

from django.core.cache import caches  # noqa: E402  (after settings.configure)

PAYLOAD = pickle.dumps("v", pickle.DEFAULT_PROTOCOL)


class Stub:
    """Answers the calls a get/set makes, without a socket."""

    def get(self, key: str) -> bytes | None:
        return PAYLOAD if key.endswith(":k") else None

    def set(self, *args: Any, **kwargs: Any) -> bool:
        return True

    def eval(self, *args: Any) -> int:
        return 2

    evalsha = eval

    def unlink(self, *keys: str) -> int:
        return 1

    delete = unlink

    def exists(self, *keys: str) -> int:
        return 1


def cpu_us(call: Callable[[], object], n: int = 20000) -> float:
    started = time.process_time()
    for _ in range(n):
        call()
    return (time.process_time() - started) / n * 1e6


def main() -> None:
    cache = caches["default"]
    cache.client._clients[0] = Stub()
    workloads: dict[str, Callable[[], object]] = {
        "get (hit)": lambda: cache.get("k"),
        "get (miss)": lambda: cache.get("missing"),
        "set": lambda: cache.set("k", "v", timeout=60),
        "incr": lambda: cache.incr("k"),
        "delete": lambda: cache.delete("k"),
        "has_key": lambda: cache.has_key("k"),
    }
    label = sys.argv[1] if len(sys.argv) > 1 else "backend"
    for name, call in workloads.items():
        best = min(cpu_us(call) for _ in range(7))  # the least disturbed of 7 runs, as timeit
        print(f"{label:20} {name:12} {best:6.2f} CPU µs per call")


if __name__ == "__main__":
    main()
