"""The install's Redis as a shared store: one connection pool per URL per process, and the
small cross-process helpers built on it. Queues (``jobs.queue``), rate limits, caches and
the operator health all reach Redis through here."""
import redis
from flask import current_app

_pools = {}


def redis_connection(url=None):
    """A Redis client for REDIS_URL (one connection pool per URL per process)."""
    url = url or current_app.config["REDIS_URL"]
    pool = _pools.get(url)
    if pool is None:
        pool = _pools[url] = redis.ConnectionPool.from_url(url, socket_timeout=5,
                                                           socket_connect_timeout=2)
    return redis.Redis(connection_pool=pool)


def at_most_every(name, seconds):
    """True at most once per ``seconds`` across every process sharing this Redis (a key
    set if absent, expiring): for periodic work the sweeper calls more often than needed."""
    return bool(redis_connection().set(f"every:{name}", "1", nx=True, ex=int(seconds)))
