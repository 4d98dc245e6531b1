"""Chapa simulator controls, NOT part of Chapa's API: ``<sim>/chapa/_sim/...``.

Accounts (what Chapa's dashboard holds: the secret key, the webhook secret and URL),
inspection, forced outcomes and reset.
"""
from __future__ import annotations

from flask import Blueprint, jsonify, request

from .models import FAILED, SUCCESS
from .rules import ApiError
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
