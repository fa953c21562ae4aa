"""Test your code's caching against a real Valkey: the ``valkey`` pytest plugin.

Installing ``valkey-cache-core[embedded]`` enables the plugin
(:mod:`valkey_cache.core.testing.plugin`) through its ``pytest11`` entry point. Its
fixtures: ``valkey_server``, ``valkey_url``, ``valkey_cluster``, ``valkey_sentinel``
(session scope, started on first use), ``valkey_topology``, ``valkey_cache_options``,
``valkey_cache``, ``async_valkey_cache`` and ``valkey_django_caches`` (per test); the
``--valkey-url`` option and ``valkey_url`` ini setting. See docs/testing.md.
"""
