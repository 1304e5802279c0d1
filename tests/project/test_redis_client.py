"""project.cache overrides private parts of Django's Redis cache: fail loudly if a Django upgrade moves them.

The override (one ``redis.Redis`` per connection pool instead of one per cache
call) rests on four private names of ``django.core.cache.backends.redis``:
``RedisCache._class``, ``RedisCacheClient._get_connection_pool(write)``,
``RedisCacheClient._client`` and the body of ``get_client``. If any changes,
these tests say which, and the override must be re-measured or dropped
(docs/performance.md has the measurement).
"""

from __future__ import annotations

import inspect

import pytest
import redis
from django.core.cache.backends import redis as django_redis

from project.cache import RedisCache, _ReusingClient

LOCATION = "redis://127.0.0.1:6379/15"  # never connected to: building clients and pools does not connect


def test_django_still_builds_a_new_client_per_call_from_the_private_names_we_override():
    source = inspect.getsource(django_redis.RedisCacheClient.get_client)
    assert "pool = self._get_connection_pool(write)" in source
    assert "return self._client(connection_pool=pool)" in source
    assert list(inspect.signature(django_redis.RedisCacheClient.get_client).parameters) == ["self", "key", "write"]
    assert list(inspect.signature(django_redis.RedisCacheClient._get_connection_pool).parameters) == [
        "self",
        "write",
    ]


def test_djangos_client_class_and_redis_class_are_where_the_override_expects_them():
    client = django_redis.RedisCacheClient([LOCATION])
    assert client._client is redis.Redis
    assert isinstance(client._get_connection_pool(False), redis.ConnectionPool)
    assert django_redis.RedisCache(LOCATION, {})._class is django_redis.RedisCacheClient
    assert "self._class(self._servers" in inspect.getsource(django_redis.RedisCache._cache.func)


def test_the_cache_reuses_one_client_per_pool():
    cache = RedisCache(LOCATION, {})
    assert isinstance(cache._cache, _ReusingClient)
    first = cache._cache.get_client("a")
    assert cache._cache.get_client("b") is first
    assert cache._cache.get_client("c", write=True) is first  # one server: reads and writes share the pool
    assert first.connection_pool is cache._cache._get_connection_pool(False)


def test_each_server_gets_its_own_reused_client():
    cache = RedisCache([LOCATION, "redis://127.0.0.1:6379/14"], {})
    writer = cache._cache.get_client(write=True)
    assert cache._cache.get_client(write=True) is writer
    assert writer.connection_pool is cache._cache._get_connection_pool(True)


def test_the_site_cache_answers_through_the_reused_client():
    from django.core.cache import cache

    if not isinstance(cache._cache, _ReusingClient):
        pytest.skip("the suite runs without Redis (REDIS_URL unset)")
    cache.set("reused", 1)
    client = cache._cache.get_client()
    assert cache.get("reused") == 1 and cache._cache.get_client() is client


def test_version_bumps_go_in_one_round_trip_and_never_create_a_missing_key():
    """publiccache.expire bumps a sign-up's three version keys with one script; a missing key stays missing (the
    caller starts it afresh), as Django's incr raises for it."""
    from django.core.cache import cache

    if not isinstance(cache._cache, _ReusingClient):
        pytest.skip("the suite runs without Redis (REDIS_URL unset)")
    cache.delete_many(["bump-a", "bump-b", "bump-gone"])
    cache.set("bump-a", 41, None)
    cache.set("bump-b", 7, None)
    client = cache._cache.get_client(write=True)
    calls = []
    real = client.execute_command
    client.execute_command = lambda *args, **options: calls.append(args[0]) or real(*args, **options)
    try:
        assert cache.incr_existing(["bump-a", "bump-gone", "bump-b"]) == {"bump-a": 42, "bump-gone": None, "bump-b": 8}
    finally:
        del client.execute_command
    assert calls == ["EVAL"]
    assert cache.get("bump-a") == 42 and cache.get("bump-b") == 8 and "bump-gone" not in cache
