"""The Django backend over TLS: the TLS-terminating proxy of tests/tls.py in front of the
shared server; CACHES set with ``override_settings`` as a project would."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
import valkey
from django.core.cache import caches
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings
from django_helpers import disconnect_loop_pools
from tls import TLS_SENTINEL_SERVICE, TlsCluster, TlsEndpoints, TlsFiles, TlsSentinel, tls_url

from django_valkey.checks import check_valkey_caches
from valkey_cache.core.exceptions import CertificateNotTrusted

BACKENDS = ["django_valkey.cache.ValkeyCache", "django_valkey.async_cache.cache.AsyncValkeyCache"]


def _caches(location: str, backend: str = BACKENDS[0], **options: Any) -> dict[str, Any]:
    return {"default": {"BACKEND": backend, "LOCATION": location, "OPTIONS": options}}


@pytest.fixture
async def cleanup() -> AsyncIterator[None]:
    yield
    await disconnect_loop_pools()


def _mutual_options(tls_endpoints: TlsEndpoints) -> dict[str, Any]:
    files = tls_endpoints.files
    return {
        "SSL_CA_CERTS": str(files.ca),
        "SSL_CERTFILE": str(files.client_cert),
        "SSL_KEYFILE": str(files.client_key),
        "SSL_CERT_REQS": "required",
        "SSL_MIN_VERSION": "TLSv1_2",
    }


def test_sync_over_mutual_tls(tls_endpoints: TlsEndpoints, raw_valkey: valkey.Valkey) -> None:
    proxy = tls_endpoints.mutual
    before = proxy.accepted
    with override_settings(CACHES=_caches(tls_url(proxy), **_mutual_options(tls_endpoints))):
        cache = caches["default"]
        cache.set("k", {"tls": 1})
        assert cache.get("k") == {"tls": 1}
        cache.close()
    assert raw_valkey.exists(":1:k") == 1
    assert proxy.accepted > before


@pytest.mark.anyio
@pytest.mark.parametrize("backend", BACKENDS)
async def test_native_async_over_tls(
    backend: str, tls_endpoints: TlsEndpoints, raw_valkey: valkey.Valkey, cleanup: None
) -> None:
    with override_settings(
        CACHES=_caches(tls_url(tls_endpoints.mutual), backend, **_mutual_options(tls_endpoints))
    ):
        cache = caches["default"]
        await cache.aset("ak", "async over tls")
        assert await cache.aget("ak") == "async over tls"
    assert raw_valkey.exists(":1:ak") == 1


def test_connection_pool_kwargs_and_url_query(tls_endpoints: TlsEndpoints, raw_valkey: valkey.Valkey) -> None:
    """As django-valkey 0.4 users have them: valkey-py's names in CONNECTION_POOL_KWARGS
    or in the LOCATION query."""
    ca = tls_endpoints.files.ca
    pool_kwargs = {"ssl_ca_certs": str(ca), "ssl_cert_reqs": "required"}
    with override_settings(
        CACHES=_caches(tls_url(tls_endpoints.trusted), CONNECTION_POOL_KWARGS=pool_kwargs)
    ):
        caches["default"].set("pool", 1)
    query = f"ssl_cert_reqs=required&ssl_ca_certs={ca}"
    with override_settings(CACHES=_caches(tls_url(tls_endpoints.trusted, query=query))):
        caches["default"].set("query", 1)
    assert raw_valkey.exists(":1:pool", ":1:query") == 2


def test_untrusted_certificate_raises_under_ignore_exceptions(tls_endpoints: TlsEndpoints) -> None:
    location = tls_url(tls_endpoints.untrusted)
    config = _caches(location, SSL_CA_CERTS=str(tls_endpoints.files.ca), IGNORE_EXCEPTIONS=True)
    with override_settings(CACHES=config), pytest.raises(CertificateNotTrusted, match="not trusted"):
        caches["default"].get("k")


def test_bad_tls_option_is_improperly_configured(tls_endpoints: TlsEndpoints) -> None:
    with (
        override_settings(CACHES=_caches(tls_url(tls_endpoints.trusted), SSL_CERT_REQS="always")),
        pytest.raises(ImproperlyConfigured, match="SSL_CERT_REQS='always' is not valid"),
    ):
        caches["default"]


def test_tls_option_with_plaintext_location_fails_the_check(tls_endpoints: TlsEndpoints, url: str) -> None:
    with override_settings(CACHES=_caches(url, SSL_CA_CERTS=str(tls_endpoints.files.ca))):
        [message] = check_valkey_caches()
    assert message.id == "django_valkey.E001"
    assert "SSL_CA_CERTS" in message.msg
    assert "valkeys://" in message.msg


def test_tls_options_are_known_to_the_checks(tls_endpoints: TlsEndpoints) -> None:
    options = {**_mutual_options(tls_endpoints), "SSL_CHECK_HOSTNAME": True, "SSL_CIPHERS": "ECDHE+AESGCM"}
    with override_settings(CACHES=_caches(tls_url(tls_endpoints.mutual), **options)):
        assert check_valkey_caches() == []


# -- TLS-built server: cluster and sentinel (skipped without one) ----------------------------


@pytest.mark.anyio
@pytest.mark.parametrize(
    "backend",
    [
        "django_valkey.cluster_cache.cache.ClusterValkeyCache",
        "django_valkey.async_cache.cluster_cache.AsyncClusterValkeyCache",
    ],
)
async def test_cluster_over_tls(backend: str, tls_cluster: TlsCluster, tls_files: TlsFiles) -> None:
    tls_cluster.flushall()
    with override_settings(CACHES=_caches(tls_cluster.url, backend, SSL_CA_CERTS=str(tls_files.ca))):
        cache = caches["default"]
        await cache.aset_many({f"k{i}": i for i in range(12)})
        assert await cache.aget_many([f"k{i}" for i in range(12)]) == {f"k{i}": i for i in range(12)}
    assert all(int(str(node.execute("DBSIZE"))) > 0 for node in tls_cluster.nodes)


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("backend", "client_class"),
    [
        ("django_valkey.cache.ValkeyCache", "django_valkey.client.SentinelClient"),
        (
            "django_valkey.async_cache.cache.AsyncValkeyCache",
            "django_valkey.async_cache.client.AsyncSentinelClient",
        ),
    ],
)
async def test_sentinel_over_tls(
    backend: str, client_class: str, tls_sentinel: TlsSentinel, tls_files: TlsFiles, cleanup: None
) -> None:
    tls_sentinel.master.flushall()
    options = {
        "CLIENT_CLASS": client_class,
        "SENTINELS": tls_sentinel.sentinel_addresses,
        "SENTINEL_KWARGS": {"ssl": True},
        "SSL_CA_CERTS": str(tls_files.ca),
    }
    with override_settings(CACHES=_caches(f"valkeys://{TLS_SENTINEL_SERVICE}/0", backend, **options)):
        cache = caches["default"]
        await cache.aset("k", "sentinel over tls")
        assert await cache.aget("k") == "sentinel over tls"
        assert check_valkey_caches() == []
    assert tls_sentinel.master.execute("EXISTS", ":1:k") == 1
