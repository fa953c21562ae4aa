"""The Flask-Caching backend (``valkey_cache.core.integrations.flask.ValkeyCache``) on real servers.

A Flask app configured through ``CACHE_TYPE`` talks to the session's standalone server
(``valkey_url``, flushed before each test) or to the session cluster; the semantics
checked are cachelib's (timeout 0 never expires, ``inc`` creates the key...).
"""

from __future__ import annotations

import datetime as dt
import pickle
import subprocess
import sys
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import valkey
from flask import Flask
from flask_caching import Cache
from servers import wait_until

from valkey_cache.core import ConfigurationError
from valkey_cache.core.embedded import EmbeddedCluster
from valkey_cache.core.integrations.flask import ValkeyCache

BACKEND = "valkey_cache.core.integrations.flask.ValkeyCache"
SIGNING_KEY = "k" * 40

AppFactory = Callable[..., tuple[Flask, Cache]]


@pytest.fixture
def make_app(valkey_url: str) -> Iterator[AppFactory]:
    """Build a Flask app with Flask-Caching on our backend; extra settings as keywords."""
    contexts = []

    def build(**settings: Any) -> tuple[Flask, Cache]:
        app = Flask(__name__)
        app.config.update({"CACHE_TYPE": BACKEND, "CACHE_VALKEY_URL": valkey_url, **settings})
        cache = Cache(app)
        context = app.app_context()
        context.push()
        contexts.append(context)
        return app, cache

    yield build
    for context in reversed(contexts):
        context.pop()


@pytest.fixture
def cache(make_app: AppFactory) -> Cache:
    return make_app()[1]


@pytest.fixture
def backend(cache: Cache) -> ValkeyCache:
    built: Any = cache.cache
    assert isinstance(built, ValkeyCache)
    return built


def test_cache_type_path_builds_the_backend(backend: ValkeyCache, valkey_url: str) -> None:
    assert backend.key_prefix == "flask_cache_"  # Flask-Caching's default
    assert backend.default_timeout == 300
    assert backend.ignore_delete_many_errors is False
    assert repr(backend) == f"<ValkeyCache <Cache [{valkey_url!r}] prefix='flask_cache_'>>"


# -- the backend methods ---------------------------------------------------------------


@pytest.mark.parametrize("value", ["text", b"bytes", ["a", 1], {"n": 1.5}, 42, -7, 2.5, True, False, 0])
def test_set_then_get(cache: Cache, value: Any) -> None:
    assert cache.set("k", value) is True
    assert cache.get("k") == value
    assert type(cache.get("k")) is type(value)


def test_get_miss_is_none_and_none_is_stored(cache: Cache) -> None:
    assert cache.get("missing") is None
    assert cache.set("none", None) is True
    assert cache.get("none") is None
    assert cache.has("none") is True
    assert cache.has("missing") is False


def test_keys_are_prefix_then_key(cache: Cache, raw_valkey: valkey.Valkey) -> None:
    cache.set("user:1", 5)
    assert raw_valkey.get("flask_cache_user:1") == b"5"


def test_add_stores_only_when_absent(cache: Cache) -> None:
    assert cache.add("k", "first") is True
    assert cache.add("k", "second") is False
    assert cache.get("k") == "first"


def test_delete_says_whether_the_key_existed(cache: Cache) -> None:
    cache.set("k", 1)
    assert cache.delete("k") is True
    assert cache.delete("k") is False
    assert cache.get("k") is None


def test_get_many_is_a_list_in_order_and_get_dict_a_dict(cache: Cache) -> None:
    cache.set("a", "A")
    cache.set("c", ["C"])
    assert cache.get_many("a", "b", "c", "a") == ["A", None, ["C"], "A"]
    assert cache.get_many() == []
    assert cache.get_dict("a", "b", "c") == {"a": "A", "b": None, "c": ["C"]}


def test_set_many_returns_the_keys_set(cache: Cache, backend: ValkeyCache) -> None:
    assert cache.set_many({"a": 1, "b": [2], "c": "3"}, timeout=60) == ["a", "b", "c"]
    assert cache.get_many("a", "b", "c") == [1, [2], "3"]
    assert 0 < backend.core.ttl("b") <= 60
    assert cache.set_many({}) == []


def test_delete_many_returns_every_key_asked(cache: Cache) -> None:
    cache.set_many({"a": 1, "b": 2, "keep": 3})
    assert cache.delete_many("a", "b", "never-set") == ["a", "b", "never-set"]
    assert cache.get_many("a", "b", "keep") == [None, None, 3]
    assert cache.delete_many() == []
    assert cache.unlink("keep") == ["keep"]  # Flask-Caching falls back to delete_many
    assert cache.has("keep") is False


