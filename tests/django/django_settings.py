"""Django settings for tests/django: CACHES point at the test session's Valkey server.

``conftest.py`` sets ``DJANGO_VALKEY_TEST_URL`` (and the sqlite path) before
``django.setup()``; a subprocess gets them from its environment.
"""

from __future__ import annotations

import os

URL = os.environ.get("DJANGO_VALKEY_TEST_URL", "valkey://127.0.0.1:6379")

SECRET_KEY = "django-valkey-tests"
DEBUG = False
USE_TZ = True
ALLOWED_HOSTS = ["*"]
ROOT_URLCONF = "django_urls"
INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django_valkey",
]
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("DJANGO_VALKEY_TEST_DB", ":memory:"),
    }
}
CACHES = {
    "default": {
        "BACKEND": "django_valkey.cache.ValkeyCache",
        "LOCATION": URL,
    },
    "async": {
        "BACKEND": "django_valkey.async_cache.cache.AsyncValkeyCache",
        "LOCATION": URL,
        "KEY_PREFIX": "async",
    },
}
TEMPLATES = [{"BACKEND": "django.template.backends.django.DjangoTemplates", "APP_DIRS": False}]
SESSION_ENGINE = "django.contrib.sessions.backends.cache"
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
