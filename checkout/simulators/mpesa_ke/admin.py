"""Daraja simulator controls, NOT part of Daraja's API: ``<sim>/daraja/_sim/...``.

Apps (what Safaricom's portal holds: consumer key and secret, shortcode, passkey, the
reversal initiator), inspection of pushes (with their callback attempts and reversals)
and reversals, forced answers, faults armed for the next calls (spike arrest, invalid
token), the certificate matching the simulator's private key, reset.
"""
from __future__ import annotations

from flask import Blueprint, Response, jsonify, request

from .keys import CERTIFICATE_PEM
from .rules import DarajaError
from .shapes import error_body, inspect_push, inspect_reversal
from .store import FAULTS, current_simulator, parse_account

admin_bp = Blueprint("admin", __name__)


@admin_bp.errorhandler(DarajaError)
def _refusal(exc: DarajaError):
    return jsonify(error_body(exc.code, exc.message)), exc.status


@admin_bp.put("/accounts/<account_id>")
def put_account(account_id: str):
    account = parse_account(account_id, request.get_json(silent=True))
    created = current_simulator().put_account(account)
    return jsonify(account.public()), 201 if created else 200


@admin_bp.get("/accounts/<account_id>")
def get_account(account_id: str):
    account = current_simulator().get_account(account_id)
    if account is None:
        raise DarajaError(404, "404.001.01", "Resource not found")
    return jsonify(account.public()), 200


@admin_bp.get("/transactions")
def list_transactions():
    return jsonify(current_simulator().pushes(inspect_push)), 200


@admin_bp.get("/transactions/<checkout_request_id>")
def inspect_transaction(checkout_request_id: str):
    return jsonify(current_simulator().render(checkout_request_id, inspect_push)), 200


@admin_bp.post("/transactions/<checkout_request_id>/complete")
def complete_transaction(checkout_request_id: str):
    """Answer a push now: ``{"result_code": 0 | 1032 | ..., "result_desc": optional}``."""
    body = request.get_json(silent=True)
    code = body.get("result_code") if isinstance(body, dict) else None
    desc = body.get("result_desc") if isinstance(body, dict) else None
    if isinstance(code, bool) or not isinstance(code, int) or \
            (desc is not None and not isinstance(desc, str)):
        raise DarajaError(400, "400.002.02", "Bad Request - Invalid result_code")
    sim = current_simulator()
    sim.complete(checkout_request_id, code, desc)
    return jsonify(sim.render(checkout_request_id, inspect_push)), 200


@admin_bp.get("/reversals/<originator_conversation_id>")
def inspect_reversal_view(originator_conversation_id: str):
    return jsonify(current_simulator().reversal(originator_conversation_id,
                                                inspect_reversal)), 200


@admin_bp.post("/faults")
def arm_faults():
    """``{"spike_arrest": n, "invalid_token": n}``: the next n API calls answer so."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not body or any(
            k not in FAULTS or isinstance(v, bool) or not isinstance(v, int) or v < 0
            for k, v in body.items()):
        raise DarajaError(400, "400.002.02", f"Bad Request - faults are {', '.join(FAULTS)}")
    return jsonify(current_simulator().arm_faults(body)), 200


@admin_bp.get("/certificate")
def certificate():
    """The certificate whose public key encrypts initiator passwords for this simulator."""
    return Response(CERTIFICATE_PEM, mimetype="application/x-pem-file")


@admin_bp.post("/reset")
def reset():
    current_simulator().reset()
    return jsonify(message="reset"), 200
