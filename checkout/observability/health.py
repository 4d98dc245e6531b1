"""How each mobile-money operator is doing right now, from our own attempts.

Every attempt that ends is recorded in Redis per operator ("mtn", "moov", "safaricom"...):
the outcome of the last ``WINDOW`` attempts of the last ``RECENT_SECONDS`` (a capped
list), and hourly totals over the last day (the operator's normal rate). An operator is
*in trouble* when at least ``MIN_ATTEMPTS`` recent attempts succeeded well below its
normal rate (``TROUBLE_RATIO`` of it; ``DEFAULT_NORMAL`` when there is no history yet).

Only failures that are the operator's count against it: a shopper who cancels, has no
money or types a wrong PIN says nothing about the network. Redis unreachable: nothing is
recorded and every operator reads as fine (the picker then just shows no notice).
"""
import logging
import threading
import time

import redis

from checkout.redis_store import redis_connection

log = logging.getLogger(__name__)

WINDOW = 50
RECENT_SECONDS = 15 * 60
MIN_ATTEMPTS = 8
TROUBLE_RATIO = 0.5
DEFAULT_NORMAL = 0.8
HISTORY_HOURS = 24
MEMO_SECONDS = 10

# Failures that are the shopper's (or the merchant's), not the operator's.
NOT_THE_OPERATOR = frozenset({
    "insufficient_funds", "low_balance", "canceled", "cancelled", "shopper_canceled",
    "wrong_pin", "invalid_phone", "payer_not_found", "phone_invalid",
    "number_not_registered", "daily_limit", "repeat_too_soon", "amount_out_of_limits",
    "account_inactive", "subscriber_busy", "amount_mismatch", "abandoned",
    "gateway_auth_failed", "shop_not_configured", "network_not_enabled", "not_supported",
    "ip_not_allowed", "duplicate", "otp_required",
    # Ended on our side: the shopper went elsewhere, or never answered in time.
    "shopper_switched", "deadline"})


def counts_against(status: str, failure_code: str | None) -> bool | None:
    """True: a success; False: an operator's failure; None: says nothing of it."""
    if status == "succeeded":
        return True
    if status in ("failed", "expired"):
        return None if (failure_code or "").lower() in NOT_THE_OPERATOR else False
    return None


def record(operator: str, ok: bool, now: float | None = None) -> None:
    """Add one ended attempt of ``operator`` (ok: it succeeded)."""
    now = time.time() if now is None else now
    hour = int(now // 3600)
    key = f"ophealth:{operator}"
    try:
        pipe = redis_connection().pipeline(transaction=False)
        pipe.lpush(f"{key}:recent", f"{int(ok)}:{now:.0f}")
        pipe.ltrim(f"{key}:recent", 0, WINDOW - 1)
        pipe.expire(f"{key}:recent", RECENT_SECONDS * 4)
        pipe.hincrby(f"{key}:hour:{hour}", "ok" if ok else "failed", 1)
        pipe.expire(f"{key}:hour:{hour}", (HISTORY_HOURS + 2) * 3600)
        pipe.execute()
    except redis.RedisError as exc:
        log.warning("operator health not recorded", extra={"error": str(exc)})


def status(operators, now: float | None = None) -> dict[str, dict]:
    """``{operator: {"status": "ok"|"degraded"|"unknown", "recent_success_rate",
    "recent_attempts", "normal_success_rate"}}`` for each operator asked about."""
    now = time.time() if now is None else now
    operators = sorted(set(operators))
    hour = int(now // 3600)
    try:
        pipe = redis_connection().pipeline(transaction=False)
        for op in operators:
            pipe.lrange(f"ophealth:{op}:recent", 0, WINDOW - 1)
            for h in range(hour - HISTORY_HOURS, hour):
                pipe.hgetall(f"ophealth:{op}:hour:{h}")
        answers = pipe.execute()
    except redis.RedisError as exc:
        log.warning("operator health unreadable", extra={"error": str(exc)})
        return {op: _entry("unknown", None, 0, None) for op in operators}
    out, step = {}, 1 + HISTORY_HOURS
    for i, op in enumerate(operators):
        recent_raw, *hours = answers[i * step:(i + 1) * step]
        recent = [item.decode().split(":") for item in recent_raw]
        recent = [int(ok) for ok, at in recent if now - float(at) <= RECENT_SECONDS]
        good = sum(int(h.get(b"ok", 0)) for h in hours)
        total = good + sum(int(h.get(b"failed", 0)) for h in hours)
        normal = good / total if total >= 4 * MIN_ATTEMPTS else None
        if len(recent) < MIN_ATTEMPTS:
            out[op] = _entry("unknown" if not recent else "ok", _rate(recent), len(recent),
                             normal)
            continue
        rate = _rate(recent)
        troubled = rate < TROUBLE_RATIO * (normal if normal is not None else DEFAULT_NORMAL)
        out[op] = _entry("degraded" if troubled else "ok", rate, len(recent), normal)
    return out


def _rate(outcomes):
    return round(sum(outcomes) / len(outcomes), 3) if outcomes else None


def _entry(state, rate, attempts, normal):
    return {"status": state, "recent_success_rate": rate, "recent_attempts": attempts,
            "normal_success_rate": round(normal, 3) if normal is not None else None}


_memo: dict[frozenset, tuple[float, frozenset]] = {}
_memo_lock = threading.Lock()


def troubled(operators, max_age: float = MEMO_SECONDS) -> frozenset[str]:
    """The operators among these that are in trouble now (read at most every
    ``max_age`` seconds per process and set of operators: a page render costs no Redis
    round trip most of the time)."""
    key = frozenset(operators)
    now = time.monotonic()
    with _memo_lock:
        hit = _memo.get(key)
    if hit is not None and now - hit[0] < max_age:
        return hit[1]
    found = frozenset(op for op, s in status(key).items() if s["status"] == "degraded")
    with _memo_lock:
        if len(_memo) > 256:
            _memo.clear()
        _memo[key] = (now, found)
    return found
