"""The connection options every factory understands, validated once per factory."""

from __future__ import annotations

import socket
from collections.abc import Mapping
from typing import Any

from .imports import resolve_class
from .options import bool_option, int_option, mapping_option, number_option

CONNECTION_OPTIONS: dict[str, str] = {
    "PASSWORD": "password used when the URL has none",
    "USERNAME": "ACL user name used when the URL has none",
    "SOCKET_TIMEOUT": "seconds to wait for a reply (number)",
    "SOCKET_CONNECT_TIMEOUT": "seconds to wait for a connection (number)",
    "RETRIES": "times a command is retried after a connection error (integer >= 0, default 1)",
    "RETRY_BACKOFF": "first retry delay in seconds, doubled each retry (default 0.01)",
    "RETRY_BACKOFF_CAP": "longest retry delay in seconds (default 0.5)",
    "RETRY_ON_TIMEOUT": "also retry after a socket timeout (bool, default False)",
    "HEALTH_CHECK_INTERVAL": "idle seconds before a pooled connection is checked (int, 0 = off)",
    "CONNECTION_POOL_CLASS": "dotted path of the connection pool class",
    "CONNECTION_POOL_KWARGS": "dict of keyword arguments for the pool (e.g. max_connections)",
    "BASE_CLIENT_CLASS": "dotted path of the valkey-py client class",
    "BASE_CLIENT_KWARGS": "dict of keyword arguments for the valkey-py client",
    "PARSER_CLASS": "dotted path of the RESP parser class",
    "CONNECTION_FACTORY": "dotted path of the connection factory class",
}


def base_connection_kwargs(options: Mapping[str, Any]) -> dict[str, Any]:
    """Keyword arguments for a pool, apart from ``url``, ``parser_class`` and ``retry``."""
    kwargs: dict[str, Any] = {}
    for option, name in (
        ("SOCKET_TIMEOUT", "socket_timeout"),
        ("SOCKET_CONNECT_TIMEOUT", "socket_connect_timeout"),
    ):
        value = number_option(options, option, None)
        if value:
            kwargs[name] = value
    for option, name in (("PASSWORD", "password"), ("USERNAME", "username")):
        if options.get(option):
            kwargs[name] = options[option]
    interval = int_option(options, "HEALTH_CHECK_INTERVAL", 0, 0)
    if interval:
        kwargs["health_check_interval"] = interval
    kwargs["retry_on_timeout"] = bool_option(options, "RETRY_ON_TIMEOUT", False)
    return kwargs


def retry_settings(
    options: Mapping[str, Any],
) -> tuple[int, float, float, tuple[type[Exception], ...]]:
    """(retries, backoff base, backoff cap, errors retried on)."""
    from valkey.exceptions import ConnectionError as ValkeyConnectionError
    from valkey.exceptions import TimeoutError as ValkeyTimeoutError

    retries = int_option(options, "RETRIES", 1, 0) or 0
    base = number_option(options, "RETRY_BACKOFF", 0.01) or 0.0
    cap = number_option(options, "RETRY_BACKOFF_CAP", 0.5) or 0.0
    errors: tuple[type[Exception], ...] = (ValkeyConnectionError,)
    if bool_option(options, "RETRY_ON_TIMEOUT", False):
        errors = (ValkeyConnectionError, ValkeyTimeoutError, socket.timeout)
    return retries, base, cap, errors


def class_option(options: Mapping[str, Any], name: str, default: str) -> type[Any]:
    return resolve_class(name, options.get(name) or default)


def kwargs_option(options: Mapping[str, Any], name: str) -> dict[str, Any]:
    return mapping_option(options, name)