def test_clear_with_a_prefix_deletes_only_its_keys(cache: Cache, raw_valkey: valkey.Valkey) -> None:
    raw_valkey.set("someone-else", b"x")
    cache.set_many({"a": 1, "b": 2})
    assert cache.clear() is True
    assert cache.get_many("a", "b") == [None, None]
    assert raw_valkey.get("someone-else") == b"x"


def test_clear_without_a_prefix_flushes_the_database(make_app: AppFactory, raw_valkey: valkey.Valkey) -> None:
    _, cache = make_app(CACHE_KEY_PREFIX="")
    raw_valkey.set("someone-else", b"x")
    cache.set("a", 1)
    assert cache.clear() is True
    assert raw_valkey.dbsize() == 0


def test_inc_and_dec_create_a_missing_key(backend: ValkeyCache) -> None:
    assert backend.inc("hits") == 1
    assert backend.inc("hits", 10) == 11
    assert backend.dec("hits", 2) == 9
    assert backend.get("hits") == 9
    assert backend.dec("debt", 5) == -5
    assert backend.core.ttl("debt") is None  # as INCRBY: the created key never expires


def test_inc_keeps_the_timeout_of_a_set_number(backend: ValkeyCache) -> None:
    backend.set("n", 1, timeout=100)
    assert backend.inc("n") == 2
    assert 0 < backend.core.ttl("n") <= 100


# -- timeouts --------------------------------------------------------------------------


def test_timeout_none_is_the_default(make_app: AppFactory) -> None:
    _, cache = make_app(CACHE_DEFAULT_TIMEOUT=120)
    backend = cache.cache
    cache.set("k", 1)
    cache.add("a", 1)
    cache.set_many({"m": 1}, timeout=None)
    for key in ("k", "a", "m"):
        assert 100 < backend.core.ttl(key) <= 120


def test_timeout_zero_never_expires(backend: ValkeyCache) -> None:
    backend.set("s", 1, timeout=0)
    backend.add("a", 1, timeout=0)
    backend.set_many({"m": 1}, timeout=0)
    assert [backend.core.ttl(key) for key in ("s", "a", "m")] == [None, None, None]


def test_ignore_errors_setting_reaches_the_backend(make_app: AppFactory) -> None:
    _, cache = make_app(CACHE_IGNORE_ERRORS=True)
    assert cache.cache.ignore_delete_many_errors is True


def test_default_timeout_zero_never_expires(make_app: AppFactory) -> None:
    _, cache = make_app(CACHE_DEFAULT_TIMEOUT=0)
    cache.set("k", 1)
    assert cache.cache.default_timeout == 0
    assert cache.cache.core.ttl("k") is None


def test_timedelta_and_fractional_timeouts(make_app: AppFactory) -> None:
    _, cache = make_app(CACHE_DEFAULT_TIMEOUT=dt.timedelta(minutes=2))
    backend = cache.cache
    cache.set("default", 1)
    cache.set("delta", 1, timeout=dt.timedelta(seconds=30))
    cache.set("fraction", 1, timeout=2.5)
    assert 100 < backend.core.ttl("default") <= 120
    assert 20 < backend.core.ttl("delta") <= 30
    assert 2000 < backend.core.pttl("fraction") <= 2500


def test_a_short_timeout_expires(backend: ValkeyCache) -> None:
    backend.set("brief", "x", timeout=0.05)
    backend.set("forever", "y", timeout=0)
    assert wait_until(lambda: backend.get("brief") is None)
    assert backend.get("forever") == "y"


def test_negative_timeout_stores_nothing(backend: ValkeyCache) -> None:
    backend.set("k", "old")
    assert backend.set("k", "new", timeout=-1) is False
    assert backend.has("k") is False
    assert backend.add("a", 1, timeout=-1) is True  # absent, as the core's add says
    assert backend.has("a") is False
    assert backend.set_many({"m": 1}, timeout=-1) == []
    assert backend.has("m") is False


@pytest.mark.parametrize("timeout", ["60", float("nan"), True, object()])
def test_bad_timeout_is_a_type_error(backend: ValkeyCache, timeout: Any) -> None:
    with pytest.raises(TypeError, match="timeout must be a number of seconds"):
        backend.set("k", 1, timeout=timeout)


# -- Flask-Caching's decorators ----------------------------------------------------------


