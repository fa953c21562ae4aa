"""``manage.py valkey ACTION [PATTERN] [--alias NAME]``: info, ping, keys, delete_pattern, clear, advise."""

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
from ..server import CacheServer, Node

ACTIONS = ("info", "ping", "keys", "delete_pattern", "clear", "advise")


class Command(BaseCommand):
    help = (
        "Inspect or maintain a Valkey cache: info, ping, keys PATTERN, "
        "delete_pattern PATTERN, clear, advise [PATTERN] (compare serializers and compressors "
        "on a sample of the stored values). PATTERN is a glob on the cache's own keys: "
        "the KEY_PREFIX and VERSION are added, as for cache.iter_keys(). Every shard of a "
        "shard client and every primary of a cluster is visited."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=ACTIONS)
        parser.add_argument("pattern", nargs="?", help="glob pattern for keys and delete_pattern")
        parser.add_argument("--alias", default=DEFAULT_CACHE_ALIAS, help="cache alias in CACHES")
        parser.add_argument("--key-version", type=int, help="key version (default: VERSION)")
        parser.add_argument("--itersize", type=int, help="keys asked per SCAN step")
        parser.add_argument("--raw", action="store_true", help="keys: print stored keys (with prefix)")
        parser.add_argument("--dry-run", action="store_true", help="delete_pattern, clear: only count")
        parser.add_argument("--sample", type=int, default=200, help="advise: values to sample (default 200)")
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
        for node in server.nodes:
            start = time.perf_counter()
            node.call("ping")
            elapsed = (time.perf_counter() - start) * 1000
            self.stdout.write(f"PONG from {node.address} in {elapsed:.2f} ms")

    def do_info(self, cache: Any, server: CacheServer, options: dict[str, Any]) -> None:
        blocks = [self._node_rows(node) for node in server.nodes]
        client = cache.client
        rows = [
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
        near = getattr(client, "near_cache", None)
        if near is not None:
            stats = near.stats()
            rows.append(
                (
                    "near cache",
                    f"{stats['mode']}, {'on' if stats['active'] else 'not tracking yet'}: "
                    f"{stats['entries']:,} entries, {stats['bytes']:,} bytes, {stats['hits']:,} hits, "
                    f"{stats['misses']:,} misses, {stats['invalidations']:,} invalidations, "
                    f"{stats['evictions']:,} evictions",
                )
            )
        if len(blocks) > 1:
            rows.insert(0, ("servers", f"{len(blocks)}, {server.dbsize():,} keys in all"))
        blocks.append(rows)
        width = max(len(name) for block in blocks for name, _ in block)
        for index, block in enumerate(blocks):
            if index:
                self.stdout.write("")
            for name, value in block:
                self.stdout.write(f"{name.rjust(width)}: {value}")

    @staticmethod
    def _node_rows(node: Node) -> list[tuple[str, str]]:
        info = node.call("info")
        version = info.get("valkey_version") or info.get("redis_version", "?")
        mode = info.get("server_mode") or info.get("redis_mode", "?")
        return [
            ("server", f"{info.get('server_name', 'valkey')} {version} ({mode})"),
            ("address", node.where),
            ("uptime", f"{info.get('uptime_in_seconds', '?')} s"),
            ("clients", f"{info.get('connected_clients', '?')} connected"),
            (
                "memory",
                f"{info.get('used_memory_human', '?')} used, maxmemory "
                f"{info.get('maxmemory_human', '?')} ({info.get('maxmemory_policy', '?')})",
            ),
            ("keys", f"{int(node.call('dbsize')):,} in db {node.db}"),
        ]

    def do_keys(self, cache: Any, server: CacheServer, options: dict[str, Any]) -> None:
        raw = options["raw"]
        reverse = cache.client.reverse_key
        count = 0
        for _, batch in self._scan(cache, server, options, "keys"):
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
        where = f"cache {options['alias']!r} ({server.where})"
        if not dry_run and not self._confirm(
            options, f"Delete every key matching {str(match)!r} in {where}?"
        ):
            return
        delete = getattr(cache.client, "delete_command", "unlink")
        total = 0
        for node, batch in self._scan(cache, server, options, "delete_pattern"):
            if dry_run:
                total += len(batch)
                if options["verbosity"] >= 2:
                    for key in batch:
                        self.stdout.write(key.decode(errors="backslashreplace"))
            else:
                total += node.delete(delete, batch)
        verb = "Would delete" if dry_run else "Deleted"
        self.stdout.write(f"{verb} {total:,} keys matching {str(match)!r} in {where}")

    def do_clear(self, cache: Any, server: CacheServer, options: dict[str, Any]) -> None:
        size = server.dbsize()
        where = f"cache {options['alias']!r} ({server.where})"
        if options["dry_run"]:
            self.stdout.write(f"Would remove all {size:,} keys of {where}")
            return
        if not self._confirm(options, f"Remove all {size:,} keys of {where}, whatever their prefix?"):
            return
        for node in server.nodes:
            node.call("flushdb")
        self.stdout.write(f"Removed {size:,} keys from {where}")

    def do_advise(self, cache: Any, server: CacheServer, options: dict[str, Any]) -> None:
        """Sample stored values (decoded as this cache reads them) and measure every
        serializer x compressor pair on them."""
        try:
            from valkey_cache.compressors import advisor
        except ImportError as exc:
            raise CommandError(
                'advise needs the compressors distribution: pip install "django-valkey[compressors]"'
            ) from exc
        from valkey.exceptions import ResponseError

        from valkey_cache.core.client.base import MISS

        if options["sample"] < 1:
            raise CommandError("--sample must be at least 1")
        options["pattern"] = options["pattern"] or "*"
        values: list[Any] = []
        for node, batch in self._scan(cache, server, options, "sampling"):
            for key in batch:
                try:
                    raw = node.call("get", key)
                except ResponseError:  # not a string value (a hash, a set...)
                    continue
                value = MISS if raw is None else cache.client.decode_or_miss(raw, key)
                if value is not MISS:
                    values.append(value)
                if len(values) >= options["sample"]:
                    break
            if len(values) >= options["sample"]:
                break
        if not values:
            raise CommandError(
                f"No values to sample for {options['pattern']!r} in cache {options['alias']!r}"
            )
        self.stderr.write(f"measuring {len(values):,} values")
        self.stdout.write(advisor.format_table(advisor.advise(values), sort_by="size"))

    # -- helpers ------------------------------------------------------------------------

    def _scan(
        self, cache: Any, server: CacheServer, options: dict[str, Any], label: str
    ) -> Iterator[tuple[Node, list[bytes]]]:
        """``(node, batch)`` of stored keys matching the pattern, node by node, with a
        progress bar."""
        match = cache.make_pattern(options["pattern"], version=options["key_version"])
        count = options["itersize"] or getattr(cache.client, "_scan_itersize", 100)
        show = options["progress"]
        if show is None:
            show = self.stderr.isatty()
        progress = Progress(self._write_err, label, server.dbsize(), show)
        steps, matched = 0, 0
        for node in server.nodes:
            cursor = 0
            while True:
                cursor, keys = node.scan(cursor, match, count)
                steps += 1
                matched += len(keys)
                scanned = min(steps * count, progress.total) if progress.total else steps * count
                progress.update(scanned, matched)
                if keys:
                    yield node, keys
                if not cursor:
                    break
        progress.finish(progress.total or steps * count, matched)

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
