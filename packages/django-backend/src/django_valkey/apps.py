"""``INSTALLED_APPS = [..., "django_valkey"]`` adds the system checks and ``manage.py valkey``."""

from __future__ import annotations

from django.apps import AppConfig


class DjangoValkeyConfig(AppConfig):
    name = "django_valkey"
    verbose_name = "Valkey cache"

    def ready(self) -> None:
        from . import checks  # registers the checks

        checks.guard_cache_building_checks()
