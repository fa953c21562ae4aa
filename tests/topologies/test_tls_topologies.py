"""Cluster and sentinel over TLS, on a TLS-built server binary (skipped without one).

A proxy cannot stand in here: cluster nodes and sentinels announce their own ports, so
the servers speak TLS themselves (tests/tls.py). Each node also keeps a plaintext port
for the rig's own checks; clients only ever learn the TLS ports.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from cachetest import make_cache
from tls import TLS_SENTINEL_SERVICE, TlsCluster, TlsFiles, TlsSentinel

from valkey_cache.core.exceptions import CertificateNotTrusted, ConnectionInterrupted

pytestmark = pytest.mark.anyio

CLUSTER = {
    "sync": "valkey_cache.core.client.ClusterClient",
    "async": "valkey_cache.core.client.AsyncClusterClient",
}
SENTINEL = {
    "sync": "valkey_cache.core.client.SentinelClient",
    "async": "valkey_cache.core.client.AsyncSentinelClient",
}
KEYS = [f"key{i}" for i in range(12)]  # spread over the three masters' slots


@pytest.fixture
def cluster(tls_cluster: TlsCluster) -> TlsCluster:
    tls_cluster.flushall()
    return tls_cluster


@pytest.fixture
def sentinel(tls_sentinel: TlsSentinel) -> TlsSentinel:
    tls_sentinel.master.flushall()
    return tls_sentinel


async def test_cluster_over_tls(kind: str, cluster: TlsCluster, tls_files: TlsFiles) -> None:
    cache = make_cache(kind, cluster.url, client_class=CLUSTER[kind], ssl_ca_certs=str(tls_files.ca))
    try:
        for index, key in enumerate(KEYS):
            assert await cache.set(key, index)
        assert [await cache.get(key) for key in KEYS] == list(range(len(KEYS)))
    finally:
        await cache.close()
    # Every master got some keys: the client followed the slot map to each node's TLS port.
    assert all(int(str(node.execute("DBSIZE"))) > 0 for node in cluster.nodes)


async def test_cluster_pool_kwargs_and_mutual_files(
    kind: str, cluster: TlsCluster, tls_files: TlsFiles
) -> None:
    pool_kwargs: dict[str, Any] = {"ssl_ca_certs": str(tls_files.ca)}
    if kind == "sync":
        pool_kwargs["ssl_certfile"] = str(tls_files.client_cert)
        pool_kwargs["ssl_keyfile"] = str(tls_files.client_key)
    cache = make_cache(
        kind,
        cluster.url,
        client_class=CLUSTER[kind],
        connection_pool_kwargs=pool_kwargs,
        ssl_min_version="TLSv1_2",
    )
    try:
        assert await cache.set("k", "v")
        assert await cache.get("k") == "v"
    finally:
        await cache.close()


@pytest.mark.parametrize("ignore", [False, True])
async def test_cluster_untrusted_certificate_raises(
    kind: str, ignore: bool, cluster: TlsCluster, tls_files: TlsFiles
) -> None:
    cache = make_cache(
        kind,
        cluster.url,
        client_class=CLUSTER[kind],
        ssl_ca_certs=str(tls_files.other_ca),
        ignore_exceptions=ignore,
        retries=0,
    )
    with pytest.raises(CertificateNotTrusted, match=f"127.0.0.1:{cluster.tls_ports[0]}"):
        await cache.get("k")


async def test_sentinel_over_tls(kind: str, sentinel: TlsSentinel, tls_files: TlsFiles) -> None:
    cache = make_cache(
        kind,
        f"valkeys://{TLS_SENTINEL_SERVICE}/0",
        client_class=SENTINEL[kind],
        sentinels=sentinel.sentinel_addresses,
        sentinel_kwargs={"ssl": True},
        ssl_ca_certs=str(tls_files.ca),
    )
    try:
        assert await cache.set("k", "over tls")
        assert await cache.get("k") == "over tls"
    finally:
        await cache.close()
    assert sentinel.master.execute("EXISTS", ":1:k") == 1


async def test_sentinel_kwargs_own_tls_settings(
    kind: str, sentinel: TlsSentinel, tls_files: TlsFiles
) -> None:
    """SENTINEL_KWARGS' own ssl_* settings win for the sentinels (here: no verification)."""
    cache = make_cache(
        kind,
        f"valkeys://{TLS_SENTINEL_SERVICE}/0",
        client_class=SENTINEL[kind],
        sentinels=sentinel.sentinel_addresses,
        sentinel_kwargs={"ssl": True, "ssl_cert_reqs": "none"},
        ssl_ca_certs=str(tls_files.ca),
    )
    try:
        assert await cache.set("k", 1)
    finally:
        await cache.close()


@pytest.mark.parametrize("ignore", [False, True])
async def test_sentinel_data_node_untrusted_raises(
    kind: str, ignore: bool, sentinel: TlsSentinel, tls_files: TlsFiles
) -> None:
    """The sentinels are trusted, the master they name is not (another CA for the data)."""
    cache = make_cache(
        kind,
        f"valkeys://{TLS_SENTINEL_SERVICE}/0",
        client_class=SENTINEL[kind],
        sentinels=sentinel.sentinel_addresses,
        sentinel_kwargs={"ssl": True, "ssl_ca_certs": str(tls_files.ca)},
        ssl_ca_certs=str(tls_files.other_ca),
        ignore_exceptions=ignore,
        retries=0,
    )
    with pytest.raises(CertificateNotTrusted, match="not trusted"):
        await cache.set("k", 1)


async def test_plaintext_url_at_a_tls_port_fails(kind: str, sentinel: TlsSentinel) -> None:
    cache = make_cache(
        kind,
        f"valkey://127.0.0.1:{sentinel.master_tls_port}/0",
        socket_connect_timeout=0.5,
        socket_timeout=0.5,
        retries=0,
    )
    with pytest.raises(ConnectionInterrupted, match=f"127.0.0.1:{sentinel.master_tls_port}"):
        await cache.get("k")


async def test_near_cache_on_a_tls_cluster(kind: str, cluster: TlsCluster, tls_files: TlsFiles) -> None:
    """The listeners and CLUSTER SLOTS connections take the cluster's TLS options."""
    options: dict[str, Any] = {"client_class": CLUSTER[kind], "ssl_ca_certs": str(tls_files.ca)}
    near = make_cache(kind, cluster.url, near_cache=True, **options)
    writer = make_cache(kind, cluster.url, **options)
    try:
        assert near.inner.near_cache.wait_ready(10)
        assert len(near.inner.near_cache.listeners) == len(cluster.nodes)
        assert await writer.set_many(dict.fromkeys(KEYS, 1)) == []
        held = near.inner.near_cache.store._entries
        deadline = time.monotonic() + 10
        while not (
            await near.get_many(KEYS) == dict.fromkeys(KEYS, 1)
            and all(near.inner.make_key(k) in held for k in KEYS)
        ):
            assert time.monotonic() < deadline, "every key cached"
        assert await writer.set(KEYS[0], 2)
        while await near.get(KEYS[0]) != 2:
            assert time.monotonic() < deadline, "the other writer's invalidation"
    finally:
        near.inner.near_cache.close()
        await near.close()
        await writer.close()
