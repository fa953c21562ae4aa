"""Process bookkeeping that guarantees no ``valkey-server`` outlives Python.

Three layers:

* every started server is recorded here, and an ``atexit`` handler stops the
  ones still running when the interpreter exits normally;
* on Linux, children are started with ``PR_SET_PDEATHSIG`` so the kernel sends
  them SIGTERM if the Python process dies abruptly (SIGKILL, segfault);
* :func:`stop_all` lets callers clean up explicitly.
"""

from __future__ import annotations

import atexit
import ctypes
import ctypes.util
import os
import signal
import sys
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from valkey_cache.core.embedded.process import EmbeddedServer

_PR_SET_PDEATHSIG = 1

_lock = threading.RLock()
_running: dict[int, EmbeddedServer] = {}


def register(server: EmbeddedServer) -> None:
    """Record a started server so :func:`stop_all` and ``atexit`` can stop it."""
    with _lock:
        _running[id(server)] = server


def unregister(server: EmbeddedServer) -> None:
    """Forget a server (after it stopped)."""
    with _lock:
        _running.pop(id(server), None)


def running_servers() -> list[EmbeddedServer]:
    """Return the servers started by this process and not stopped yet."""
    with _lock:
        return list(_running.values())


def stop_all() -> None:
    """Stop every embedded server this process started and that still runs."""
    errors: list[BaseException] = []
    for server in reversed(running_servers()):
        try:
            server.stop()
        except Exception as exc:  # keep stopping the others
            errors.append(exc)
        finally:
            unregister(server)
    if errors:
        raise errors[0]


def _stop_all_at_exit() -> None:
    try:
        stop_all()
    except Exception as exc:
        print(f"valkey_cache.core.embedded: error stopping servers at exit: {exc}", file=sys.stderr)


atexit.register(_stop_all_at_exit)


def _load_prctl() -> Callable[..., int] | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        prctl: Callable[..., int] = libc.prctl
    except (OSError, AttributeError):
        return None
    return prctl


# Resolved once, before any fork: the child must not load libraries.
_prctl = _load_prctl()


def child_preexec() -> Callable[[], None] | None:
    """Return a ``preexec_fn`` that ties the child's life to this process.

    ``PR_SET_PDEATHSIG`` fires when the *thread* that forked the child exits,
    so it is only armed when called from the main thread; servers started from
    other threads rely on ``atexit`` and :func:`stop_all` instead.
    """
    prctl = _prctl
    if prctl is None or threading.current_thread() is not threading.main_thread():
        return None
    parent = os.getpid()

    def preexec() -> None:
        prctl(_PR_SET_PDEATHSIG, int(signal.SIGTERM))
        # The parent may have died between fork() and prctl().
        if os.getppid() != parent:
            os.kill(os.getpid(), signal.SIGTERM)

    return preexec
