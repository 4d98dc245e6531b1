"""Chapa's transaction listing (``GET /v1/transactions``): how one listed transaction
reads in our vocabulary, and when to stop paging. Pure functions.

Confirmed shape (developer.chapa.co "All Transactions"; the official Rust SDK's
``models/transaction.rs``): no filter documented, ``?page=N``; answer ``{message,
status: "success", data: {transactions: [...], pagination: {per_page, current_page,
first_page_url, next_page_url, prev_page_url}}}``; a transaction has ``status`` (pending,
success, failed), ``ref_id`` (Chapa's reference: what verify calls ``reference``),
``type``, ``created_at``, ``currency``, ``amount`` (major units, a string: "12.000"),
``charge``, ``trans_id``, ``payment_method``, ``customer``. Our ``tx_ref`` is NOT in the
documented item (read when present); a payment is found by the Chapa reference it keeps as
its receipt. The order of the list (newest first) is UNCONFIRMED.
"""
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from checkout.gateways.base import ListedTransaction
from checkout.gateways.text import utc_moment

from . import wire

MAX_PAGES = 500               # Chapa's pages hold 10: 5,000 transactions read at most


def transactions_of(payload: object) -> list | None:
    """``data.transactions`` of a list answer, None when it has none."""
    data = payload.get("data") if isinstance(payload, dict) else None
    rows = data.get("transactions") if isinstance(data, dict) else None
    return rows if isinstance(rows, list) else None


def has_next(payload: Mapping[str, Any]) -> bool:
    """Whether ``data.pagination.next_page_url`` names another page."""
    pagination = payload["data"].get("pagination")
    following = pagination.get("next_page_url") if isinstance(pagination, dict) else None
    return isinstance(following, str) and bool(following.strip())


def created_at(data: Mapping[str, Any]) -> datetime | None:
    """``created_at`` ("2024-07-27T02:22:46.000000Z") as naive UTC; None if unreadable."""
    return utc_moment(data.get("created_at"))


def listed(data: object) -> ListedTransaction | None:
    """One listed transaction in our vocabulary, None without a readable ``ref_id`` or
    creation time."""
    if not isinstance(data, dict):
        return None
    reference = wire.valid_tx_ref(data.get("ref_id"))
    moment = created_at(data)
    if reference is None or moment is None:
        return None
    currency = wire.currency_of(data)
    try:
        amount = wire.minor_amount(data.get("amount"), currency)
    except ValueError:
        amount = None
    return ListedTransaction(
        provider_reference=reference, payment_id=wire.valid_tx_ref(data.get("tx_ref")),
        status=wire.PAYMENT_STATUS.get(wire.word(data.get("status")), "pending"),
        amount=amount, currency=currency, created_at=moment)
