"""Limits on push payment requests, so that nobody can flood a phone with prompts: at most
``PUSHES_PER_CHECKOUT`` pushes per checkout (over its life) and ``PUSHES_PER_PHONE`` per
phone number across all checkouts in ``PUSH_PHONE_WINDOW_SECONDS``. Both are checked and
counted in one Redis script, so concurrent requests cannot slip past the limit. (At most
one push per checkout is in flight at a time anyway: a checkout with a pending attempt
takes no other.) Phone numbers are keyed by an HMAC, never stored in clear in Redis.

If Redis cannot be reached the push goes through (logged): a shopper must be able to pay
while the queue is down; the state machine still allows one attempt at a time."""
import hashlib
import hmac
import logging
import math
from datetime import datetime

import redis
from flask import current_app

from checkout.core.timeutil import utcnow
from checkout.redis_store import redis_connection

log = logging.getLogger(__name__)

_CHECK_AND_COUNT = """
local used = tonumber(redis.call('GET', KEYS[1]) or '0')
if used >= tonumber(ARGV[1]) then return {1, redis.call('TTL', KEYS[1])} end
local sent = tonumber(redis.call('GET', KEYS[2]) or '0')
if sent >= tonumber(ARGV[3]) then return {2, redis.call('TTL', KEYS[2])} end
redis.call('INCR', KEYS[1])
redis.call('EXPIRE', KEYS[1], ARGV[2])
if sent == 0 then redis.call('SET', KEYS[2], 1, 'EX', ARGV[4])
else redis.call('INCR', KEYS[2]) end
return {0, 0}
"""


class PushRefused(Exception):
    """No push now. ``code``: ``too_many_attempts`` (this checkout had its share) or
    ``phone_busy`` (this number had its share; ``minutes`` until it may get another)."""

    def __init__(self, code: str, minutes: int = 0) -> None:
        super().__init__(code)
        self.code, self.minutes = code, minutes


def count_push(checkout_id: str, phone: str, checkout_expires_at: datetime) -> None:
    """Count one push to ``phone`` for ``checkout_id``, or raise PushRefused."""
    cfg = current_app.config
    lifetime = max(60, int((checkout_expires_at - utcnow()).total_seconds()) + 3600)
    digest = hmac.new(cfg["SECRET_KEY"].encode(), phone.encode(), hashlib.sha256).hexdigest()
    try:
        refused, ttl = redis_connection().eval(
            _CHECK_AND_COUNT, 2, f"push:checkout:{checkout_id}", f"push:phone:{digest[:32]}",
            cfg["PUSHES_PER_CHECKOUT"], lifetime, cfg["PUSHES_PER_PHONE"],
            cfg["PUSH_PHONE_WINDOW_SECONDS"])
    except redis.RedisError as exc:
        log.warning("push limits not checked: Redis unreachable (%s)", type(exc).__name__)
        return
    if refused == 1:
        raise PushRefused("too_many_attempts")
    if refused == 2:
        raise PushRefused("phone_busy", max(1, math.ceil(max(ttl, 1) / 60)))


# A token bucket: KEYS[1] holds "tokens,last_ms"; ARGV: rate per second, burst, now ms.
_TAKE_TOKEN = """
local state = redis.call('GET', KEYS[1])
local rate, burst, now = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local tokens, last = burst, now
if state then
  local sep = string.find(state, ',')
  tokens = tonumber(string.sub(state, 1, sep - 1))
  last = tonumber(string.sub(state, sep + 1))
end
tokens = math.min(burst, tokens + (now - last) * rate / 1000)
local ok = 0
if tokens >= 1 then tokens = tokens - 1; ok = 1 end
redis.call('SET', KEYS[1], tostring(tokens) .. ',' .. tostring(now), 'PX',
           math.ceil(burst / rate * 1000) + 1000)
return ok
"""


def take_call_token(key: str, per_second: float | None, burst: float | None = None) -> bool:
    """One provider call allowed now under ``per_second`` for ``key`` (a gateway account),
    shared by every process: a token bucket in Redis. No limit, or Redis unreachable
    (logged): allowed."""
    if not per_second:
        return True
    burst = burst or max(1.0, per_second)
    try:
        now_ms = int(utcnow().timestamp() * 1000)
        return bool(redis_connection().eval(_TAKE_TOKEN, 1, f"calls:{key}", per_second,
                                            burst, now_ms))
    except redis.RedisError as exc:
        log.warning("call rate not checked: Redis unreachable (%s)", type(exc).__name__)
        return True
