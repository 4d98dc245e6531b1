"""Chapa simulator: the JSON bodies it sends (verify answer, webhook, admin inspection)."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from .models import Refund, Transaction


def stamp(moment: datetime | None) -> str | None:
    """Chapa's timestamps: ``2024-03-01T10:00:00.000000Z``."""
    return moment.isoformat(timespec="microseconds").replace("+00:00", "Z") if moment else None


def number(amount: Decimal) -> int | float:
    """An amount as a JSON number, as verify gives it (providers.md 2.4). Exact for two
    decimals: the shortest float repr of such a value reads back as the same decimal."""
    return int(amount) if amount == amount.to_integral_value() else float(amount)


def _mobile(phone: str | None) -> str | None:
    return "251" + phone[1:] if phone else None


def verify_data(tx: Transaction) -> dict:
    """``data`` of ``GET /v1/transaction/verify/{tx_ref}`` (providers.md 2.4)."""
    f = tx.fields
    return {
        "first_name": f["first_name"], "last_name": f["last_name"], "email": f["email"],
        "currency": tx.currency, "amount": number(tx.amount), "charge": number(tx.charge),
        "mode": tx.mode, "method": tx.method, "type": "API", "status": tx.status,
        "reference": tx.reference, "tx_ref": tx.tx_ref,
        "customization": dict(f["customization"]), "meta": dict(f["meta"]) or None,
        "created_at": stamp(tx.created_at), "updated_at": stamp(tx.updated_at or tx.created_at),
    }


def list_item(tx: Transaction) -> dict:
    """One transaction of ``GET /v1/transactions`` (developer.chapa.co "All
    Transactions"): Chapa's ``ref_id``, no ``tx_ref``; amounts as strings ("12.000")."""
    f = tx.fields
    return {
        "status": tx.status, "ref_id": tx.reference, "type": "API",
        "created_at": stamp(tx.created_at), "currency": tx.currency,
        "amount": f"{tx.amount:.3f}", "charge": f"{tx.charge:.3f}", "trans_id": None,
        "payment_method": tx.method or "card",
        "customer": {"id": 1_300_000 + sum(map(ord, tx.tx_ref)) % 100_000,
                     "email": f["email"], "first_name": f["first_name"],
                     "last_name": f["last_name"], "mobile": _mobile(f["phone_number"])},
    }


def list_page(rows: list, page: int, per_page: int, url: str) -> dict:
    """``data`` of ``GET /v1/transactions?page=N``: the page and Chapa's pagination (page
    URLs, no total)."""
    start = (page - 1) * per_page
    more = start + per_page < len(rows)
    return {"transactions": rows[start:start + per_page], "pagination": {
        "per_page": per_page, "current_page": page, "first_page_url": f"{url}?page=1",
        "next_page_url": f"{url}?page={page + 1}" if more else None,
        "prev_page_url": f"{url}?page={page - 1}" if page > 1 else None}}


def webhook_payload(tx: Transaction, event: str, status: str,
                    refund: Refund | None = None) -> dict:
    """The flat webhook body of providers.md 2.5 (amounts as strings: "400.00")."""
    f = tx.fields
    amount = refund.amount if refund is not None else tx.amount
    updated = refund.processed_at if refund is not None else tx.updated_at
    return {
        "event": event, "first_name": f["first_name"], "last_name": f["last_name"],
        "email": f["email"], "mobile": _mobile(f["phone_number"]), "currency": tx.currency,
        "amount": f"{amount:.2f}", "charge": f"{tx.charge:.2f}", "status": status,
        "mode": tx.mode, "reference": tx.reference, "created_at": stamp(tx.created_at),
        "updated_at": stamp(updated or tx.created_at), "type": "API", "tx_ref": tx.tx_ref,
        "payment_method": tx.method or "card", "customization": dict(f["customization"]),
        "meta": dict(f["meta"]) or None,
    }


def refund_data(tx: Transaction, refund: Refund) -> dict:
    """``data`` of the refund answer (providers.md 2.6: "Refund queued")."""
    return {"tx_ref": tx.tx_ref, "amount": f"{refund.amount:.2f}", "currency": tx.currency,
            "reference": refund.merchant_reference, "refund_reference": refund.reference,
            "status": refund.status}


def inspect_body(tx: Transaction) -> dict:
    """Simulator-only view: what was asked, what happened, what was sent (no card data:
    none is ever kept)."""
    request = {k: (f"{v:.2f}" if isinstance(v, Decimal) else v) for k, v in tx.fields.items()}
    return {
        "tx_ref": tx.tx_ref, "account": tx.account_id, "mode": tx.mode,
        "reference": tx.reference, "status": tx.status, "method": tx.method,
        "amount": f"{tx.amount:.2f}", "currency": tx.currency,
        "refunded": f"{tx.refunded():.2f}", "request": request,
        "created_at": stamp(tx.created_at), "updated_at": stamp(tx.updated_at),
        "refunds": [{"reference": r.reference, "amount": f"{r.amount:.2f}",
                     "reason": r.reason, "merchant_reference": r.merchant_reference,
                     "status": r.status, "processed_at": stamp(r.processed_at)}
                    for r in tx.refunds],
        "callbacks": [dict(c, attempts=list(c["attempts"])) for c in tx.callbacks],
        "webhooks": [dict(w, attempts=list(w["attempts"])) for w in tx.webhooks],
    }
