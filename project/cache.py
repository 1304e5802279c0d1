"""The Redis cache backend, with one client object per connection pool.

Django's ``RedisCacheClient.get_client()`` builds a new ``redis.Redis`` on every
cache call. With redis-py 8 that constructor fills a table of some 170 response
callbacks, which cost more than the network round trip itself: profiling a
cached honour-board page showed a third of its time there. A ``redis.Redis``
bound to a pool is thread-safe (the pool hands out connections), so one per
pool serves every call of the process.
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
