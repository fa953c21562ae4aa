"""Values and compressor lists shared by the compressor tests."""

from __future__ import annotations

import pickle
from typing import Any

#: Every compressor of the package, with django-valkey 0.4's default options.
COMPRESSORS = {
    "zlib": "valkey_cache.compressors.zlib.ZlibCompressor",
    "gzip": "valkey_cache.compressors.gzip.GzipCompressor",
    "bz2": "valkey_cache.compressors.bz2.Bz2Compressor",
    "lzma": "valkey_cache.compressors.lzma.LzmaCompressor",
    "lz4": "valkey_cache.compressors.lz4.Lz4Compressor",
    "zstd": "valkey_cache.compressors.zstd.ZStdCompressor",
    "brotli": "valkey_cache.compressors.brotli.BrotliCompressor",
}
#: Format name (detect.FORMATS) that each compressor writes by default.
FORMAT_OF = {
    "zlib": "zlib",
    "gzip": "gzip",
    "bz2": "bz2",
    "lzma": "xz",
    "lz4": "lz4",
    "zstd": "zstd",
    "brotli": None,  # no header: identify() never names it
}
CORE_IDENTITY = "valkey_cache.core.compressor.IdentityCompressor"
OUR_IDENTITY = "valkey_cache.compressors.identity.IdentityCompressor"


def big_value() -> dict[str, Any]:
    """A compressible value, well over COMPRESS_MIN_LENGTH once pickled."""
    return {
        "html": "<div class='row'><span>cell</span></div>\n" * 200,
        "ids": list(range(300)),
        "title": "Ünïcode tïtle",
    }


def sample_payloads() -> list[bytes]:
    """Serialized (uncompressed) values of many shapes, as a cache stores them raw."""
    import json
    import random

    import msgpack

    rnd = random.Random(7)

    def value(depth: int = 0) -> Any:
        kind = rnd.randrange(8)
        if depth > 3 or kind < 3:
            return rnd.choice(
                [
                    rnd.randrange(-(10**9), 10**9),
                    rnd.random(),
                    "".join(chr(rnd.randrange(32, 400)) for _ in range(rnd.randrange(40))),
                    None,
                    True,
                ]
            )
        if kind < 5:
            return [value(depth + 1) for _ in range(rnd.randrange(6))]
        return {str(rnd.randrange(1000)): value(depth + 1) for _ in range(rnd.randrange(6))}

    out: list[bytes] = []
    for _ in range(1500):
        v = value()
        out.append(pickle.dumps(v))
        out.append(json.dumps(v).encode())
        out.append(msgpack.packb(v))
    return out
