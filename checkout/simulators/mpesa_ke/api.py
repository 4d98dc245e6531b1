"""Daraja API simulator (docs/providers.md section 4), mounted under ``/daraja``.

A client written for ``https://sandbox.safaricom.co.ke`` works against ``<sim>/daraja`` by
changing only its base URL: the token, STK push, STK query and reversal endpoints keep
Daraja's own paths, methods, bodies and error envelope. Controls live under
``/daraja/_sim`` (``admin``).
"""
from __future__ import annotations

import base64
import binascii

from flask import Blueprint, Flask, jsonify, request

from .admin import admin_bp
from .models import Account
from .rules import (
    BUY_GOODS,
    INVALID_TOKEN,
    MSISDN_RE,
    PAYBILL,
    RECEIPT_RE,
    SHORTCODE_RE,
    DarajaError,
    bad,
    digits,
    load_config,
    shillings,
    text_field,
    timestamp,
    url_field,
)
from .shapes import error_body, push_accepted, query_answer, reversal_accepted
from .store import DarajaSimulator, current_simulator, now_utc

bp = Blueprint("mpesa_ke", __name__)
bp.register_blueprint(admin_bp, url_prefix="/_sim")


def init_app(app: Flask, config: dict | None = None, url_prefix: str = "/daraja") \
        -> DarajaSimulator:
    """Mount the Daraja simulator on ``app``; raises ValueError on a bad config."""
    sim = DarajaSimulator(load_config(config))
    app.extensions.setdefault("simulators", {})["mpesa_ke"] = sim
    app.register_blueprint(bp, url_prefix=url_prefix)
    return sim


@bp.errorhandler(DarajaError)
def _refusal(exc: DarajaError):
    return jsonify(error_body(exc.code, exc.message)), exc.status


def _account() -> Account:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme != "Bearer" or not token.strip():
        raise DarajaError(404, INVALID_TOKEN, "Invalid Access Token")
    return current_simulator().account_for_token(token.strip())


def _body() -> dict:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise DarajaError(400, "400.002.02", "Bad Request - Invalid JSON")
    return body


def _password_fields(body: dict) -> dict:
    sim = current_simulator()
    password = body.get("Password")
    if not isinstance(password, str) or not password:
        raise bad("Password")
    return {"BusinessShortCode": digits(body, "BusinessShortCode", SHORTCODE_RE),
            "Password": password,
            "Timestamp": timestamp(body.get("Timestamp"), sim.cfg.timestamp_skew_seconds,
                                   now_utc())}


@bp.get("/oauth/v1/generate")
def generate_token():
    """Client-credentials token (4.2): Basic auth, ``grant_type=client_credentials``."""
    scheme, _, encoded = request.headers.get("Authorization", "").partition(" ")
    try:
        key, sep, secret = base64.b64decode(encoded.strip(), validate=True).decode() \
            .partition(":")
    except (ValueError, binascii.Error, UnicodeDecodeError):
        sep = ""
    if scheme != "Basic" or not sep:
        raise DarajaError(400, "400.008.01", "Invalid Authentication passed")
    if request.args.get("grant_type") != "client_credentials":
        raise DarajaError(400, "400.008.02", "Invalid grant type passed")
    token, seconds = current_simulator().issue_token(key, secret)
    return jsonify({"access_token": token, "expires_in": str(seconds)}), 200


@bp.post("/mpesa/stkpush/v1/processrequest")
def stk_push():
    """M-Pesa Express (4.3): every field checked, then accepted (ResponseCode "0")."""
    account, body = _account(), _body()
    fields = _password_fields(body)
    kind = body.get("TransactionType")
    if kind not in (PAYBILL, BUY_GOODS):
        raise bad("TransactionType")
    fields.update(TransactionType=kind, Amount=shillings(body.get("Amount")),
                  PartyA=digits(body, "PartyA", MSISDN_RE),
                  PartyB=digits(body, "PartyB", SHORTCODE_RE),
                  PhoneNumber=digits(body, "PhoneNumber", MSISDN_RE),
                  CallBackURL=url_field(body, "CallBackURL"),
                  AccountReference=text_field(body, "AccountReference", 12),
                  TransactionDesc=text_field(body, "TransactionDesc", 13))
    push = current_simulator().push(account, fields)
    return jsonify(push_accepted(push)), 200


@bp.post("/mpesa/stkpushquery/v1/query")
def stk_query():
    """STK query (4.5): 500 "The transaction is being processed" until answered."""
    account, body = _account(), _body()
    fields = _password_fields(body)
    crid = body.get("CheckoutRequestID")
    if not isinstance(crid, str) or not crid.strip() or len(crid) > 80:
        raise bad("CheckoutRequestID")
    fields["CheckoutRequestID"] = crid.strip()
    push = current_simulator().query(account, fields)
    return jsonify(query_answer(push)), 200


@bp.post("/mpesa/reversal/v1/request")
def reversal():
    """Reversal (Reversal page): accepted at once, the Result POSTed to ResultURL."""
    account, body = _account(), _body()
    if body.get("CommandID") != "TransactionReversal":
        raise bad("CommandID")
    initiator = text_field(body, "Initiator", 100)
    credential = body.get("SecurityCredential")
    if not isinstance(credential, str) or not credential.strip():
        raise bad("SecurityCredential")
    transaction = body.get("TransactionID")
    if not isinstance(transaction, str) or not RECEIPT_RE.fullmatch(transaction.strip()):
        raise bad("TransactionID")
    if str(body.get("RecieverIdentifierType", "")).strip() != "11":
        raise bad("RecieverIdentifierType")
    fields = {"Initiator": initiator, "SecurityCredential": credential.strip(),
              "TransactionID": transaction.strip(), "Amount": shillings(body.get("Amount")),
              "ReceiverParty": digits(body, "ReceiverParty", SHORTCODE_RE),
              "ResultURL": url_field(body, "ResultURL"),
              "QueueTimeOutURL": url_field(body, "QueueTimeOutURL"),
              "Remarks": text_field(body, "Remarks", 100, minimum=2),
              "Occasion": text_field(body, "Occasion", 100, minimum=0, required=False)}
    rev = current_simulator().reverse(account, fields)
    return jsonify(reversal_accepted(rev)), 200
