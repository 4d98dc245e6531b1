"""Paystack simulator: the query of ``GET /transaction`` (List Transactions) and its page.

Paystack's API reference: ``perPage`` (default 50), ``page`` (from 1), ``from`` and ``to``
(an ISO 8601 timestamp or a date), ``status`` (success | failed | abandoned); the answer's
``meta`` is ``{total, skipped, perPage, page, pageCount}``. Newest first.
"""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from .rules import ApiError

STATUSES = ("success", "failed", "abandoned", "reversed")


def moment(value: str | None, end_of_day: bool = False) -> datetime | None:
    """A ``from``/``to`` value as an aware UTC datetime; a bare date is its midnight (the
    next midnight for ``to``). ApiError(400) when it is neither."""
    if value is None or value == "":
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ApiError(400, "Invalid date: use a timestamp like 2016-09-24T00:00:05.000Z "
                            "or a date like 2016-09-21") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    if end_of_day and len(value.strip()) == 10:
        parsed += timedelta(days=1)
    return parsed


def query(args: Any) -> dict:
    """The filters and page asked for; ApiError(400) on a bad number, date or status."""
    try:
        per_page = max(1, min(int(args.get("perPage", 50)), 1000))
        page = max(1, int(args.get("page", 1)))
    except ValueError:
        raise ApiError(400, "perPage and page must be integers") from None
    status = args.get("status") or None
    if status is not None and status not in STATUSES:
        raise ApiError(400, "status must be one of success, failed, abandoned")
    return {"since": moment(args.get("from")), "until": moment(args.get("to"), True),
            "status": status, "per_page": per_page, "page": page}


def page_of(rows: list, per_page: int, page: int) -> tuple[list, dict]:
    """``(data, meta)`` of one page of ``rows``."""
    start = (page - 1) * per_page
    meta = {"total": len(rows), "skipped": start, "perPage": per_page, "page": page,
            "pageCount": max(1, -(-len(rows) // per_page))}
    return rows[start:start + per_page], meta
