"""Views for the request-cycle tests: sync and async, each using the caches."""

from __future__ import annotations

from django.core.cache import caches
from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.views.decorators.cache import cache_page

CALLS = {"cached": 0}


def sync_view(request: HttpRequest) -> HttpResponse:
    cache = caches["default"]
    cache.set("sync-view", "sync")
    return HttpResponse(cache.get("sync-view"))


async def async_view(request: HttpRequest) -> HttpResponse:
    cache = caches["default"]
    await cache.aset("async-view", "async")
    value = await cache.aget("async-view")
    other = caches["async"]
    await other.set("async-cache-view", value)
    return HttpResponse(await other.get("async-cache-view"))


@cache_page(60)
def cached_view(request: HttpRequest) -> HttpResponse:
    CALLS["cached"] += 1
    return HttpResponse(f"call {CALLS['cached']}")


urlpatterns = [
    path("sync/", sync_view),
    path("async/", async_view),
    path("cached/", cached_view),
]
