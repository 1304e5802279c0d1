"""The Redis cache backend, with one client object per connection pool.

Django's ``RedisCacheClient.get_client()`` builds a new ``redis.Redis`` on every
cache call. With redis-py 8 that constructor fills a table of some 170 response
callbacks, which cost more than the network round trip itself: profiling a
cached honour-board page showed a third of its time there. A ``redis.Redis``
bound to a pool is thread-safe (the pool hands out connections), so one per
pool serves every call of the process.

Measured on this project's machine (2 cores, redis-py 8.1, Django 5.2, Redis on
localhost, a 20 kB value, 3 × 10,000 ``cache.get`` calls; script and numbers in
docs/performance.md): Django's backend 1,268 µs a call, this one 616 µs; a
``redis.Redis(connection_pool=...)`` alone costs 370 µs, as much as the GET's
round trip (391 µs). Every cached public page makes at least one such call, so
the override halves the cost of a page served from Redis.

It rests on private names of ``django.core.cache.backends.redis``
(``RedisCache._class``, ``RedisCacheClient._get_connection_pool``, ``_client``
and the body of ``get_client``): tests/project/test_redis_client.py fails
loudly, naming which, if a Django upgrade changes them. Then re-measure, and
drop this module if Django reuses its clients by then.

``incr_existing`` bumps several counters in one round trip, for the public
cache's version keys (``project.publiccache.expire``): Django's ``incr`` asks
whether the key exists and then adds, two round trips a key, and a sign-up
bumps three keys. It runs a small Lua script, so the test of whether the key
exists and the addition are one step, as in Django's (where they are not).
"""

from __future__ import annotations

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient


class _ReusingClient(RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class RedisCache(DjangoRedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = _ReusingClient

    # Add one to each key that exists; 0 for a missing one (a version is never 0: see project.publiccache).
    _INCR_EXISTING = (
        "local out = {} "
        "for i, key in ipairs(KEYS) do "
        "if redis.call('EXISTS', key) == 1 then out[i] = redis.call('INCR', key) else out[i] = 0 end "
        "end "
        "return out"
    )

    def incr_existing(self, keys: list[str]) -> dict[str, int | None]:
        """Add one to each of ``keys`` that exists, in one round trip: each key's new value, or None where it was
        missing (Django's ``incr`` raises ValueError there; nothing is created)."""
        if not keys:
            return {}
        made = [self.make_and_validate_key(key) for key in keys]
        values = self._cache.get_client(write=True).eval(self._INCR_EXISTING, len(made), *made)
        return {key: (int(value) or None) for key, value in zip(keys, values, strict=True)}
