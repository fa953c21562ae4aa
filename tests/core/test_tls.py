"""TLS against a real endpoint: a TLS-terminating proxy (tests/tls.py) in front of the
shared server, with certificates made for this session by ``trustme``.

Each case runs with ``Cache`` and ``AsyncCache`` (the ``kind`` fixture).
"""

from __future__ import annotations

import ssl
from pathlib import Path
from typing import Any

import pytest
import valkey
from cachetest import make_cache
from tls import TlsEndpoints, server_context, tls_proxy, tls_url

from valkey_cache.core import Cache
from valkey_cache.core.embedded import EmbeddedServer
from valkey_cache.core.exceptions import CertificateNotTrusted, ConfigurationError, ConnectionInterrupted

pytestmark = pytest.mark.anyio


async def _round_trip(kind: str, url: str, raw: valkey.Valkey, **options: Any) -> None:
    cache = make_cache(kind, url, **options)
    try:
        assert await cache.set("tls-key", {"over": "tls"})
        assert await cache.get("tls-key") == {"over": "tls"}
    finally:
        await cache.close()
    assert raw.exists(":1:tls-key") == 1  # stored in the server behind the proxy


async def test_verified_connection(kind: str, tls_endpoints: TlsEndpoints, raw_valkey: valkey.Valkey) -> None:
    proxy = tls_endpoints.trusted
    before = proxy.accepted
    await _round_trip(kind, tls_url(proxy), raw_valkey, ssl_ca_certs=str(tls_endpoints.files.ca))
    assert proxy.accepted > before


async def test_localhost_name_verified(
    kind: str, tls_endpoints: TlsEndpoints, raw_valkey: valkey.Valkey
) -> None:
    url = tls_url(tls_endpoints.trusted, host="localhost")
    await _round_trip(kind, url, raw_valkey, SSL_CA_CERTS=tls_endpoints.files.ca)


@pytest.mark.parametrize("ignore", [False, True])
async def test_untrusted_certificate_raises(
    kind: str, ignore: bool, tls_endpoints: TlsEndpoints, raw_valkey: valkey.Valkey
) -> None:
    proxy = tls_endpoints.untrusted
    cache = make_cache(
        kind, tls_url(proxy), ssl_ca_certs=str(tls_endpoints.files.ca), ignore_exceptions=ignore
    )
    for name, args in (("get", ("k",)), ("set", ("k", 1))):
        with pytest.raises(CertificateNotTrusted) as info:
            await getattr(cache, name)(*args)
        message = str(info.value)
        assert f"127.0.0.1:{proxy.port}" in message
        assert "not trusted" in message
    assert raw_valkey.exists(":1:k") == 0


@pytest.mark.parametrize("ignore", [False, True])
async def test_wrong_hostname_raises(
    kind: str, ignore: bool, tls_endpoints: TlsEndpoints, raw_valkey: valkey.Valkey
) -> None:
    proxy = tls_endpoints.wrong_host
    cache = make_cache(
        kind, tls_url(proxy), ssl_ca_certs=str(tls_endpoints.files.ca), ignore_exceptions=ignore
    )
    with pytest.raises(CertificateNotTrusted, match="not trusted") as info:
        await cache.get("k")
    assert f"127.0.0.1:{proxy.port}" in str(info.value)


async def test_wrong_hostname_allowed_without_check(
    kind: str, tls_endpoints: TlsEndpoints, raw_valkey: valkey.Valkey
) -> None:
    await _round_trip(
        kind,
        tls_url(tls_endpoints.wrong_host),
        raw_valkey,
        ssl_ca_certs=str(tls_endpoints.files.ca),
        ssl_check_hostname=False,
    )


async def test_cert_reqs_none_accepts_any_certificate(
    kind: str, tls_endpoints: TlsEndpoints, raw_valkey: valkey.Valkey
) -> None:
    await _round_trip(kind, tls_url(tls_endpoints.untrusted), raw_valkey, ssl_cert_reqs="none")


async def test_mutual_tls(kind: str, tls_endpoints: TlsEndpoints, raw_valkey: valkey.Valkey) -> None:
    files = tls_endpoints.files
    await _round_trip(
        kind,
        tls_url(tls_endpoints.mutual),
        raw_valkey,
        ssl_ca_certs=str(files.ca),
        ssl_certfile=str(files.client_cert),
        ssl_keyfile=str(files.client_key),
    )


async def test_mutual_tls_with_one_file(
    kind: str, tls_endpoints: TlsEndpoints, raw_valkey: valkey.Valkey, tmp_path: Path
) -> None:
    files = tls_endpoints.files
    combined = tmp_path / "client.pem"
    combined.write_bytes(files.client_key.read_bytes() + files.client_cert.read_bytes())
    await _round_trip(
        kind, tls_url(tls_endpoints.mutual), raw_valkey, ssl_ca_certs=str(files.ca), ssl_certfile=combined
    )


