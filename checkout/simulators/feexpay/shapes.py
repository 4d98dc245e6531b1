"""FeexPay simulator: the JSON bodies it sends (status answer, webhook, admin inspection)."""
from __future__ import annotations

from datetime import UTC, datetime

from .models import Transaction


def iso(moment: datetime) -> str:
    """ISO-8601 UTC with milliseconds and a ``Z``, e.g. ``2025-01-31T10:00:00.000Z``."""
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def webhook_payload(tx: Transaction, status: str, reason: str | None) -> dict:
    """The v2 webhook body of providers.md 1.7 (no signature anywhere)."""
    req = tx.request
    return {
        "reference": tx.reference, "order_id": tx.reference, "status": status,
        "amount": req["amount"], "callback_info": req.get("callback_info"),
        "first_name": req.get("first_name"), "last_name": req.get("last_name"),
        "email": req.get("email"), "type": "Paiement", "phoneNumber": tx.phone,
        "date": iso(tx.finished_at or datetime.now(UTC)),
        "reseau": tx.network.label, "ref_link": None,
        "description": req.get("description"), "reason": reason,
        "ref_operator": tx.transref if status == "SUCCESSFUL" else None,
    }


def status_body(tx: Transaction) -> dict:
    """The status endpoint's answer, with the network's documented irregularities."""
    req, net = tx.request, tx.network
    body = {
        "reference": tx.reference, "amount": req["amount"], "phoneNumber": tx.phone,
        "status": tx.status, "first_name": req.get("first_name"),
        "last_name": req.get("last_name"), "mode": net.label,
        "callback_info": req.get("callback_info"), "reason": tx.reason,
        "operator_status": tx.operator_status,
        "operator_id": tx.transref if tx.status == "SUCCESSFUL" else None,
        "responsecode": tx.responsecode, "responsemsg": tx.responsemsg,
        "transref": tx.transref if tx.status == "SUCCESSFUL" else None,
        "serviceref": tx.serviceref, "description": req.get("description"),
        "date": iso(tx.created_at),
    }
    if net.stringy:
        body["amount"], body["phoneNumber"] = str(req["amount"]), int(tx.phone)
    return {"data": body} if net.wrapped else body


def inspect_body(tx: Transaction) -> dict:
    """Simulator-only view of a transaction: what was asked, what happened, what was sent."""
    return {
        "reference": tx.reference, "shop": tx.shop_id, "network": tx.network.segment,
        "scenario": tx.scenario.name, "status": tx.status, "reason": tx.reason,
        "operator_status": tx.operator_status, "payment_url": tx.payment_url,
        "awaiting_shopper": tx.awaiting_shopper, "created_at": iso(tx.created_at),
        "finished_at": iso(tx.finished_at) if tx.finished_at else None,
        "request": tx.request,
        "webhooks": [{**w, "attempts": list(w["attempts"])} for w in tx.webhooks],
    }
