"""The connection options every factory understands, validated once per factory."""

from __future__ import annotations

import os
import socket
import ssl
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlparse, urlunparse

from .exceptions import ConfigurationError
from .imports import resolve_class
from .options import bool_option, int_option, mapping_option, number_option
from .redaction import redact_url

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
    "CIRCUIT_BREAKER": 'fail fast on a failing server: True (default), False or {"FAILURES": 3, '
    '"RESET_TIMEOUT": 1.0}',
    "SSL_CA_CERTS": "PEM file of the CA certificates that sign the server's certificate",
    "SSL_CERTFILE": "PEM file of the client certificate, for mutual TLS",
    "SSL_KEYFILE": "PEM file of the client certificate's private key",
    "SSL_CERT_REQS": "server certificate check: 'required' (default), 'optional' or 'none'",
    "SSL_CHECK_HOSTNAME": "the server certificate must name the host (bool, default True)",
    "SSL_MIN_VERSION": "lowest TLS version, e.g. 'TLSv1_2' (default) or 'TLSv1_3'",
    "SSL_CIPHERS": "OpenSSL cipher list for TLS 1.2 and lower",
}

#: The TLS settings read from SSL_* options, CONNECTION_POOL_KWARGS and URL queries,
#: by their valkey-py names.
SSL_NAMES = (
    "ssl_ca_certs",
    "ssl_certfile",
    "ssl_keyfile",
    "ssl_cert_reqs",
    "ssl_check_hostname",
    "ssl_min_version",
    "ssl_ciphers",
)
TLS_SCHEMES = frozenset({"valkeys", "rediss"})
_CERT_REQS = {"required": "required", "optional": "optional", "none": "none"}
_VERIFY_MODES = {ssl.CERT_REQUIRED: "required", ssl.CERT_OPTIONAL: "optional", ssl.CERT_NONE: "none"}
_TLS_VERSIONS = {version.name: version for version in ssl.TLSVersion}


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


def ssl_sources(options: Mapping[str, Any], pool_kwargs: Mapping[str, Any]) -> dict[str, tuple[str, Any]]:
    """The TLS settings given as options or pool arguments: ``{valkey-py name: (label, value)}``.

    A pool argument wins over the option of the same meaning, as for every pool argument.
    """
    given: dict[str, tuple[str, Any]] = {}
    for name in SSL_NAMES:
        if name.upper() in options:
            given[name] = (name.upper(), options[name.upper()])
        if name in pool_kwargs:
            given[name] = (f"CONNECTION_POOL_KWARGS[{name!r}]", pool_kwargs[name])
    return given


def split_ssl_query(url: str) -> tuple[str, dict[str, tuple[str, Any]]]:
    """``(url without ssl_* query parameters, {valkey-py name: (label, value)})``."""
    parsed = urlparse(url)
    if "ssl_" not in parsed.query:
        return url, {}
    kept: list[tuple[str, str]] = []
    found: dict[str, tuple[str, Any]] = {}
    for name, value in parse_qsl(parsed.query, keep_blank_values=True):
        if name in SSL_NAMES:
            found[name] = (f"{name} in the LOCATION query", value)
        else:
            kept.append((name, value))
    return urlunparse(parsed._replace(query=urlencode(kept))), found


