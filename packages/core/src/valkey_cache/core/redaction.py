"""Secrets out of messages: URLs, option values and keyword arguments shown with ``***``.

Every repr, log line and error message that shows a LOCATION or an option value goes
through :func:`redact_url` or :func:`redact_value`, so a password, a signing key or a
credential never reaches a log, whichever form the configuration gave it in.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

HIDDEN = "***"

# Option and keyword names whose values are secrets (PASSWORD, SENTINEL_PASSWORD,
# SIGNING_KEY, SIGNING_FALLBACK_KEYS, credential_provider, auth tokens...).
_SECRET_NAME = re.compile(r"pass|secret|token|signing_(?:fallback_)?keys?|credential", re.IGNORECASE)
_SCHEME = re.compile(r"^([a-z][a-z0-9+.-]*://)(.*)$", re.IGNORECASE | re.DOTALL)
_QUERY_SECRET = re.compile(r"((?:^|[?&;])[^=&;#]*(?:pass|secret|token)[^=&;#]*=)[^&;#]*", re.IGNORECASE)


def is_secret_name(name: Any) -> bool:
    """Whether an option or keyword named ``name`` holds a secret."""
    return isinstance(name, str) and _SECRET_NAME.search(name) is not None


def redact_url(url: str) -> str:
    """``url`` with any password replaced by ``***``.

    Handles any case of scheme, ``user:password@`` and ``:password@`` (an unescaped
    ``@`` in the password included: the host is what follows the last ``@``), and
    ``?password=`` (or any ``...pass...=``, ``token=``, ``secret=``) in the query.
    """
    match = _SCHEME.match(url)
    if match is None:
        return url
    scheme, rest = match.groups()
    body, mark, query = rest.partition("?")
    at = body.rfind("@")
    if at >= 0:
        user, colon, _password = body[:at].partition(":")
        if colon:
            body = f"{user}:{HIDDEN}{body[at:]}"
    if mark:
        query = _QUERY_SECRET.sub(lambda found: found.group(1) + HIDDEN, query)
    return f"{scheme}{body}{mark}{query}"


def redact_value(name: Any, value: Any) -> Any:
    """``value`` of the option or keyword ``name``, fit to show in a message.

    A secret name hides the whole value; strings that are URLs lose their password;
    mappings and sequences are redacted item by item (``CONNECTION_POOL_KWARGS``,
    ``SENTINEL_KWARGS``, ``SENTINELS``).
    """
    if is_secret_name(name):
        return HIDDEN if value else value
    if isinstance(value, str):
        return redact_url(value) if "://" in value else value
    if isinstance(value, Mapping):
        return {key: redact_value(key, item) for key, item in value.items()}
    if isinstance(value, tuple):
        return tuple(redact_value(None, item) for item in value)
    if isinstance(value, list):
        return [redact_value(None, item) for item in value]
    return value
