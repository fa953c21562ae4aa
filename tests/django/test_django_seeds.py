"""The examples of the user's spec (``shared/seeds``), run as written."""

from __future__ import annotations

import inspect
import pickle
from typing import Any

import pytest
import valkey
from django.test import override_settings

# ---------------------------------------------------------------------------------------
# Raw operations: get_valkey_connection, make_key, make_pattern, encode, decode
# ---------------------------------------------------------------------------------------


def test_get_valkey_connection_example() -> None:
    from django_valkey import get_valkey_connection

    raw_client = get_valkey_connection("default")

    assert isinstance(raw_client, valkey.Valkey)
    assert raw_client.ping() is True


def test_get_valkey_connection_signature() -> None:
    from django_valkey import get_valkey_connection

    def get_valkey_connection_spec(alias: str = "default", write: bool = True, key: Any = None): ...

    spec = inspect.signature(get_valkey_connection_spec)
    actual = inspect.signature(get_valkey_connection)
    assert list(actual.parameters) == list(spec.parameters)
    for name, parameter in spec.parameters.items():
        assert actual.parameters[name].default == parameter.default


def test_get_valkey_connection_reads_keys_written_by_the_cache() -> None:
    from django.core.cache import cache

    from django_valkey import get_valkey_connection
    from django_valkey.util import make_key

    cache.set("my_key", 42)
    raw_client = get_valkey_connection("default", write=False)
    key = make_key(key="my_key", key_func=cache.key_func, version=cache.version, prefix=cache.key_prefix)
    assert raw_client.get(key) == b"42"
    assert get_valkey_connection(key=key).get(key) == b"42"


def test_utilities_import_example() -> None:
    from django_valkey.util import decode, encode, make_key, make_pattern

    for function in (make_key, make_pattern, encode, decode):
        assert callable(function)


def test_make_key_example() -> None:
    from django.core.cache.backends.base import (
        default_key_func,  # this is the default key func, if you are using a custom one, use that instead
    )

    from django_valkey.util import make_key

    result = make_key(
        key="my_key",
        key_func=default_key_func,  # the default key func, customize based on your configs
        version=1,  # 1 is default, customize it based on your configs
        prefix="",  # default prefix, customize based on your config
    )

    from django_valkey.util import CacheKey

    assert result == ":1:my_key"
    assert isinstance(result, CacheKey)
    assert isinstance(result, str)


def test_cache_settings_example() -> None:
    from django.core.cache import cache

    key_func = cache.key_func
    version = cache.version
    key_prefix = cache.key_prefix

    from django_valkey.util import make_key

    made = make_key(key="k", key_func=key_func, version=version, prefix=key_prefix)
    assert made == cache.make_key("k") == ":1:k"
    assert (version, key_prefix) == (1, "")


def test_make_pattern_example() -> None:
    from django.core.cache.backends.base import (
        default_key_func,  # this is the default key func, if you are using a custom one, use that instead
    )

    from django_valkey.util import make_pattern

    result = make_pattern(
        pattern="my_*",
        key_func=default_key_func,  # the default key func, customize based on your configs
        version=1,  # 1 is default, customize it based on your configs
        prefix="",  # default prefix, customize based on your config
    )

    assert result == ":1:my_*"
    assert make_pattern(pattern="x", key_func=default_key_func, version=1, prefix="a*b") == ("a[*]b:1:x")


def test_make_pattern_matches_what_iter_keys_finds() -> None:
    from django.core.cache import cache

    from django_valkey import get_valkey_connection
    from django_valkey.util import make_pattern

    cache.set_many({"my_1": 1, "my_2": 2, "other": 3})
    pattern = make_pattern(
        pattern="my_*", key_func=cache.key_func, version=cache.version, prefix=cache.key_prefix
    )
    raw = get_valkey_connection("default")
    assert sorted(raw.scan_iter(match=pattern)) == [b":1:my_1", b":1:my_2"]
    assert sorted(cache.iter_keys("my_*")) == ["my_1", "my_2"]


def test_encode_and_decode_example() -> None:
    from django.core.cache import cache

    from django_valkey.util import decode, encode

    encoded = encode(
        value="my_value", serializer=cache.client._serializer, compressor=cache.client._compressor
    )
    assert encoded == pickle.dumps("my_value", pickle.DEFAULT_PROTOCOL)
    # The seed's next line passes the plain text "my_value", which no serializer
    # wrote: pickle rejects it, in django-valkey 0.4 as here.
    with pytest.raises(TypeError):
        decode(
            value="my_value",
            serializer=cache.client._serializer,
            compressor=cache.client._compressor,
        )
    # decode() reads what encode() wrote:
    decoded = decode(value=encoded, serializer=cache.client._serializer, compressor=cache.client._compressor)
    assert decoded == "my_value"


def test_encode_and_decode_with_hand_made_instances() -> None:
    from django_valkey.compressors.zlib import ZlibCompressor
    from django_valkey.serializers.json import JSONSerializer
    from django_valkey.util import decode, encode

    serializer = JSONSerializer({})
    compressor = ZlibCompressor({})
    value = {"text": "x" * 100}
    encoded = encode(value=value, serializer=serializer, compressor=compressor)
    assert isinstance(encoded, bytes)
    assert decode(value=encoded, serializer=serializer, compressor=compressor) == value
    assert encode(value=5, serializer=serializer, compressor=compressor) == 5


