"""``manage.py valkey info|ping|keys PATTERN|delete_pattern PATTERN|clear [--alias NAME]``."""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable, Iterator
from typing import Any

from django.core.cache import DEFAULT_CACHE_ALIAS, caches
from django.core.management.base import BaseCommand, CommandError, CommandParser
from valkey.exceptions import ConnectionError as ValkeyConnectionError
from valkey.exceptions import TimeoutError as ValkeyTimeoutError

from ..progress import Progress
from ..server import CacheServer

ACTIONS = ("info", "ping", "keys", "delete_pattern", "clear")


class Command(BaseCommand):
    help = (
        "Inspect or maintain a Valkey cache: info, ping, keys PATTERN, "
        "delete_pattern PATTERN, clear. PATTERN is a glob on the cache's own keys: "
        "the KEY_PREFIX and VERSION are added, as for cache.iter_keys()."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=ACTIONS)
        parser.add_argument("pattern", nargs="?", help="glob pattern for keys and delete_pattern")
        parser.add_argument("--alias", default=DEFAULT_CACHE_ALIAS, help="cache alias in CACHES")
        parser.add_argument("--key-version", type=int, help="key version (default: VERSION)")
        parser.add_argument("--itersize", type=int, help="keys asked per SCAN step")
        parser.add_argument("--raw", action="store_true", help="keys: print stored keys (with prefix)")
        parser.add_argument("--dry-run", action="store_true", help="delete_pattern, clear: only count")
        parser.add_argument(
            "--noinput",
            "--no-input",
            action="store_false",
            dest="interactive",
            help="do not ask for confirmation",
        )
        parser.add_argument(
            "--progress",
            action=argparse.BooleanOptionalAction,
            default=None,
            help="progress bar on stderr (default: when stderr is a terminal)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        self.stderr.style_func = None  # progress and counts, not errors: no red
        action = options["action"]
        if action in ("keys", "delete_pattern") and not options["pattern"]:
            raise CommandError(f"{action} needs a PATTERN, e.g. 'session:*'")
        alias = options["alias"]
        try:
            cache = caches[alias]
        except Exception as exc:
            raise CommandError(f"No cache {alias!r}: {exc}") from exc
        if not hasattr(getattr(cache, "client", None), "get_client"):
            raise CommandError(f"Cache {alias!r} is not a Valkey cache")
        try:
            server = CacheServer(cache)
            try:
                getattr(self, f"do_{action}")(cache, server, options)
            finally:
                server.close()
        except (ValkeyConnectionError, ValkeyTimeoutError, OSError) as exc:
            raise CommandError(f"Cache {alias!r}: cannot reach Valkey: {exc}") from exc

    # -- actions ------------------------------------------------------------------------

    def do_ping(self, cache: Any, server: CacheServer, options: dict[str, Any]) -> None:
        start = time.perf_counter()
        server.call("ping")
        elapsed = (time.perf_counter() - start) * 1000
        self.stdout.write(f"PONG from {server.address} in {elapsed:.2f} ms")

    def do_info(self, cache: Any, server: CacheServer, options: dict[str, Any]) -> None:
        info = server.call("info")
        client = cache.client
        version = info.get("valkey_version") or info.get("redis_version", "?")
        mode = info.get("server_mode") or info.get("redis_mode", "?")
        rows = [
            ("server", f"{info.get('server_name', 'valkey')} {version} ({mode})"),
            ("address", f"{server.address} db {server.db}"),
            ("uptime", f"{info.get('uptime_in_seconds', '?')} s"),
            ("clients", f"{info.get('connected_clients', '?')} connected"),
            (
                "memory",
                f"{info.get('used_memory_human', '?')} used, maxmemory "
                f"{info.get('maxmemory_human', '?')} ({info.get('maxmemory_policy', '?')})",
            ),
            ("keys", f"{server.call('dbsize'):,} in db {server.db}"),
            ("backend", _name(type(cache))),
            ("client", _name(type(client))),
            ("serializer", _name(type(client._serializer))),
            ("compressor", _name(type(client._compressor))),
            (
                "keys made as",
                f"prefix {cache.key_prefix!r}, version {cache.version!r}, "
                f"default timeout {cache.default_timeout!r}",
            ),
        ]
        width = max(len(name) for name, _ in rows)
        for name, value in rows:
            self.stdout.write(f"{name.rjust(width)}: {value}")

    def do_keys(self, cache: Any, server: CacheServer, options: dict[str, Any]) -> None:
        raw = options["raw"]
        reverse = cache.client.reverse_key
        count = 0
        for batch in self._scan(cache, server, options, "keys"):
            for key in batch:
                text = key.decode(errors="backslashreplace")
                if not raw:
                    try:
                        text = reverse(text)
                    except Exception:
                        pass
                self.stdout.write(text)
            count += len(batch)
        self.stderr.write(f"{count:,} keys")

    def do_delete_pattern(self, cache: Any, server: CacheServer, options: dict[str, Any]) -> None:
        match = cache.make_pattern(options["pattern"], version=options["key_version"])
        dry_run = options["dry_run"]
        where = f"cache {options['alias']!r} ({server.address} db {server.db})"
        if not dry_run and not self._confirm(
            options, f"Delete every key matching {str(match)!r} in {where}?"
        ):
            return
        delete = getattr(cache.client, "_delete_command", "unlink")
        total = 0
        for batch in self._scan(cache, server, options, "delete_pattern"):
            if dry_run:
                total += len(batch)
                if options["verbosity"] >= 2:
                    for key in batch:
                        self.stdout.write(key.decode(errors="backslashreplace"))
            else:
                total += int(server.call(delete, *batch))
        verb = "Would delete" if dry_run else "Deleted"
        self.stdout.write(f"{verb} {total:,} keys matching {str(match)!r} in {where}")

    def do_clear(self, cache: Any, server: CacheServer, options: dict[str, Any]) -> None:
        size = int(server.call("dbsize"))
        where = f"cache {options['alias']!r} ({server.address} db {server.db})"
        if options["dry_run"]:
            self.stdout.write(f"Would remove all {size:,} keys of db {server.db} in {where}")
            return
        if not self._confirm(
            options,
            f"Remove all {size:,} keys of db {server.db} in {where}, whatever their prefix?",
        ):
            return
        server.call("flushdb")
        self.stdout.write(f"Removed {size:,} keys from {where}")

    # -- helpers ------------------------------------------------------------------------

    def _scan(
        self, cache: Any, server: CacheServer, options: dict[str, Any], label: str
    ) -> Iterator[list[bytes]]:
        """Batches of stored keys matching the pattern, with a progress bar."""
        match = cache.make_pattern(options["pattern"], version=options["key_version"])
        count = options["itersize"] or getattr(cache.client, "_scan_itersize", 100)
        show = options["progress"]
        if show is None:
            show = self.stderr.isatty()
        progress = Progress(self._write_err, label, int(server.call("dbsize")), show)
        cursor, steps, matched = 0, 0, 0
        while True:
            cursor, keys = server.call("scan", cursor, match=match, count=count)
            steps += 1
            matched += len(keys)
            scanned = min(steps * count, progress.total) if progress.total else steps * count
            progress.update(scanned, matched)
            if keys:
                yield keys
            if not cursor:
                progress.finish(progress.total or scanned, matched)
                return

    def _write_err(self, text: str) -> None:
        self.stderr.write(text, ending="")
        self.stderr.flush()

    def _confirm(self, options: dict[str, Any], question: str) -> bool:
        if not options["interactive"]:
            return True
        answer = _ask(f"{question}\nType 'yes' to continue, or 'no' to cancel: ")
        if answer.strip().lower() != "yes":
            self.stdout.write("Cancelled.")
            return False
        return True


_ask: Callable[[str], str] = input


def _name(cls: type[Any]) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"
