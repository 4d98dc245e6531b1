"""The API guard: every /api/v1 request except the public OpenAPI document is
authenticated (``g.caller``) and counted against its API key's per-minute limit; request
bodies are limited to ``API_MAX_BODY_BYTES`` (413). Failed authentications are counted per
client address: past ``AUTH_FAILURES_PER_MINUTE`` that address gets 429 until the minute
ends, so guessing keys costs time (logged, the address masked to its /24 or /48).

Fixed one-minute windows in Redis, one round trip per request (INCR and EXPIRE in one
pipeline). Over ``RATE_LIMIT_PER_MINUTE`` the answer is 429 ``rate_limited`` with
``Retry-After``; every answer carries ``X-RateLimit-Limit``/``-Remaining``/``-Reset``. If
Redis is unreachable the request goes through (with a warning), and Redis is left alone for
a few seconds so that a dead Redis does not add a connect timeout to every request.
"""
import ipaddress
import logging
import time

import redis
from flask import current_app, g, request
from werkzeug.exceptions import RequestEntityTooLarge

from checkout.errors import ApiError
from checkout.redis_store import redis_connection

from .auth import authenticate
from .blueprint import bp

log = logging.getLogger(__name__)

WINDOW = 60
PUBLIC_ENDPOINTS = {"api.openapi_document"}
BACKOFF_SECONDS = 5
_redis_down_until: dict = {}
_clients: dict = {}  # one client per URL: building a redis.Redis costs more than an INCR


@bp.before_request
def guard():
    """Authenticate the caller, then count the request (raises ApiError 401/429)."""
    limit = request.max_content_length = current_app.config["API_MAX_BODY_BYTES"]
    if request.content_length is None and len(request.get_data(cache=True)) > limit:
        raise RequestEntityTooLarge()   # streamed, and already read under the app's limit
    if request.endpoint in PUBLIC_ENDPOINTS:
        return
    address = request.remote_addr or "unknown"
    failures_limit = int(current_app.config["AUTH_FAILURES_PER_MINUTE"])
    if (_count(f"authfail:{address}", add=0) or 0) >= failures_limit:
        raise _too_many_failures()
    try:
        caller = authenticate()
    except ApiError as exc:
        if exc.status == 401 and (_count(f"authfail:{address}") or 0) >= failures_limit:
            log.warning("API authentication failures over the limit",
                        extra={"client": mask_address(address), "limit": failures_limit})
        raise
    check_rate_limit(caller.api_key_id)


def _too_many_failures():
    reset = _seconds_left()
    return ApiError(429, "rate_limit_error", "too_many_failed_authentications",
                    "Too many requests with an invalid API key from your address. Retry in "
                    f"{reset} s with a valid key.", headers={"Retry-After": str(reset)})


def mask_address(address):
    """The network of an address for logs: ``203.0.113.0/24``, ``2001:db8::/48``."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return "unknown"
    prefix = 24 if ip.version == 4 else 48
    return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False))


def _seconds_left(now=None):
    now = time.time() if now is None else now
    return max(1, int((int(now // WINDOW) + 1) * WINDOW - now + 0.999))


def _count(name, add=1):
    """Add ``add`` to this minute's counter ``name`` and return it (``add=0`` reads it);
    None when Redis cannot be reached (then nothing is limited: logged, and Redis left
    alone for a few seconds)."""
    now = time.time()
    url = current_app.config["REDIS_URL"]
    if _redis_down_until.get(url, 0) > now:
        return None
    key = f"{name}:{int(now // WINDOW)}"
    try:
        client = _clients.get(url)
        if client is None:
            client = _clients[url] = redis_connection(url)
        if not add:
            value = client.get(key)
            return int(value) if value is not None else 0
        pipe = client.pipeline(transaction=False)
        pipe.incrby(key, add)
        pipe.expire(key, WINDOW * 2)
        count = pipe.execute()[0]
    except redis.RedisError as exc:
        _redis_down_until[url] = now + BACKOFF_SECONDS
        log.warning("rate limit skipped: Redis unreachable (%s)", exc.__class__.__name__)
        return None
    _redis_down_until.pop(url, None)
    return count


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
    reset = _seconds_left()
    count = _count(f"ratelimit:{api_key_id}")
    if count is None:
        g.rate_limit = (limit, None, None)
        return
    remaining = max(0, limit - count)
    g.rate_limit = (limit, remaining, reset)
    if count > limit:
        raise ApiError(429, "rate_limit_error", "rate_limited",
                       f"Too many requests: at most {limit} a minute per API key. Retry in "
                       f"{reset} s.", headers={"Retry-After": str(reset)})
