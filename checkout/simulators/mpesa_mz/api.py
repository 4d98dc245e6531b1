"""Vodacom M-Pesa Mozambique API simulator (docs/providers.md section 5), mounted under
``/mpesa-mz``: each operation keeps its own path (trailing slash included), so a client of
``https://api.sandbox.vm.co.mz:<port>`` works against ``<sim>/mpesa-mz`` by changing only
its base URL (``ports.port_apps`` serves the real port layout too).

Every call needs ``Origin`` (any non-empty value: the portal's
``developer.mpesa.vm.co.mz`` and the SDKs' ``*`` both pass; a missing one is answered
INS-26, HTTP 400) and ``Authorization: Bearer <base64 RSA-PKCS#1 v1.5 of the API key>``,
checked by decrypting it with the simulator's private key (INS-2, HTTP 401)."""
from __future__ import annotations

from flask import Blueprint, Flask, jsonify, request

from .admin import admin_bp
from .keys import decrypt_token
from .rules import (
    INS,
    InsError,
    check_amount,
    check_msisdn,
    check_reference,
    check_shortcode,
    check_third_party,
    load_config,
    require,
    scenario_for,
)
from .store import Account, MpesaMzSimulator, Transaction, current_simulator

C2B = "/ipg/v1x/c2bPayment/singleStage/"
B2C = "/ipg/v1x/b2cPayment/"
B2B = "/ipg/v1x/b2bPayment/"
QUERY = "/ipg/v1x/queryTransactionStatus/"
REVERSAL = "/ipg/v1x/reversal/"
# providers.md 5.1: the real port of each operation.
PORTS = {18352: C2B, 18345: B2C, 18349: B2B, 18353: QUERY, 18354: REVERSAL}
PAYMENT_FIELDS = ("input_TransactionReference", "input_CustomerMSISDN", "input_Amount",
                  "input_ThirdPartyReference", "input_ServiceProviderCode")

bp = Blueprint("mpesa_mz", __name__)
bp.register_blueprint(admin_bp, url_prefix="/_sim")


def init_app(app: Flask, config: dict | None = None, url_prefix: str = "/mpesa-mz") \
        -> MpesaMzSimulator:
    """Mount the simulator on ``app``; raises ValueError on a bad config."""
    sim = MpesaMzSimulator(load_config(config))
    app.extensions.setdefault("simulators", {})["mpesa_mz"] = sim
    app.register_blueprint(bp, url_prefix=url_prefix)
    return sim


def answer(code: str, tpr: str | None = None, tx: Transaction | None = None,
           status: int | None = None, **extra: str):
    body = {"output_ResponseCode": code, "output_ResponseDesc": INS[code][1],
            "output_TransactionID": tx.transaction_id if tx and code == "INS-0" else "N/A",
            "output_ConversationID": tx.conversation_id if tx else "N/A",
            "output_ThirdPartyReference": tpr or "", **extra}
    return jsonify(body), status or INS[code][0]


@bp.errorhandler(InsError)
def _refusal(exc: InsError):
    return answer(exc.code, exc.third_party_reference)


def _account() -> Account:
    if not request.headers.get("Origin", "").strip():
        raise InsError("INS-26")
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    api_key = decrypt_token(token) if scheme == "Bearer" and token.strip() else None
    account = current_simulator().account_for_key(api_key) if api_key else None
    if account is None:
        raise InsError("INS-2")
    return account


def _fields() -> dict:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise InsError("INS-20")
    return body


def _payment(account: Account, payout: bool):
    """C2B and B2C share their fields (5.3); B2C debits the shortcode instead."""
    fields = require(_fields(), PAYMENT_FIELDS)
    tpr = check_third_party(fields["input_ThirdPartyReference"])
    check_shortcode(fields["input_ServiceProviderCode"], account.service_provider_code, tpr)
    check_reference(fields["input_TransactionReference"], tpr)
    msisdn = check_msisdn(fields["input_CustomerMSISDN"], tpr)
    amount = check_amount(fields["input_Amount"], tpr)
    scenario = scenario_for(msisdn, payout)
    if not scenario.record:           # refused at the door: the reference stays free
        raise InsError(scenario.code, tpr)
    sim = current_simulator()
    sim.claim(account, tpr)
    return sim.record(account, "b2c" if payout else "c2b", fields, amount, scenario), tpr


