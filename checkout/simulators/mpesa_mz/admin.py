"""Simulator controls, NOT part of Vodacom's API: ``<sim>/mpesa-mz/_sim/...``.

Accounts (what the portal holds: the API key and the shortcode, plus the initiator and
security credential reversals check when given), the public key as the portal shows it,
inspection of transactions (with how many requests used a ThirdPartyReference and how
many completed debits share a TransactionReference), reset."""
from __future__ import annotations

from flask import Blueprint, Response, jsonify, request

from .keys import public_key_line
from .rules import InsError
from .store import current_simulator, parse_account

admin_bp = Blueprint("admin", __name__)


@admin_bp.errorhandler(InsError)
def _refusal(exc: InsError):
    return jsonify(message="api_key (string) and service_provider_code (5-6 digits) are "
                           "required; initiator_identifier and security_credential are "
                           "optional strings"), 400


@admin_bp.get("/public_key")
def public_key():
    return Response(public_key_line(), mimetype="text/plain")


@admin_bp.put("/accounts/<account_id>")
def put_account(account_id: str):
    account = parse_account(account_id, request.get_json(silent=True))
    created = current_simulator().put_account(account)
    return jsonify(account.public()), 201 if created else 200


@admin_bp.get("/accounts/<account_id>")
def get_account(account_id: str):
    account = current_simulator().get_account(account_id)
    if account is None:
        return jsonify(message="Account not found"), 404
    return jsonify(account.public()), 200


@admin_bp.get("/transactions")
def list_transactions():
    return jsonify(current_simulator().listing(request.args.get("account"))), 200


@admin_bp.get("/transactions/<reference>")
def inspect_transaction(reference: str):
    found = current_simulator().inspect(reference)
    if found is None:
        return jsonify(message="Transaction not found"), 404
    return jsonify(found), 200


@admin_bp.post("/reset")
def reset():
    current_simulator().reset()
    return jsonify(message="reset"), 200
