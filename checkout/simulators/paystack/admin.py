"""Paystack simulator controls, NOT part of Paystack's API: ``<sim>/paystack/_sim/...``.

Accounts (what Paystack's dashboard holds: the secret key and the webhook URL),
inspection of transactions with their refunds and webhook attempts, forced outcomes,
reset. Nothing here ever shows card data: none is kept.
"""
from __future__ import annotations

from flask import Blueprint, jsonify, request

from .listing import moment
from .rules import ApiError, parse_amount, parse_currency, parse_email, parse_reference
from .shapes import inspect_body
from .store import FINAL, current_simulator, parse_account

admin_bp = Blueprint("admin", __name__)


@admin_bp.errorhandler(ApiError)
def _refusal(exc: ApiError):
    return jsonify(exc.body()), exc.status


def _inspect(tx):
    return inspect_body(tx, current_simulator().refund_desk.of(tx))


@admin_bp.put("/accounts/<account_id>")
def put_account(account_id: str):
    account = parse_account(account_id, request.get_json(silent=True))
    created = current_simulator().put_account(account)
    return jsonify(account.public()), 201 if created else 200


@admin_bp.get("/accounts/<account_id>")
def get_account(account_id: str):
    account = current_simulator().get_account(account_id)
    if account is None:
        raise ApiError(404, "Account not found")
    return jsonify(account.public()), 200


@admin_bp.get("/transactions")
def list_transactions():
    return jsonify(current_simulator().transactions(request.args.get("account"), _inspect)), 200


@admin_bp.post("/transactions")
def record_transaction():
    """A final transaction the merchant's integration holds that our product never
    started (a payment link, the dashboard): ``{"account", "amount" (subunits),
    "currency", "status": "success" | "failed", "reference"?, "email"?, "created_at"?}``."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or body.get("status") not in FINAL[:2]:
        raise ApiError(400, "status must be success or failed")
    sim = current_simulator()
    account = sim.get_account(str(body.get("account") or ""))
    if account is None:
        raise ApiError(404, "Account not found")
    fields = {"amount": parse_amount(body.get("amount")),
              "currency": parse_currency(body.get("currency"), "NGN"),
              "reference": parse_reference(body.get("reference")),
              "email": parse_email(body.get("email") or "outside@example.com", "email")}
    tx = sim.record(account, fields, body["status"], moment(body.get("created_at")))
    return jsonify(sim.render(None, tx.reference, _inspect)), 201


@admin_bp.get("/transactions/<reference>")
def inspect_transaction(reference: str):
    return jsonify(current_simulator().render(None, reference, _inspect)), 200


@admin_bp.post("/transactions/<reference>/complete")
def complete_transaction(reference: str):
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or body.get("status") not in FINAL[:2]:
        raise ApiError(400, "status must be success or failed")
    reason = body.get("gateway_response")
    if reason is not None and not isinstance(reason, str):
        raise ApiError(400, "gateway_response must be a string or null")
    sim = current_simulator()
    sim.complete(reference, body["status"], reason)
    return jsonify(sim.render(None, reference, _inspect)), 200


@admin_bp.post("/reset")
def reset():
    current_simulator().reset()
    return jsonify(message="reset"), 200