def test_cached_view_is_computed_once(make_app: AppFactory, raw_valkey: valkey.Valkey) -> None:
    app, cache = make_app()
    calls: list[str] = []

    @app.route("/hello/<name>")
    @cache.cached(timeout=60)
    def hello(name: str) -> str:
        calls.append(name)
        return f"hello {name} #{len(calls)}"

    client = app.test_client()
    assert client.get("/hello/ada").text == "hello ada #1"
    assert client.get("/hello/ada").text == "hello ada #1"
    assert client.get("/hello/bob").text == "hello bob #2"
    assert calls == ["ada", "bob"]
    assert 0 < raw_valkey.ttl("flask_cache_view//hello/ada") <= 60

    cache.delete("view//hello/ada")
    assert client.get("/hello/ada").text == "hello ada #3"


def test_cached_view_with_query_string(make_app: AppFactory) -> None:
    app, cache = make_app()
    calls: list[str] = []

    @app.route("/search")
    @cache.cached(timeout=60, query_string=True)
    def search() -> str:
        calls.append("x")
        return f"result {len(calls)}"

    client = app.test_client()
    assert client.get("/search?q=1").text == "result 1"
    assert client.get("/search?q=1").text == "result 1"
    assert client.get("/search?q=2").text == "result 2"


def test_memoize_and_delete_memoized(cache: Cache) -> None:
    calls: list[tuple[int, int]] = []

    @cache.memoize(timeout=60)
    def add(a: int, b: int) -> int:
        calls.append((a, b))
        return a + b

    assert add(1, 2) == 3
    assert add(1, 2) == 3
    assert add(2, 2) == 4
    assert calls == [(1, 2), (2, 2)]

    cache.delete_memoized(add, 1, 2)
    assert add(1, 2) == 3
    assert add(2, 2) == 4
    assert calls == [(1, 2), (2, 2), (1, 2)]

    cache.delete_memoized(add)
    assert add(1, 2) == 3
    assert add(2, 2) == 4
    assert calls == [(1, 2), (2, 2), (1, 2), (1, 2), (2, 2)]


def test_memoized_method_and_delete_memoized_version(cache: Cache) -> None:
    calls: list[int] = []

    class Report:
        def __init__(self, ident: int) -> None:
            self.ident = ident

        def __repr__(self) -> str:
            return f"Report({self.ident})"

        @cache.memoize(timeout=60)
        def total(self) -> int:
            calls.append(self.ident)
            return self.ident * 10

    first, second = Report(1), Report(2)
    assert (first.total(), second.total(), first.total()) == (10, 20, 10)
    assert calls == [1, 2]
    cache.delete_memoized_verhash(Report.total)
    assert first.total() == 10
    assert calls == [1, 2, 1]


def test_memoize_caches_none(cache: Cache) -> None:
    calls: list[int] = []

    @cache.memoize(timeout=60, cache_none=True)
    def nothing() -> None:
        calls.append(1)

    nothing()
    nothing()
    assert calls == [1]


# -- CACHE_OPTIONS -------------------------------------------------------------------------


def test_json_serializer_option(make_app: AppFactory, raw_valkey: valkey.Valkey) -> None:
    app, cache = make_app(CACHE_OPTIONS={"SERIALIZER": "valkey_cache.serializers.json.JSONSerializer"})
    cache.set("doc", {"name": "Ada", "tags": ["x"]})
    assert raw_valkey.get("flask_cache_doc") == b'{"name": "Ada", "tags": ["x"]}'
    assert cache.get("doc") == {"name": "Ada", "tags": ["x"]}

    @app.route("/json")
    @cache.cached(timeout=60)
    def view() -> str:
        return "body"

    client = app.test_client()
    assert client.get("/json").text == client.get("/json").text == "body"
    assert raw_valkey.get("flask_cache_view//json") == b'"body"'


def test_lower_case_option_names_are_accepted(make_app: AppFactory, raw_valkey: valkey.Valkey) -> None:
    _, cache = make_app(CACHE_OPTIONS={"serializer": "valkey_cache.serializers.json.JSONSerializer"})
    cache.set("doc", [1])
    assert raw_valkey.get("flask_cache_doc") == b"[1]"


