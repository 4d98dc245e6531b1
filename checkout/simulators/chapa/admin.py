"""Chapa simulator controls, NOT part of Chapa's API: ``<sim>/chapa/_sim/...``.

Accounts (what Chapa's dashboard holds: the secret key, the webhook secret and URL),
inspection, forced outcomes and reset.
"""
from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint, jsonify, request

from .models import FAILED, SUCCESS, random_token
from .rules import ApiError, validate_initialize
from .shapes import inspect_body
from .store import current_simulator, parse_account

admin_bp = Blueprint("admin", __name__)


@admin_bp.errorhandler(ApiError)
def _refusal(exc: ApiError):
    return jsonify(exc.body()), exc.status


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
    return jsonify(current_simulator().transactions(request.args.get("account"),
                                                    inspect_body)), 200


@admin_bp.post("/transactions")
def record_transaction():
    """A final transaction the merchant's Chapa account holds that our product never
    started (a payment link, the dashboard): ``{"account", "amount" (major units),
    "currency", "status": "success" | "failed", "tx_ref"?, "created_at"?}``."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or body.get("status") not in (SUCCESS, FAILED):
        raise ApiError(400, "status must be success or failed")
    sim = current_simulator()
    account = sim.get_account(str(body.get("account") or ""))
    if account is None:
        raise ApiError(404, "Account not found")
    fields = validate_initialize({"amount": body.get("amount"), "currency": body.get("currency"),
                                  "tx_ref": body.get("tx_ref") or "link-" + random_token(12)})
    created = body.get("created_at")
    try:
        created = datetime.fromisoformat(created.replace("Z", "+00:00")) if created else None
    except (AttributeError, ValueError):
        raise ApiError(400, "created_at must be an ISO 8601 timestamp") from None
    if created is not None and created.tzinfo is None:
        created = created.replace(tzinfo=UTC)
    tx = sim.record(account, fields, body["status"], created)
    return jsonify(sim.render(tx.tx_ref, account.account_id, inspect_body)), 201


@admin_bp.get("/transactions/<tx_ref>")
def inspect_transaction(tx_ref: str):
    sim = current_simulator()
    return jsonify(sim.render(tx_ref, request.args.get("account"), inspect_body)), 200


@admin_bp.post("/transactions/<tx_ref>/complete")
def complete_transaction(tx_ref: str):
    """Settle a pending transaction as the payment page would: ``{"status": "success" |
    "failed"}`` (sends the callback and the webhook)."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or body.get("status") not in (SUCCESS, FAILED):
        raise ApiError(400, "status must be success or failed")
    sim, account = current_simulator(), request.args.get("account")
    sim.complete(tx_ref, account, body["status"])
    return jsonify(sim.render(tx_ref, account, inspect_body)), 200


@admin_bp.post("/reset")
def reset():
    current_simulator().reset()
    return jsonify(message="reset"), 200
