"""When each attempt of a delivery is due.

``RETRY_SCHEDULE[k]`` is the wait before attempt ``k + 1``, counted from the end of the
previous attempt: immediately, then 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h, 10 h,
14 h and 20 h — 11 attempts over about three days (71 h 35 min plus jitter). Waits of a
minute or more get up to 10 % of random jitter, so that a receiver coming back after an
outage is not hit by every retry in the same second. After the last attempt fails, the
delivery is ``failed`` (the merchant can redeliver it).

Deployments and tests may replace the schedule with ``WEBHOOK_RETRY_SCHEDULE`` (a list
of seconds, first entry the wait before the first attempt).
"""
import random

from flask import current_app

RETRY_SCHEDULE = (0, 5, 5 * 60, 30 * 60, 2 * 3600, 5 * 3600, 10 * 3600, 10 * 3600,
                  10 * 3600, 14 * 3600, 20 * 3600)
JITTER = 0.10


def schedule() -> tuple[float, ...]:
    """The schedule in force (config override or the default)."""
    return tuple(current_app.config.get("WEBHOOK_RETRY_SCHEDULE") or RETRY_SCHEDULE)


def max_attempts() -> int:
    return len(schedule())


def delay_before(attempt_number: int) -> float | None:
    """Seconds to wait before attempt ``attempt_number`` (1-based), jitter included, or
    ``None`` when the schedule has no such attempt (the delivery has failed)."""
    plan = schedule()
    if attempt_number < 1 or attempt_number > len(plan):
        return None
    base = float(plan[attempt_number - 1])
    if base >= 60:
        base += base * JITTER * random.random()
    return base