def test_signing_key_option(make_app: AppFactory, raw_valkey: valkey.Valkey) -> None:
    _, cache = make_app(CACHE_OPTIONS={"SIGNING_KEY": SIGNING_KEY})
    cache.set("value", {"safe": True})
    assert cache.get("value") == {"safe": True}
    stored = raw_valkey.get("flask_cache_value")
    assert stored is not None
    assert SIGNING_KEY.encode() not in stored
    assert stored.startswith(pickle.dumps({"safe": True}))

    raw_valkey.set("flask_cache_forged", pickle.dumps("unsigned"))
    assert cache.get("forged") is None  # no MAC: a miss, never unpickled
    assert cache.get_many("forged", "value") == [None, {"safe": True}]
    assert cache.cache.inc("count") == 1  # numbers stay plain text, INCR-able


def test_unsigned_values_are_misses_for_memoize(make_app: AppFactory, raw_valkey: valkey.Valkey) -> None:
    _, cache = make_app(CACHE_OPTIONS={"SIGNING_KEY": SIGNING_KEY})
    calls: list[int] = []

    @cache.memoize(timeout=60)
    def compute() -> str:
        calls.append(1)
        return "real"

    assert compute() == "real"
    for key in raw_valkey.keys("flask_cache_*"):
        raw_valkey.set(key, pickle.dumps("forged"))
    assert compute() == "real"
    assert calls == [1, 1]


def test_clear_scope_can_be_overridden(make_app: AppFactory, raw_valkey: valkey.Valkey) -> None:
    _, cache = make_app(CACHE_OPTIONS={"CLEAR_SCOPE": "database"})
    raw_valkey.set("someone-else", b"x")
    cache.clear()
    assert raw_valkey.dbsize() == 0


def test_core_extras_see_flask_keys(backend: ValkeyCache) -> None:
    backend.set_many({"user:1": 1, "user:2": 2, "other": 3}, timeout=0)
    assert sorted(backend.core.iter_keys("user:*")) == ["user:1", "user:2"]
    with backend.core.lock("job", timeout=5):
        assert backend.has("job")


def test_ignore_exceptions_gives_cachelib_miss_values(make_app: AppFactory) -> None:
    _, cache = make_app(
        CACHE_VALKEY_URL="valkey://127.0.0.1:1",
        CACHE_OPTIONS={"IGNORE_EXCEPTIONS": True, "SOCKET_CONNECT_TIMEOUT": 0.5, "RETRIES": 0},
    )
    backend = cache.cache
    assert backend.get("k") is None
    assert backend.get_many("a", "b") == [None, None]
    assert backend.set("k", 1) is False
    assert backend.add("k", 1) is False
    assert backend.has("k") is False
    assert backend.inc("n") is None


# -- cluster -------------------------------------------------------------------------------


def test_cluster_client_class(valkey_cluster: EmbeddedCluster) -> None:
    valkey_cluster.flushall()
    app = Flask(__name__)
    app.config.update(
        CACHE_TYPE=BACKEND,
        CACHE_VALKEY_URL=valkey_cluster.url,
        CACHE_OPTIONS={"CLIENT_CLASS": "valkey_cache.core.client.ClusterClient"},
    )
    cache = Cache(app)
    with app.app_context():
        keys = [f"key{i}" for i in range(20)]  # spread over every master
        assert cache.set_many(dict.fromkeys(keys, "v"), timeout=60) == keys
        assert cache.get_many(*keys) == ["v"] * 20
        assert cache.cache.inc("hits", 3) == 3
        assert cache.delete_many(*keys[:10]) == keys[:10]
        assert cache.get_many("key0", "key19") == [None, "v"]
        assert cache.clear() is True
        assert cache.get_many("key19", "hits") == [None, None]

        calls: list[int] = []

        @cache.memoize(timeout=60)
        def square(n: int) -> int:
            calls.append(n)
            return n * n

        assert [square(3), square(3), square(4)] == [9, 9, 16]
        assert calls == [3, 4]


# -- bad configuration -----------------------------------------------------------------------


def _init_error(**settings: Any) -> ConfigurationError:
    app = Flask(__name__)
    app.config.update({"CACHE_TYPE": BACKEND, **settings})
    with pytest.raises(ConfigurationError) as info:
        Cache(app)
    return info.value


def test_missing_url() -> None:
    error = _init_error()
    assert error.option == "CACHE_VALKEY_URL"
    assert str(error).startswith("CACHE_VALKEY_URL=None is not valid: expected a valkey://")


def test_missing_url_mentions_a_redis_url_setting() -> None:
    error = _init_error(CACHE_REDIS_URL="redis://:hunter2@localhost:6379/0")
    assert "CACHE_REDIS_URL is set, but this backend reads CACHE_VALKEY_URL" in str(error)
    assert "hunter2" not in str(error)


