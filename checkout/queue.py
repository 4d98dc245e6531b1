"""Redis and RQ plumbing. Jobs are enqueued only after the commit that made their rows."""
import redis
from flask import current_app, g, has_app_context
from rq import Queue

_pools = {}


def redis_connection(url=None):
    """A Redis client for REDIS_URL (one connection pool per URL per process)."""
    url = url or current_app.config["REDIS_URL"]
    pool = _pools.get(url)
    if pool is None:
        pool = _pools[url] = redis.ConnectionPool.from_url(url, socket_timeout=5,
                                                           socket_connect_timeout=2)
    return redis.Redis(connection_pool=pool)


def get_queue(name="default"):
    return Queue(name, connection=redis_connection())


def enqueue_after_commit(func, *args, job_id=None, delay=None, **kwargs):
    """Enqueue ``func(*args)`` once the current transaction commits (never before: a fast
    worker must find the rows). Outside a request/app context it enqueues at once."""
    item = (func, args, job_id, delay, kwargs)
    if has_app_context():
        pending = g.setdefault("_after_commit_jobs", [])
        pending.append(item)
    else:  # pragma: no cover - jobs are always enqueued inside an app context
        _enqueue(*item)


def _enqueue(func, args, job_id, delay, kwargs):
    q = get_queue(kwargs.pop("queue", "default"))
    opts = dict(job_id=job_id, **kwargs)
    if delay:
        from datetime import timedelta
        return q.enqueue_in(timedelta(seconds=delay), func, *args, **opts)
    return q.enqueue(func, *args, **opts)


def flush_after_commit_jobs():
    """Called after a successful commit: enqueue what was waiting for it."""
    pending = g.pop("_after_commit_jobs", []) if has_app_context() else []
    for item in pending:
        try:
            _enqueue(*item)
        except redis.RedisError:
            current_app.logger.warning("enqueue failed; the sweeper will pick it up",
                                       extra={"job": item[0].__name__})


def discard_after_commit_jobs():
    if has_app_context():
        g.pop("_after_commit_jobs", None)
