"""Backends for other frameworks' cache extensions, each in its own module.

Importing this package imports no framework: ``integrations.flask`` needs the
``[flask]`` extra (Flask-Caching) and is imported only by name, from ``CACHE_TYPE``.
"""
