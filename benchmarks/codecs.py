"""Size and speed of every serializer x compressor on realistic cache payloads.

Runs :func:`valkey_cache.compressors.advisor.advise` (the same code as
``valkey-cache advise``) on four payloads and prints one markdown table per payload:

* ``html``: a rendered HTML page of about 30 KB (a product listing);
* ``api``: a decoded JSON API response (nested dicts, lists, strings, numbers);
* ``queryset``: 200 dicts like the rows of a Django queryset ``.values()``, with
  datetimes and Decimals;
* ``small``: a small int and a short string (what counters and flags look like).

No server is needed: sizes and times are those of encode/decode, which is what the
cache adds to a round trip. Run from the repository root::

    uv run python benchmarks/codecs.py                 # all payloads
    uv run python benchmarks/codecs.py --budget 0.2 --payload html --sort size
"""

from __future__ import annotations

import argparse
import datetime
import platform
import random
import sys
from decimal import Decimal
from typing import Any

from valkey_cache.compressors.advisor import advise, format_table

WORDS = [
    "lorem",
    "ipsum",
    "dolor",
    "sit",
    "amet",
    "consectetur",
    "adipiscing",
    "elit",
    "sed",
    "do",
    "eiusmod",
    "tempor",
    "incididunt",
    "ut",
    "labore",
    "et",
    "dolore",
    "magna",
    "aliqua",
    "enim",
    "ad",
    "minim",
    "veniam",
    "quis",
    "nostrud",
    "exercitation",
    "ullamco",
    "laboris",
    "nisi",
    "aliquip",
    "ex",
    "ea",
    "commodo",
    "consequat",
]


def _text(rnd: random.Random, words: int) -> str:
    return " ".join(rnd.choice(WORDS) for _ in range(words))


def html_page(rnd: random.Random, target: int = 30_000) -> str:
    """A product listing page as a template engine would render it."""
    head = (
        "<!DOCTYPE html>\n<html lang='en'>\n<head>\n<meta charset='utf-8'>\n"
        "<title>Catalogue - page 3</title>\n"
        "<link rel='stylesheet' href='/static/css/site.3f2a9c.css'>\n"
        "<script defer src='/static/js/app.91bc2e.js'></script>\n</head>\n<body>\n"
        "<header class='site-header'><nav><ul>"
        + "".join(f"<li><a href='/c/{w}/'>{w.title()}</a></li>" for w in WORDS[:8])
        + "</ul></nav></header>\n<main class='container'>\n<div class='grid'>\n"
    )
    parts = [head]
    size = len(head)
    item = 0
    while size < target:
        item += 1
        card = (
            f"  <article class='card' data-id='{1000 + item}'>\n"
            f"    <a href='/p/{1000 + item}/{rnd.choice(WORDS)}-{rnd.choice(WORDS)}/'>\n"
            f"      <img src='/media/p/{rnd.getrandbits(40):010x}.jpg' alt='{_text(rnd, 3)}'"
            " loading='lazy' width='320' height='240'>\n"
            f"      <h2 class='card-title'>{_text(rnd, 4).title()}</h2>\n    </a>\n"
            f"    <p class='card-text'>{_text(rnd, rnd.randint(12, 30))}</p>\n"
            f"    <span class='price'>&euro;{rnd.randint(5, 500)}.{rnd.randint(0, 99):02d}</span>\n"
            f"    <button class='btn btn-primary' data-action='add' data-sku='SKU-{item:05d}'>"
            "Add to cart</button>\n  </article>\n"
        )
        parts.append(card)
        size += len(card)
    parts.append("</div>\n</main>\n<footer>&copy; 2025 Example Shop</footer>\n</body>\n</html>\n")
    return "".join(parts)


def api_response(rnd: random.Random) -> dict[str, Any]:
    """What ``requests.get(...).json()`` returns for a paginated REST endpoint."""
    return {
        "count": 1287,
        "next": "https://api.example.com/v2/orders/?page=4",
        "previous": "https://api.example.com/v2/orders/?page=2",
        "results": [
            {
                "id": 50_000 + i,
                "status": rnd.choice(["paid", "shipped", "pending", "refunded"]),
                "created_at": f"2025-0{rnd.randint(1, 9)}-1{rnd.randint(0, 9)}T10:2{i % 10}:00Z",
                "customer": {
                    "id": rnd.randint(1, 9999),
                    "name": _text(rnd, 2).title(),
                    "email": f"{rnd.choice(WORDS)}{i}@example.com",
                },
                "lines": [
                    {
                        "sku": f"SKU-{rnd.randint(1, 99999):05d}",
                        "quantity": rnd.randint(1, 4),
                        "unit_price": round(rnd.uniform(1, 300), 2),
                    }
                    for _ in range(rnd.randint(1, 4))
                ],
                "total": round(rnd.uniform(5, 900), 2),
                "gift": rnd.random() < 0.1,
                "note": None,
            }
            for i in range(25)
        ],
    }


def queryset_rows(rnd: random.Random) -> list[dict[str, Any]]:
    """``list(User.objects.values(...))`` for 200 rows."""
    start = datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc)
    return [
        {
            "id": i,
            "username": f"{rnd.choice(WORDS)}_{i}",
            "email": f"{rnd.choice(WORDS)}.{i}@example.org",
            "first_name": rnd.choice(WORDS).title(),
            "last_name": rnd.choice(WORDS).title(),
            "is_active": rnd.random() < 0.9,
            "date_joined": start + datetime.timedelta(minutes=rnd.randint(0, 600_000)),
            "balance": Decimal(f"{rnd.randint(0, 10_000)}.{rnd.randint(0, 99):02d}"),
        }
        for i in range(1, 201)
    ]


def payloads() -> dict[str, list[Any]]:
    rnd = random.Random(2025)
    return {
        "html": [html_page(rnd)],
        "api": [api_response(rnd)],
        "queryset": [queryset_rows(rnd)],
        "small": [42, "ok"],
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget", type=float, default=0.1, help="seconds per pair and direction")
    parser.add_argument("--payload", choices=["html", "api", "queryset", "small"], action="append")
    parser.add_argument("--sort", default=None, help="Row field to sort by, e.g. size")
    args = parser.parse_args(argv)
    print(
        f"Python {platform.python_version()} on {platform.machine()} "
        f"({platform.system()}); microseconds per value, lower is better.\n"
    )
    for name, values in payloads().items():
        if args.payload and name not in args.payload:
            continue
        rows = advise(
            values,
            budget=args.budget,
            progress=lambda done, total: print(f"\r{done}/{total}", end="", file=sys.stderr),
        )
        print("\r", end="", file=sys.stderr)
        print(f"### {name}\n")
        print(format_table(rows, sort_by=args.sort))


if __name__ == "__main__":
    main()
