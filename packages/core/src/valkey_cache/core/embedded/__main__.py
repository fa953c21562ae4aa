"""``python -m valkey_cache.core.embedded``: run a throwaway Valkey until Ctrl-C."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from types import FrameType

from valkey_cache.core.embedded.cluster import EmbeddedCluster
from valkey_cache.core.embedded.errors import EmbeddedError
from valkey_cache.core.embedded.process import ConfigValue, EmbeddedServer
from valkey_cache.core.embedded.sentinel import EmbeddedSentinel


def _parse_directives(items: list[str]) -> dict[str, ConfigValue]:
    directives: dict[str, ConfigValue] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise SystemExit(f"--config expects NAME=VALUE, got {item!r}")
        directives[name] = value
    return directives


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m valkey_cache.core.embedded",
        description="Start a throwaway valkey-server on 127.0.0.1 and wait for Ctrl-C.",
    )
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--cluster", action="store_true", help="3 masters + 3 replicas")
    mode.add_argument("--sentinel", action="store_true", help="master, replica, 3 sentinels")
    mode.add_argument("--unix-socket", action="store_true", help="listen on a unix socket")
    parser.add_argument("--port", type=int, default=None, help="TCP port (default: a free one)")
    parser.add_argument("--password", default=None, help="set requirepass")
    parser.add_argument(
        "--config",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="extra valkey.conf directive (repeatable)",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    directives = _parse_directives(args.config)
    stop_requested = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop_requested.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)

    topology: EmbeddedServer | EmbeddedCluster | EmbeddedSentinel
    if args.cluster:
        topology = EmbeddedCluster(config=directives, password=args.password)
    elif args.sentinel:
        topology = EmbeddedSentinel(config=directives, password=args.password)
    else:
        if args.password is not None:
            directives["requirepass"] = args.password
        topology = EmbeddedServer(directives, port=args.port, unix_socket=args.unix_socket)

    try:
        topology.start()
    except EmbeddedError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    try:
        if isinstance(topology, EmbeddedCluster):
            print(f"cluster ready: {topology.url}")
            for host, port in topology.startup_nodes:
                print(f"  node {host}:{port}")
        elif isinstance(topology, EmbeddedSentinel):
            host, port = topology.current_master()
            print(f"sentinel ready: service {topology.service_name!r}, master {host}:{port}")
            for host, port in topology.sentinels:
                print(f"  sentinel {host}:{port}")
        else:
            print(topology.url)
        print("Press Ctrl-C to stop.", flush=True)
        while not stop_requested.wait(0.5):
            pass
    finally:
        topology.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