async def test_mutual_tls_without_client_certificate_fails(
    kind: str, tls_endpoints: TlsEndpoints, raw_valkey: valkey.Valkey
) -> None:
    cache = make_cache(kind, tls_url(tls_endpoints.mutual), ssl_ca_certs=str(tls_endpoints.files.ca))
    with pytest.raises(ConnectionInterrupted):
        await cache.set("k", 1)
    assert raw_valkey.exists(":1:k") == 0


async def test_connection_pool_kwargs(
    kind: str, tls_endpoints: TlsEndpoints, raw_valkey: valkey.Valkey
) -> None:
    files = tls_endpoints.files
    pool_kwargs = {
        "ssl_ca_certs": str(files.ca),
        "ssl_cert_reqs": "required",
        "ssl_certfile": str(files.client_cert),
        "ssl_keyfile": str(files.client_key),
    }
    await _round_trip(kind, tls_url(tls_endpoints.mutual), raw_valkey, connection_pool_kwargs=pool_kwargs)


async def test_connection_pool_kwargs_cert_reqs_none(
    kind: str, tls_endpoints: TlsEndpoints, raw_valkey: valkey.Valkey
) -> None:
    """``ssl_cert_reqs=None`` is valkey-py's (and redis-py's) spelling of "do not verify"."""
    pool_kwargs = {"ssl_cert_reqs": None}
    await _round_trip(kind, tls_url(tls_endpoints.untrusted), raw_valkey, connection_pool_kwargs=pool_kwargs)


async def test_url_query_parameters(
    kind: str, tls_endpoints: TlsEndpoints, raw_valkey: valkey.Valkey
) -> None:
    files = tls_endpoints.files
    query = (
        f"ssl_cert_reqs=required&ssl_ca_certs={files.ca}&ssl_certfile={files.client_cert}"
        f"&ssl_keyfile={files.client_key}&ssl_min_version=TLSv1_2"
    )
    await _round_trip(kind, tls_url(tls_endpoints.mutual, query=query), raw_valkey)


async def test_url_query_check_hostname_off(
    kind: str, tls_endpoints: TlsEndpoints, raw_valkey: valkey.Valkey
) -> None:
    query = f"ssl_ca_certs={tls_endpoints.files.ca}&ssl_check_hostname=false"
    await _round_trip(kind, tls_url(tls_endpoints.wrong_host, query=query), raw_valkey)


async def test_url_query_changes_the_pool(
    kind: str, tls_endpoints: TlsEndpoints, raw_valkey: valkey.Valkey
) -> None:
    """Two locations that differ only in their TLS query do not share a pool."""
    proxy = tls_endpoints.wrong_host
    ca = tls_endpoints.files.ca
    await _round_trip(kind, tls_url(proxy, query=f"ssl_ca_certs={ca}&ssl_check_hostname=no"), raw_valkey)
    cache = make_cache(kind, tls_url(proxy, query=f"ssl_ca_certs={ca}"))
    with pytest.raises(CertificateNotTrusted, match="not trusted"):
        await cache.get("k")


async def test_min_version_and_ciphers(
    kind: str, tls_endpoints: TlsEndpoints, raw_valkey: valkey.Valkey
) -> None:
    await _round_trip(
        kind,
        tls_url(tls_endpoints.trusted),
        raw_valkey,
        ssl_ca_certs=str(tls_endpoints.files.ca),
        ssl_min_version="TLSv1_3",
        ssl_ciphers="ECDHE+AESGCM",
    )
    await _round_trip(
        kind,
        tls_url(tls_endpoints.trusted),
        raw_valkey,
        ssl_ca_certs=str(tls_endpoints.files.ca),
        ssl_min_version=ssl.TLSVersion.TLSv1_2,
    )


async def test_min_version_is_enforced(
    kind: str, tls_endpoints: TlsEndpoints, valkey_server: EmbeddedServer, raw_valkey: valkey.Valkey
) -> None:
    """A server that stops at TLS 1.2 is refused with SSL_MIN_VERSION="TLSv1_3"."""
    context = server_context(tls_endpoints.files.server)
    context.maximum_version = ssl.TLSVersion.TLSv1_2
    with tls_proxy(valkey_server.address, context) as proxy:
        ca = str(tls_endpoints.files.ca)
        await _round_trip(kind, tls_url(proxy), raw_valkey, ssl_ca_certs=ca)
        cache = make_cache(kind, tls_url(proxy), ssl_ca_certs=ca, ssl_min_version="TLSv1_3", retries=0)
        with pytest.raises(ConnectionInterrupted):
            await cache.set("k", 1)


async def test_plaintext_url_at_tls_port_fails(kind: str, tls_endpoints: TlsEndpoints) -> None:
    url = tls_endpoints.trusted.url("valkey")
    cache = make_cache(kind, url, socket_connect_timeout=0.5, socket_timeout=0.5, retries=0)
    with pytest.raises(ConnectionInterrupted, match=f"127.0.0.1:{tls_endpoints.trusted.port}"):
        await cache.get("k")


