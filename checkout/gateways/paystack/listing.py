"""Paystack's transaction listing (``GET /transaction``): the query we send and how one
listed transaction reads in our vocabulary. Pure functions.

Confirmed shape (Paystack API reference "List Transactions", paystack.com/docs/api/
transaction/#list, as SDKs and integrators use it): query ``perPage``, ``page``,
``from``/``to`` (ISO 8601 timestamps), ``status`` (success|failed|abandoned, optional);
answer ``{status, message, data: [transaction...], meta: {total, skipped, perPage, page,
pageCount}}``, each transaction shaped like verify's ``data`` (reference, status, amount
in subunits, currency, domain, created_at/createdAt, metadata).
"""
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from checkout.gateways.base import ListedTransaction
from checkout.gateways.text import utc_moment

from . import wire

PER_PAGE = 100
MAX_PAGES = 100               # 10,000 transactions of one account in one day at most
# Paystack's words -> ours: reversed is a success later refunded; abandoned never paid.
STATUS = {"success": "succeeded", "reversed": "succeeded", "failed": "failed",
          "abandoned": "failed"}


def stamp(moment: datetime) -> str:
    """A naive-UTC datetime as Paystack's ``from``/``to``: ``2025-01-31T00:00:00.000Z``."""
    return moment.replace(tzinfo=None).isoformat(timespec="milliseconds") + "Z"


def query(since: datetime, until: datetime, page: int) -> dict[str, Any]:
    return {"from": stamp(since), "to": stamp(until), "perPage": PER_PAGE, "page": page}


def page_count(payload: Mapping[str, Any]) -> int | None:
    """``meta.pageCount`` when it is a whole number, else None."""
    meta = payload.get("meta")
    count = meta.get("pageCount") if isinstance(meta, dict) else None
    return count if isinstance(count, int) and not isinstance(count, bool) else None


def created_at(data: Mapping[str, Any]) -> datetime | None:
    """``created_at`` (or ``createdAt``) as naive UTC, None if it cannot be read."""
    return utc_moment(data.get("created_at") or data.get("createdAt"))


def listed(data: object, livemode: bool) -> ListedTransaction | None:
    """One listed transaction in our vocabulary, or None when it is not one we can read
    (no reference or creation time) or belongs to the other mode."""
    if not isinstance(data, dict):
        return None
    reference = wire.valid_reference(data.get("reference"))
    moment = created_at(data)
    if reference is None or moment is None:
        return None
    if data.get("domain") not in (None, "live" if livemode else "test"):
        return None
    currency = data.get("currency")
    currency = currency.strip().upper()[:3] if isinstance(currency, str) else None
    try:
        amount = wire.from_subunits(data.get("amount"), currency)
    except ValueError:
        amount = None
    metadata = data.get("metadata")
    payment_id = metadata.get("payment_id") if isinstance(metadata, dict) else None
    if not (isinstance(payment_id, str) and wire.PAYMENT_ID_RE.fullmatch(payment_id)):
        payment_id = None
    return ListedTransaction(provider_reference=reference, payment_id=payment_id,
                             status=STATUS.get(wire.status_word(data), "pending"),
                             amount=amount, currency=currency, created_at=moment)
