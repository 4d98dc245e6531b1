"""The API guard: every /api/v1 request except the public OpenAPI document is
authenticated (``g.caller``) and counted against its API key's per-minute limit; request
bodies are limited to ``MAX_BODY`` bytes (413).

Fixed one-minute windows in Redis, one round trip per request (INCR and EXPIRE in one
pipeline). Over ``RATE_LIMIT_PER_MINUTE`` the answer is 429 ``rate_limited`` with
``Retry-After``; every answer carries ``X-RateLimit-Limit``/``-Remaining``/``-Reset``. If
Redis is unreachable the request goes through (with a warning), and Redis is left alone for
a few seconds so that a dead Redis does not add a connect timeout to every request.
"""
import logging
import time

import redis
from flask import current_app, g, request

from checkout.errors import ApiError
from checkout.jobs.queue import redis_connection
from .blueprint import bp
from .auth import authenticate

log = logging.getLogger(__name__)

WINDOW = 60
MAX_BODY = 256 * 1024  # bytes: the largest API request body (a 413 beyond)
PUBLIC_ENDPOINTS = {"api.openapi_document"}
BACKOFF_SECONDS = 5
_redis_down_until: dict = {}
_clients: dict = {}  # one client per URL: building a redis.Redis costs more than an INCR


@bp.before_request
def guard():
    """Authenticate the caller, then count the request (raises ApiError 401/429)."""
    request.max_content_length = MAX_BODY
    if request.endpoint in PUBLIC_ENDPOINTS:
        return
    caller = authenticate()
    check_rate_limit(caller.api_key_id)


@bp.after_request
def add_headers(response):
    info = g.get("rate_limit")
    if info is not None:
        limit, remaining, reset = info
        response.headers["X-RateLimit-Limit"] = str(limit)
        if remaining is not None:
            response.headers["X-RateLimit-Remaining"] = str(remaining)
            response.headers["X-RateLimit-Reset"] = str(reset)
    return response


def check_rate_limit(api_key_id):
    """Count one request of ``api_key_id`` in the current minute; raises ApiError 429 over
    the limit. Never fails because of Redis."""
    limit = int(current_app.config["RATE_LIMIT_PER_MINUTE"])
    now = time.time()
    window = int(now // WINDOW)
    reset = max(1, int((window + 1) * WINDOW - now + 0.999))
    url = current_app.config["REDIS_URL"]
    if _redis_down_until.get(url, 0) > now:
        g.rate_limit = (limit, None, None)
        return
    try:
        client = _clients.get(url)
        if client is None:
            client = _clients[url] = redis_connection(url)
        pipe = client.pipeline(transaction=False)
        key = f"ratelimit:{api_key_id}:{window}"
        pipe.incr(key)
        pipe.expire(key, WINDOW * 2)
        count = pipe.execute()[0]
    except redis.RedisError as exc:
        _redis_down_until[url] = now + BACKOFF_SECONDS
        log.warning("rate limit skipped: Redis unreachable (%s)", exc.__class__.__name__)
        g.rate_limit = (limit, None, None)
        return
    _redis_down_until.pop(url, None)
    remaining = max(0, limit - count)
    g.rate_limit = (limit, remaining, reset)
    if count > limit:
        raise ApiError(429, "rate_limit_error", "rate_limited",
                       f"Too many requests: at most {limit} a minute per API key. Retry in "
                       f"{reset} s.", headers={"Retry-After": str(reset)})