# ---------------------------------------------------------------------------------------
# Customizing: BaseValkeyCache, BaseClient, BaseConnectionFactory
# ---------------------------------------------------------------------------------------

from valkey import Valkey  # noqa: E402

from django_valkey.base import BackendCommands, BaseValkeyCache  # noqa: E402
from django_valkey.client import DefaultClient  # noqa: E402


class ValkeyCache(BaseValkeyCache[DefaultClient, Valkey], BackendCommands):
    DEFAULT_CLIENT_CLASS = "django_valkey.client.DefaultClient"
    ...


def test_custom_backend_from_the_seed(url: str) -> None:
    cache = ValkeyCache(url, {"KEY_PREFIX": "seed"})
    assert cache.set("k", {"v": 1}) is True
    assert cache.get("k") == {"v": 1}
    assert cache.add("k", 2) is False
    assert isinstance(cache.client, DefaultClient)
    assert cache.make_key("k") == "seed:1:k"


@pytest.mark.anyio
async def test_custom_backend_from_the_seed_async(url: str) -> None:
    from django_helpers import disconnect_loop_pools

    cache = ValkeyCache(url, {})
    await cache.aset("k", "v")
    assert await cache.aget("k") == "v"
    await disconnect_loop_pools()


def test_custom_backend_from_the_seed_in_caches(url: str) -> None:
    from django.core.cache import caches

    backend = f"{__name__}.ValkeyCache"
    with override_settings(CACHES={"default": {"BACKEND": backend, "LOCATION": url}}):
        caches["default"].set("k", 1)
        assert caches["default"].get("k") == 1
        assert type(caches["default"]) is ValkeyCache


from django_valkey.base_client import BaseClient, ClientCommands  # noqa: E402


class SeedDefaultClient(BaseClient[Valkey], ClientCommands[Valkey]):
    CONNECTION_FACTORY_PATH = "django_valkey.pool.ConnectionFactory"


def test_custom_client_from_the_seed(url: str) -> None:
    from django_valkey.cache import ValkeyCache as Backend
    from django_valkey.pool import ConnectionFactory

    cache = Backend(url, {"OPTIONS": {"CLIENT_CLASS": SeedDefaultClient}})
    assert type(cache.client) is SeedDefaultClient
    assert type(cache.client.connection_factory) is ConnectionFactory
    cache.set("k", 1)
    assert cache.get("k") == 1


def test_connection_factory_path_is_used_only_without_the_setting(url: str) -> None:
    from django_valkey.cache import ValkeyCache as Backend

    factory = f"{__name__}.CountingFactory"
    with override_settings(DJANGO_VALKEY_CONNECTION_FACTORY=factory):
        cache = Backend(url, {"OPTIONS": {"CLIENT_CLASS": SeedDefaultClient}})
        assert type(cache.client.connection_factory) is CountingFactory
        cache.set("k", 1)
        assert cache.get("k") == 1
    cache = Backend(url, {"OPTIONS": {"CLIENT_CLASS": SeedDefaultClient}})
    assert type(cache.client.connection_factory) is not CountingFactory


from valkey.connection import ConnectionPool  # noqa: E402

from django_valkey.base_pool import BaseConnectionFactory  # noqa: E402


class ConnectionFactory(BaseConnectionFactory[Valkey, ConnectionPool]):
    path_pool_cls = "valkey.connection.ConnectionPool"
    path_base_cls = "valkey.client.Valkey"


class CountingFactory(ConnectionFactory):
    """The seed's factory with the four methods it leaves to subclasses."""

    connects = 0

    def connect(self, url: str) -> Valkey:
        type(self).connects += 1
        return self.get_connection(self.make_connection_params(url))

    def disconnect(self, connection: Valkey) -> None:
        connection.connection_pool.disconnect()

    def get_connection(self, params: dict[str, Any]) -> Valkey:
        pool = self.get_or_create_connection_pool(params)
        return self.base_client_cls(connection_pool=pool, **self.base_client_cls_kwargs)

    def get_parser_cls(self) -> type[Any]:
        from valkey.connection import DefaultParser

        return DefaultParser


def test_connection_factory_from_the_seed() -> None:
    factory = ConnectionFactory({})
    assert factory.pool_cls is ConnectionPool
    assert factory.base_client_cls is Valkey
    for call in (
        lambda: factory.connect("valkey://127.0.0.1:1"),
        lambda: factory.disconnect(None),
        lambda: factory.get_connection({}),
        factory.get_parser_cls,
    ):
        with pytest.raises(NotImplementedError):
            call()


def test_subclass_of_the_seed_factory_serves_a_cache(url: str) -> None:
    from django_valkey.cache import ValkeyCache as Backend

    before = CountingFactory.connects
    cache = Backend(url, {"OPTIONS": {"CONNECTION_FACTORY": f"{__name__}.CountingFactory"}})
    cache.set("k", "v")
    assert cache.get("k") == "v"
    assert CountingFactory.connects == before + 1