@pytest.mark.parametrize("url", ["http://:hunter2@localhost:6379", ["valkey://a:1", 5], 42])
def test_bad_url_names_the_setting_without_the_password(url: Any) -> None:
    error = _init_error(CACHE_VALKEY_URL=url)
    assert error.option == "CACHE_VALKEY_URL"
    assert str(error).startswith("CACHE_VALKEY_URL=")
    assert "hunter2" not in str(error)


def test_misspelt_option_names_the_setting_and_suggests(valkey_url: str) -> None:
    error = _init_error(CACHE_VALKEY_URL=valkey_url, CACHE_OPTIONS={"SERIALISER": "x", "PASWORD": "hunter2"})
    assert str(error) == (
        "CACHE_OPTIONS['SERIALISER'] is not valid: expected a known option name (did you mean 'SERIALIZER'?)"
    )


def test_bad_option_value_names_the_setting(valkey_url: str) -> None:
    error = _init_error(CACHE_VALKEY_URL=valkey_url, CACHE_OPTIONS={"socket_timeout": "fast"})
    assert str(error) == (
        "CACHE_OPTIONS['socket_timeout']='fast' is not valid: "
        "expected a finite number >= 0.0 (seconds) or None"
    )


def test_short_signing_key_is_not_shown(valkey_url: str) -> None:
    error = _init_error(CACHE_VALKEY_URL=valkey_url, CACHE_OPTIONS={"SIGNING_KEY": "short-secret"})
    assert str(error).startswith("CACHE_OPTIONS['SIGNING_KEY']")
    assert "short-secret" not in str(error)


def test_password_option_is_not_shown(valkey_url: str) -> None:
    error = _init_error(CACHE_VALKEY_URL=valkey_url, CACHE_OPTIONS={"PASSWORD": "hunter2", "RETRIES": -1})
    assert str(error).startswith("CACHE_OPTIONS['RETRIES']=-1 is not valid")
    assert "hunter2" not in str(error)


def test_unimportable_client_class(valkey_url: str) -> None:
    error = _init_error(CACHE_VALKEY_URL=valkey_url, CACHE_OPTIONS={"CLIENT_CLASS": "nowhere.Client"})
    assert str(error).startswith("CACHE_OPTIONS['CLIENT_CLASS']='nowhere.Client' is not valid")


@pytest.mark.parametrize("timeout", [-1, "soon", None, float("inf")])
def test_bad_default_timeout(valkey_url: str, timeout: Any) -> None:
    if timeout == "soon":  # Flask-Caching itself turns strings into ints first
        with pytest.raises(ValueError, match="invalid literal"):
            _init_error(CACHE_VALKEY_URL=valkey_url, CACHE_DEFAULT_TIMEOUT=timeout)
        return
    error = _init_error(CACHE_VALKEY_URL=valkey_url, CACHE_DEFAULT_TIMEOUT=timeout)
    assert error.option == "CACHE_DEFAULT_TIMEOUT"
    assert "expected a number of seconds >= 0 (0: never expire) or a datetime.timedelta" in str(error)


def test_bad_key_prefix(valkey_url: str) -> None:
    error = _init_error(CACHE_VALKEY_URL=valkey_url, CACHE_KEY_PREFIX=5)
    assert str(error) == "CACHE_KEY_PREFIX=5 is not valid: expected a string"


def test_cache_args_are_refused(valkey_url: str) -> None:
    error = _init_error(CACHE_VALKEY_URL=valkey_url, CACHE_ARGS=["valkey://:hunter2@host"])
    assert error.option == "CACHE_ARGS"
    assert "hunter2" not in str(error)


def test_built_directly_with_the_settings_values(valkey_url: str) -> None:
    backend = ValkeyCache(valkey_url, default_timeout=0, key_prefix="direct:")
    assert backend.set("k", [1]) is True
    assert backend.get("k") == [1]
    assert backend.core.ttl("k") is None
    assert backend.delete_many("k") == ["k"]
    backend.close()


# -- packaging -------------------------------------------------------------------------------


def test_core_imports_without_flask() -> None:
    script = (
        "import sys\n"
        "sys.modules['flask'] = sys.modules['flask_caching'] = None\n"
        "import valkey_cache.core, valkey_cache.core.integrations, valkey_cache.core.cli\n"
        "import valkey_cache.core.embedded\n"
        "try:\n"
        "    import valkey_cache.core.integrations.flask\n"
        "except ImportError:\n"
        "    print('ok')\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert result.stdout == "ok\n"