def ssl_connection_kwargs(given: Mapping[str, tuple[str, Any]], key_password: Any = None) -> dict[str, Any]:
    """Validated valkey-py keyword arguments for a TLS connection with the settings in ``given``.

    Verification is on unless turned off: the certificate must be signed by a trusted CA
    and, unless ``ssl_cert_reqs`` is ``"none"``, name the host. ``key_password`` unlocks an
    encrypted client key (valkey-py's ``ssl_password``).
    """
    kwargs: dict[str, Any] = {}
    for name in ("ssl_ca_certs", "ssl_certfile", "ssl_keyfile"):
        if name in given and given[name][1] is not None:
            kwargs[name] = _pem_file(*given[name])
    if "ssl_ca_certs" in kwargs:
        _load(given["ssl_ca_certs"], "a PEM file of CA certificates", cafile=kwargs["ssl_ca_certs"])
    if "ssl_keyfile" in kwargs and "ssl_certfile" not in kwargs:
        label, value = given["ssl_keyfile"]
        raise ConfigurationError(label, value, "SSL_CERTFILE as well (the certificate of this key)")
    if "ssl_certfile" in kwargs:
        # valkey.asyncio loads a client certificate only when both files are named.
        kwargs.setdefault("ssl_keyfile", kwargs["ssl_certfile"])
        _load(
            given["ssl_certfile"],
            "a PEM certificate whose private key is in SSL_KEYFILE (or in the same file)",
            certfile=kwargs["ssl_certfile"],
            keyfile=kwargs["ssl_keyfile"],
            password=key_password,
        )
    reqs = _cert_reqs(*given.get("ssl_cert_reqs", ("SSL_CERT_REQS", "required")))
    kwargs["ssl_cert_reqs"] = reqs
    label, value = given.get("ssl_check_hostname", ("SSL_CHECK_HOSTNAME", reqs != "none"))
    check_hostname = bool_option({label: value}, label, True)
    if check_hostname and reqs == "none":
        raise ConfigurationError(
            label,
            value,
            "False when SSL_CERT_REQS is 'none' (a certificate that is not checked names no host)",
        )
    kwargs["ssl_check_hostname"] = check_hostname
    if given.get("ssl_min_version", (None, None))[1] is not None:
        kwargs["ssl_min_version"] = _tls_version(*given["ssl_min_version"])
    if given.get("ssl_ciphers", (None, None))[1] is not None:
        kwargs["ssl_ciphers"] = _ciphers(*given["ssl_ciphers"])
    return kwargs


def check_tls_location(url: str, given: Mapping[str, tuple[str, Any]]) -> None:
    """Refuse TLS settings (other than None) for a location that does not use TLS."""
    settings = [(label, value) for label, value in given.values() if value is not None]
    if not settings or urlparse(url).scheme.lower() in TLS_SCHEMES:
        return
    label, value = settings[0]
    raise ConfigurationError(
        label,
        value,
        f"a valkeys:// (or rediss://) LOCATION: {redact_url(url)} does not use TLS",
    )


def _pem_file(label: str, value: Any) -> str:
    if not isinstance(value, (str, os.PathLike)) or not os.path.isfile(value):
        raise ConfigurationError(label, value, "the path of an existing PEM file")
    return os.fspath(value)


def _load(source: tuple[str, Any], accepted: str, **files: Any) -> None:
    context = ssl.create_default_context()
    try:
        if "cafile" in files:
            context.load_verify_locations(**files)
        else:
            # A password callable, never OpenSSL's prompt on the terminal.
            password = files.pop("password")
            context.load_cert_chain(**files, password=lambda: password or b"")
    except (ssl.SSLError, OSError, ValueError):
        raise ConfigurationError(*source, accepted) from None


def _cert_reqs(label: str, value: Any) -> str:
    if value is None:  # valkey-py's spelling of "none"
        return "none"
    if isinstance(value, ssl.VerifyMode):
        return _VERIFY_MODES[value]
    if isinstance(value, str) and value.lower() in _CERT_REQS:
        return _CERT_REQS[value.lower()]
    raise ConfigurationError(label, value, "one of 'required', 'optional', 'none' (or an ssl.VerifyMode)")


def _tls_version(label: str, value: Any) -> ssl.TLSVersion:
    if isinstance(value, ssl.TLSVersion):
        return value
    if isinstance(value, str) and value.replace(".", "_") in _TLS_VERSIONS:
        return _TLS_VERSIONS[value.replace(".", "_")]
    names = ", ".join(repr(name) for name in _TLS_VERSIONS)
    raise ConfigurationError(label, value, f"one of {names} (or an ssl.TLSVersion)")


def _ciphers(label: str, value: Any) -> str:
    try:
        ssl.create_default_context().set_ciphers(value)
    except (ssl.SSLError, TypeError):
        raise ConfigurationError(label, value, "an OpenSSL cipher list that names a cipher") from None
    return str(value)