# -- configuration errors, raised when the cache is built ---------------------------------


def test_tls_options_are_known(tls_files: Any) -> None:
    Cache("valkeys://127.0.0.1:1/0", SSL_CA_CERTS=tls_files.ca, SSL_CHECK_HOSTNAME=True)


@pytest.mark.parametrize(
    ("options", "option", "accepted"),
    [
        ({"ssl_ca_certs": "/no/such/ca.pem"}, "SSL_CA_CERTS", "existing PEM file"),
        ({"ssl_certfile": "/no/such/cert.pem"}, "SSL_CERTFILE", "existing PEM file"),
        ({"ssl_cert_reqs": "always"}, "SSL_CERT_REQS", "'required', 'optional', 'none'"),
        ({"ssl_min_version": "TLSv9"}, "SSL_MIN_VERSION", "'TLSv1_2', 'TLSv1_3'"),
        ({"ssl_min_version": 12}, "SSL_MIN_VERSION", "ssl.TLSVersion"),
        ({"ssl_ciphers": "NO-SUCH-CIPHER"}, "SSL_CIPHERS", "cipher list"),
        ({"ssl_check_hostname": "maybe"}, "SSL_CHECK_HOSTNAME", "True or False"),
        ({"ssl_cert_reqs": "none", "ssl_check_hostname": True}, "SSL_CHECK_HOSTNAME", "'none'"),
        (
            {"connection_pool_kwargs": {"ssl_cert_reqs": "sometimes"}},
            "CONNECTION_POOL_KWARGS['ssl_cert_reqs']",
            "'required'",
        ),
    ],
)
def test_bad_values(options: dict[str, Any], option: str, accepted: str) -> None:
    with pytest.raises(ConfigurationError) as info:
        Cache("valkeys://127.0.0.1:1/0", **options)
    assert info.value.option == option
    assert accepted in str(info.value)


def test_key_without_certificate(tls_files: Any) -> None:
    with pytest.raises(ConfigurationError, match=r"SSL_KEYFILE=.*SSL_CERTFILE as well"):
        Cache("valkeys://127.0.0.1:1/0", ssl_keyfile=tls_files.client_key)


def test_certificate_without_its_key(tls_files: Any) -> None:
    """A certificate file without the key (and no SSL_KEYFILE) is refused up front."""
    with pytest.raises(ConfigurationError, match=r"SSL_CERTFILE=.*private key"):
        Cache("valkeys://127.0.0.1:1/0", ssl_certfile=tls_files.client_cert)


def test_ca_file_that_is_not_pem(tmp_path: Path) -> None:
    bogus = tmp_path / "ca.pem"
    bogus.write_text("not a certificate")
    with pytest.raises(ConfigurationError, match=r"SSL_CA_CERTS=.*CA certificates"):
        Cache("valkeys://127.0.0.1:1/0", ssl_ca_certs=bogus)


def test_bad_url_query_value() -> None:
    with pytest.raises(ConfigurationError) as info:
        Cache("valkeys://127.0.0.1:1/0?ssl_cert_reqs=always")
    assert info.value.option == "ssl_cert_reqs in the LOCATION query"


@pytest.mark.parametrize("scheme", ["valkey", "redis"])
def test_tls_options_need_a_tls_url(scheme: str, tls_files: Any) -> None:
    with pytest.raises(ConfigurationError, match=r"valkeys:// \(or rediss://\)") as info:
        Cache(f"{scheme}://user:secret@127.0.0.1:1/0", ssl_ca_certs=tls_files.ca)
    assert info.value.option == "SSL_CA_CERTS"
    assert "secret" not in str(info.value)


def test_unset_tls_options_with_a_plaintext_url(valkey_url: str) -> None:
    """None (a setting left empty) is no TLS setting."""
    cache = Cache(valkey_url, ssl_ca_certs=None, ssl_certfile=None)
    assert cache.set("k", 1)


def test_tls_query_needs_a_tls_url(tls_files: Any) -> None:
    with pytest.raises(ConfigurationError, match="valkeys://"):
        Cache(f"valkey://127.0.0.1:1/0?ssl_ca_certs={tls_files.ca}")


def test_tls_options_checked_for_every_location(tls_files: Any) -> None:
    with pytest.raises(ConfigurationError, match=r"valkey://127\.0\.0\.1:2/0 does not use TLS"):
        Cache(["valkeys://127.0.0.1:1/0", "valkey://127.0.0.1:2/0"], ssl_ca_certs=tls_files.ca)


def test_rediss_scheme_is_tls(tls_files: Any) -> None:
    Cache("rediss://127.0.0.1:1/0", ssl_ca_certs=tls_files.ca)
