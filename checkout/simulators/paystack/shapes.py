"""Paystack simulator: the JSON it sends (verify and charge data, refunds, webhook events,
simulator-only inspection), in the shapes of providers.md 3.2-3.6 and the OpenAPI."""
from __future__ import annotations

from datetime import UTC, datetime

from .models import Refund, Transaction
from .rules import APPROVE_TEXT, OTP_TEXT

# What verify says for each internal state (3.3; ongoing for a charge awaiting the phone
# and send_otp are what integrators report: UNCONFIRMED in the spec).
VERIFY_STATUS = {"pay_offline": "ongoing"}


def iso(moment: datetime | None) -> str | None:
    """``2025-01-31T10:00:00.000Z`` (Paystack's timestamps), None stays None."""
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _customer(tx: Transaction) -> dict:
    return {"id": 100000 + tx.id % 100000, "first_name": None, "last_name": None,
            "email": tx.email, "customer_code": tx.customer_code, "phone": None,
            "metadata": None, "risk_action": "default", "international_format_phone": None}


def _authorization(tx: Transaction) -> dict:
    if tx.status not in ("success", "reversed"):
        return {}
    if tx.channel == "mobile_money":
        return {"authorization_code": f"AUTH_{tx.customer_code[4:14]}", "bin": tx.phone[:3],
                "last4": tx.phone[-4:], "exp_month": "12", "exp_year": "9999",
                "channel": "mobile_money", "card_type": "", "bank": tx.provider.label,
                "country_code": tx.provider.country, "brand": tx.provider.label,
                "reusable": False, "signature": None, "account_name": None}
    return {"authorization_code": f"AUTH_{tx.customer_code[4:14]}", "exp_month": "12",
            "exp_year": "2030", "channel": "card", "card_type": "visa ", "bank": "TEST BANK",
            "country_code": "NG", "reusable": True, "signature": f"SIG_{tx.customer_code[4:]}",
            "account_name": None, **tx.authorization}


def verify_data(tx: Transaction) -> dict:
    """``data`` of ``GET /transaction/verify/{reference}`` (3.3)."""
    paid = iso(tx.paid_at)
    return {
        "id": tx.id, "domain": tx.domain, "status": VERIFY_STATUS.get(tx.status, tx.status),
        "reference": tx.reference, "receipt_number": None, "amount": tx.amount,
        "message": None, "gateway_response": tx.gateway_response, "paid_at": paid,
        "created_at": iso(tx.created_at), "channel": tx.channel, "currency": tx.currency,
        "ip_address": None, "metadata": tx.metadata or "", "log": None,
        "fees": tx.amount * 15 // 1000 if paid else None, "fees_split": None,
        "authorization": _authorization(tx), "customer": _customer(tx), "plan": None,
        "split": {}, "order_id": None, "paidAt": paid, "createdAt": iso(tx.created_at),
        "requested_amount": tx.amount, "pos_transaction_data": None, "source": None,
        "fees_breakdown": None, "connect": None, "transaction_date": iso(tx.created_at),
        "plan_object": {}, "subaccount": {},
    }


def charge_data(tx: Transaction) -> dict:
    """``data`` of ``/charge``, ``/charge/submit_otp`` and ``GET /charge/{reference}``
    (3.4): the next step while the charge waits, the transaction once it is final."""
    if tx.status == "send_otp":
        return {"reference": tx.reference, "status": "send_otp", "display_text": OTP_TEXT}
    if tx.status == "pay_offline":
        return {"reference": tx.reference, "status": "pay_offline",
                "display_text": APPROVE_TEXT}
    return {**verify_data(tx), "status": tx.status}


def charge_success_event(tx: Transaction) -> dict:
    """The ``charge.success`` webhook (3.5): verify data, status success."""
    return {"event": "charge.success", "data": {**verify_data(tx), "status": "success"}}


def refund_event(refund: Refund) -> dict:
    """``refund.pending|processed|failed`` (3.5): the documented fields; ``amount`` is a
    string on pending/processed and a number on failed, as in Paystack's examples."""
    tx = refund.transaction
    amount = refund.amount if refund.status == "failed" else str(refund.amount)
    return {"event": f"refund.{refund.status}", "data": {
        "status": refund.status, "transaction_reference": tx.reference,
        "refund_reference": refund.refund_reference, "amount": amount,
        "currency": refund.currency,
        "processor": "mpgs_zen" if tx.channel == "card" else "instant-transfer",
        "customer": {"first_name": None, "last_name": None, "email": tx.email},
        "integration": tx.integration, "domain": tx.domain}}


def refund_data(refund: Refund) -> dict:
    """A refund as ``GET /refund/{id}`` and ``GET /refund`` show it (3.6)."""
    tx = refund.transaction
    return {
        "integration": tx.integration, "transaction": tx.id, "dispute": None,
        "settlement": None, "id": refund.id, "domain": tx.domain, "currency": refund.currency,
        "amount": refund.amount, "status": refund.status, "refunded_at": iso(refund.refunded_at),
        "refunded_by": "simulator@paystack.test", "customer_note": refund.customer_note or "",
        "merchant_note": refund.merchant_note or "", "deducted_amount": refund.amount,
        "fully_deducted": 1, "createdAt": iso(refund.created_at), "bank_reference": None,
        "transaction_reference": tx.reference, "reason": refund.reason or "",
        "customer": _customer(tx), "refund_type": "full" if refund.amount == tx.amount
        else "partial", "transaction_amount": tx.amount, "initiated_by": "api",
        "refund_channel": tx.channel, "session_id": None, "collect_account_number": False,
    }


def refund_created(refund: Refund) -> dict:
    """``data`` of ``POST /refund`` (3.6): the refund, with its transaction embedded."""
    tx = refund.transaction
    created = {key: value for key, value in refund_data(refund).items() if key in (
        "integration", "id", "domain", "currency", "amount", "status", "refunded_by",
        "customer_note", "merchant_note", "deducted_amount", "createdAt")}
    return {**created, "transaction": {
        "id": tx.id, "domain": tx.domain, "reference": tx.reference, "amount": tx.amount,
        "paid_at": iso(tx.paid_at), "channel": tx.channel, "currency": tx.currency},
        "channel": None, "expected_at": iso(refund.created_at), "fully_deducted": True,
        "updatedAt": iso(refund.created_at)}


def inspect_body(tx: Transaction, refunds: list[Refund]) -> dict:
    """Simulator-only view: what was asked, what happened, what was sent (no card data)."""
    return {
        "reference": tx.reference, "id": tx.id, "account": tx.account_id,
        "channel": tx.channel, "scenario": tx.scenario.name, "status": tx.status,
        "gateway_response": tx.gateway_response, "amount": tx.amount, "currency": tx.currency,
        "provider": tx.provider.code if tx.provider else None, "access_code": tx.access_code,
        "callback_url": tx.callback_url, "channels": tx.channels, "metadata": tx.metadata,
        "created_at": iso(tx.created_at), "paid_at": iso(tx.paid_at), "closed": tx.closed,
        "webhooks": [{**w, "attempts": list(w["attempts"])} for w in tx.webhooks],
        "refunds": [{**refund_data(r), "webhooks": [{**w, "attempts": list(w["attempts"])}
                                                    for w in r.webhooks]} for r in refunds],
    }
