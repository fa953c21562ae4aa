"""System checks (``manage.py check``) for every Valkey cache in ``CACHES``.

Registered by ``django_valkey.apps`` (add ``"django_valkey"`` to ``INSTALLED_APPS``).

- ``django_valkey.E001``: an option (or ``LOCATION``) has a value the cache cannot use,
  or a dotted path does not import. Django's own cache checks, which build every cache,
  are skipped meanwhile (see :func:`guard_cache_building_checks`), so this is reported
  instead of a crash.
- ``django_valkey.W001``: an ``OPTIONS`` key no part of the cache reads (a typo?).
- ``django_valkey.W002``: a sync-only class (or pool arguments) given for the
  connection, which the native async ``a``-methods of ``ValkeyCache`` cannot use.
- ``django_valkey.W010`` (``--deploy``): values are pickled unsigned, so whoever can
  write to the server can run code in the application (set ``SIGNING``).
- ``django_valkey.W011`` (``--deploy``): ``SIGNING`` is ``"accept-unsigned"``, which
  still unpickles unsigned values (meant for the switch-over only).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import Any

from django.conf import settings
from django.core import checks
from django.utils.module_loading import import_string

from valkey_cache.core.exceptions import ConfigurationError
from valkey_cache.core.option_names import known_options, unknown_options
from valkey_cache.core.serializer import PickleSerializer
from valkey_cache.core.signing import SigningSerializer

from .settings import DJANGO_OPTIONS, CacheConfig, cache_config, describe_error, probe_client


@checks.register(checks.Tags.caches)
def check_valkey_caches(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    messages: list[checks.CheckMessage] = []
    for alias, conf in getattr(settings, "CACHES", {}).items():
        backend = _valkey_backend(conf.get("BACKEND"))
        if backend is not None:
            messages.extend(check_cache(str(alias), backend, conf))
    return messages


@checks.register(checks.Tags.security, deploy=True)
def check_valkey_signing(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """Warn about each Valkey cache whose pickled values are not (all) signed."""
    messages: list[checks.CheckMessage] = []
    for alias, conf in getattr(settings, "CACHES", {}).items():
        backend = _valkey_backend(conf.get("BACKEND"))
        if backend is None:
            continue
        location = conf.get("LOCATION", "")
        params = {name: value for name, value in conf.items() if name not in ("BACKEND", "LOCATION")}
        try:
            serializer = cache_config(backend, location, params).options["SERIALIZER"]
        except ConfigurationError:
            continue  # reported as E001
        where = f"CACHES[{alias!r}]"
        if isinstance(serializer, SigningSerializer):
            if serializer.accept_unsigned:
                messages.append(
                    checks.Warning(
                        f"{where}: SIGNING='accept-unsigned' still unpickles unsigned values, so "
                        "whoever can write to the Valkey server can run code in this application.",
                        hint="Once the unsigned entries have expired (or after a clear), set "
                        "OPTIONS['SIGNING'] to True.",
                        obj=where,
                        id="django_valkey.W011",
                    )
                )
        elif isinstance(serializer, PickleSerializer):
            messages.append(
                checks.Warning(
                    f"{where}: values are pickled unsigned, so whoever can write to the Valkey "
                    "server can run code in this application.",
                    hint="Set OPTIONS['SIGNING'] to True (the key derives from SECRET_KEY), or to "
                    "'accept-unsigned' while entries written unsigned remain.",
                    obj=where,
                    id="django_valkey.W010",
                )
            )
    return messages


#: Django's checks that build every cache in ``CACHES`` (``caches[alias]``).
DJANGO_CACHE_BUILDING_CHECKS = ("check_file_based_cache_is_absolute", "check_cache_location_not_exposed")


def guard_cache_building_checks() -> None:
    """Make Django's checks that build every cache skip their run while a Valkey cache
    has a configuration error, which :func:`check_valkey_caches` reports as E001:
    building that cache would raise ImproperlyConfigured and crash ``manage.py check``
    (Django runs the checks in no set order). Called once, from ``AppConfig.ready``."""
    from django.core.checks import caches as django_checks
    from django.core.checks.registry import registry

    for name in DJANGO_CACHE_BUILDING_CHECKS:
        original = getattr(django_checks, name, None)
        if original is None:
            continue
        for group in (registry.registered_checks, registry.deployment_checks):
            if original in group:
                group.discard(original)
                group.add(_unless_misconfigured(original))  # type: ignore[arg-type]


def _unless_misconfigured(check: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(check)  # keeps its tags
    def guarded(app_configs: Any = None, **kwargs: Any) -> Any:
        if any(message.id == "django_valkey.E001" for message in check_valkey_caches()):
            return []
        return check(app_configs=app_configs, **kwargs)

    return guarded


def _valkey_backend(path: Any) -> type[Any] | None:
    from .base import BaseValkeyCache

    try:
        backend = import_string(path) if isinstance(path, str) else path
    except ImportError:
        return None  # Django reports an unknown BACKEND itself.
    if isinstance(backend, type) and issubclass(backend, BaseValkeyCache):
        return backend
    return None


def check_cache(alias: str, backend: type[Any], conf: Mapping[str, Any]) -> list[checks.CheckMessage]:
    location = conf.get("LOCATION", "")
    params = {name: value for name, value in conf.items() if name not in ("BACKEND", "LOCATION")}
    try:
        config = cache_config(backend, location, params)
        known = _known_names(config, location)
    except ConfigurationError as exc:
        return [
            checks.Error(
                f"CACHES[{alias!r}]: {describe_error(exc)}.",
                hint=f"Set {exc.option} to {exc.accepted}.",
                obj=f"CACHES[{alias!r}]",
                id="django_valkey.E001",
            )
        ]
    messages: list[checks.CheckMessage] = []
    for name, close in unknown_options(config.user_options, known):
        hint = f"Did you mean {close!r}?" if close else "See the options table in the docs."
        messages.append(
            checks.Warning(
                f"CACHES[{alias!r}]['OPTIONS'] has {name!r}, which this cache does not read.",
                hint=hint,
                obj=f"CACHES[{alias!r}]",
                id="django_valkey.W001",
            )
        )
    for name, value in config.async_dropped:
        messages.append(
            checks.Warning(
                f"CACHES[{alias!r}]: {name}={value!r} does not suit the asyncio client; the "
                "cache's async methods (aget, aset...) use their default instead.",
                hint=f"Set OPTIONS['ASYNC_{name}'] to its asyncio counterpart.",
                obj=f"CACHES[{alias!r}]",
                id="django_valkey.W002",
            )
        )
    return messages


def _known_names(config: CacheConfig, location: Any) -> frozenset[str]:
    client = probe_client(config.client_class, location, config.params)
    components: list[Any] = [
        client,
        client.connection_factory,
        config.options["SERIALIZER"],
        config.options["COMPRESSOR"],
    ]
    if config.async_client_class is not None and config.async_params is not None:
        twin = probe_client(config.async_client_class, location, config.async_params)
        components += [twin, twin.connection_factory]
    return known_options(*components) | frozenset(DJANGO_OPTIONS)
