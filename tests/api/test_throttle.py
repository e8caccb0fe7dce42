"""The API's per-client throttle: one budget however many threads or web nodes answer at once,
counted atomically in the shared cache (locmem here, Redis in production and in CI)."""

from __future__ import annotations

import os
import threading
from types import SimpleNamespace
from typing import Any

import pytest
from django.core.cache import caches

from api.permissions import PerClientThrottle

REDIS_URL = os.environ.get("DAM_REDIS_URL", "redis://127.0.0.1:6379/0")


def client(ident: str) -> Any:
    return SimpleNamespace(user=SimpleNamespace(is_authenticated=True, pk=ident))


def throttle(rate: str, cache: Any, now: float | None = None) -> PerClientThrottle:
    instance = PerClientThrottle.__new__(PerClientThrottle)
    instance.cache = cache
    instance.rate = rate
    instance.num_requests, instance.duration = instance.parse_rate(rate)
    if now is not None:
        instance.timer = lambda: now  # type: ignore[method-assign]
    return instance


@pytest.fixture(params=["locmem", "redis"])
def shared_cache(request, settings) -> Any:
    if request.param == "locmem":
        settings.CACHES = {**settings.CACHES, "throttle": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "throttle-test"}}  # fmt: skip
    else:
        import redis

        try:
            redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
        except redis.RedisError:
            if os.environ.get("DAM_REQUIRE_SERVICES"):
                pytest.fail(f"Redis is required in CI and is not reachable at {REDIS_URL}")
            pytest.skip(f"Redis is not reachable at {REDIS_URL}")
        settings.CACHES = {**settings.CACHES, "throttle": {
            "BACKEND": "django_redis.cache.RedisCache", "LOCATION": REDIS_URL,
            "KEY_PREFIX": f"throttle-test-{os.getpid()}"}}  # fmt: skip
    cache = caches["throttle"]
    cache.clear() if request.param == "locmem" else None
    yield cache
    cache.delete_many([f"throttle_client_{name}:{w}" for name in ("racer", "slow") for w in range(-2, 2)])


def test_concurrent_requests_never_exceed_the_budget(shared_cache) -> None:
    # given a budget of 10 a minute and 40 requests from one client arriving at the same moment
    # (threads stand in for web nodes: they share nothing but the cache)
    allowed: list[bool] = []
    start = threading.Barrier(40)

    def one_request() -> None:
        gate = throttle("10/min", shared_cache)
        start.wait()
        allowed.append(gate.allow_request(client("racer"), None))

    threads = [threading.Thread(target=one_request) for _ in range(40)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # then exactly ten got through, and the thirty refused were told when to come back
    assert allowed.count(True) == 10
    refused = throttle("10/min", shared_cache)
    assert refused.allow_request(client("racer"), None) is False
    assert 0 < (refused.wait() or 0) <= 60


def test_the_previous_minute_still_counts_in_part(shared_cache) -> None:
    # given a client that spent its 10 a minute in the second half of minute 0
    for _ in range(10):
        assert throttle("10/min", shared_cache, now=45.0).allow_request(client("slow"), None)
    assert not throttle("10/min", shared_cache, now=50.0).allow_request(client("slow"), None)
    # when minute 1 has just begun, those 10 still weigh fully: nothing more yet
    at_start = throttle("10/min", shared_cache, now=60.5)
    assert not at_start.allow_request(client("slow"), None)
    # it says when one will fit again: once a tenth of minute 1 has passed, 10 × 0.9 + 1 <= 10
    assert (at_start.wait() or 0) == pytest.approx(5.5)
    # when half of minute 1 has passed, half of minute 0 still counts: five more fit, not ten
    granted = [
        throttle("10/min", shared_cache, now=90.0).allow_request(client("slow"), None) for _ in range(8)
    ]
    assert granted.count(True) == 5


def test_an_unreachable_cache_lets_requests_through() -> None:
    # django-redis configured to ignore errors answers None for a dead server: throttling pauses
    class DeadCache:
        def add(self, *args: Any, **kwargs: Any) -> None:
            return None

        def incr(self, *args: Any, **kwargs: Any) -> None:
            return None

    assert throttle("1/min", DeadCache()).allow_request(client("any"), None) is True