@bp.post(C2B)
def c2b_single_stage():
    """Pushes the PIN prompt and holds the request until the customer's answer is due
    (5.5); the transaction exists from the moment the request arrived."""
    tx, tpr = _payment(_account(), payout=False)
    if not current_simulator().wait_final(tx):
        return answer("INS-1", tpr, tx)
    return answer(tx.scenario.code, tpr, tx)


@bp.post(B2C)
def b2c_payment():
    tx, tpr = _payment(_account(), payout=True)
    return answer(tx.scenario.code, tpr, tx)


@bp.post(B2B)
def b2b_payment():
    account = _account()
    fields = require(_fields(), ("input_TransactionReference", "input_Amount",
                                 "input_ThirdPartyReference", "input_PrimaryPartyCode",
                                 "input_ReceiverPartyCode"))
    tpr = check_third_party(fields["input_ThirdPartyReference"])
    check_shortcode(fields["input_PrimaryPartyCode"], account.service_provider_code, tpr)
    check_reference(fields["input_TransactionReference"], tpr)
    amount = check_amount(fields["input_Amount"], tpr)
    receiver = fields["input_ReceiverPartyCode"]
    if not (receiver.isdigit() and 5 <= len(receiver) <= 6):
        raise InsError("INS-2002", tpr)
    sim = current_simulator()
    sim.claim(account, tpr)
    tx = sim.record(account, "b2b", fields, amount, scenario_for("", payout=True))
    return answer("INS-0", tpr, tx)


@bp.get(QUERY)
def query_transaction_status():
    """The state of a transaction by its ThirdPartyReference, TransactionID,
    ConversationID or TransactionReference; ``N/A`` when none is known (yet)."""
    account = _account()
    fields = require(request.args.to_dict(), ("input_QueryReference",
                                              "input_ThirdPartyReference",
                                              "input_ServiceProviderCode"))
    tpr = check_third_party(fields["input_ThirdPartyReference"])
    check_shortcode(fields["input_ServiceProviderCode"], account.service_provider_code, tpr)
    sim = current_simulator()
    sim.claim(account, tpr)
    tx = sim.find(account, fields["input_QueryReference"])
    if tx is None:
        return answer("INS-0", tpr, None, status=200, output_ResponseTransactionStatus="N/A")
    body = {"output_ResponseCode": "INS-0", "output_ResponseDesc": INS["INS-0"][1],
            "output_ResponseTransactionStatus": tx.status(),
            "output_ConversationID": tx.conversation_id,
            "output_ThirdPartyReference": tpr}
    if tx.final() and tx.scenario.code == "INS-0":
        body["output_TransactionID"] = tx.transaction_id
    return jsonify(body), 200


@bp.put(REVERSAL)
def reversal():
    """Reverse all or part of a completed C2B payment (5.3). The initiator and the
    security credential are compared with the registered ones (any non-empty value
    passes when the account registered none)."""
    account = _account()
    fields = require(_fields(), ("input_TransactionID", "input_SecurityCredential",
                                 "input_InitiatorIdentifier", "input_ThirdPartyReference",
                                 "input_ServiceProviderCode", "input_ReversalAmount"))
    tpr = check_third_party(fields["input_ThirdPartyReference"])
    check_shortcode(fields["input_ServiceProviderCode"], account.service_provider_code, tpr)
    if account.initiator_identifier not in (None, fields["input_InitiatorIdentifier"]):
        raise InsError("INS-24", tpr)
    if account.security_credential not in (None, fields["input_SecurityCredential"]):
        raise InsError("INS-25", tpr)
    amount = check_amount(fields["input_ReversalAmount"], tpr)
    sim = current_simulator()
    sim.claim(account, tpr)
    tx = sim.reverse(account, fields, amount)
    return answer("INS-0", tpr, tx, status=200)
