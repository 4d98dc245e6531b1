"""The JSON bodies the Daraja simulator sends: the STK callback (4.4, items in no fixed
order, ``Balance`` without a Value), the STK query answer (4.5, ResultCode a string), the
reversal Result (Reversal page) and the _sim inspection views."""
from __future__ import annotations

import random
import secrets

from .models import Push, Reversal
from .rules import EAT


def request_id() -> str:
    return f"{secrets.token_hex(2)}-{secrets.token_hex(2)}-{secrets.token_hex(2)}-" \
           f"{secrets.token_hex(6)}{secrets.randbelow(10 ** 7)}"


def error_body(code: str, message: str) -> dict:
    return {"requestId": request_id(), "errorCode": code, "errorMessage": message}


def push_accepted(push: Push) -> dict:
    text = "Success. Request accepted for processing"
    return {"MerchantRequestID": push.merchant_request_id,
            "CheckoutRequestID": push.checkout_request_id, "ResponseCode": "0",
            "ResponseDescription": text, "CustomerMessage": text}


def stk_callback(push: Push) -> dict:
    """The callback of a resolved push: metadata only on success, read by name."""
    body = {"MerchantRequestID": push.merchant_request_id,
            "CheckoutRequestID": push.checkout_request_id,
            "ResultCode": push.result_code, "ResultDesc": push.result_desc}
    if push.result_code == 0:
        items = [{"Name": "Amount", "Value": float(push.amount)},
                 {"Name": "MpesaReceiptNumber", "Value": push.receipt},
                 {"Name": "Balance"},
                 {"Name": "TransactionDate",
                  "Value": int(push.completed_at.astimezone(EAT).strftime("%Y%m%d%H%M%S"))},
                 {"Name": "PhoneNumber", "Value": int(push.msisdn)}]
        body["CallbackMetadata"] = {"Item": random.sample(items, len(items))}
    return {"Body": {"stkCallback": body}}


def query_answer(push: Push) -> dict:
    return {"ResponseCode": "0",
            "ResponseDescription": "The service request has been accepted successsfully",
            "MerchantRequestID": push.merchant_request_id,
            "CheckoutRequestID": push.checkout_request_id,
            "ResultCode": str(push.result_code), "ResultDesc": push.result_desc}


def reversal_accepted(rev: Reversal) -> dict:
    return {"OriginatorConversationID": rev.originator_conversation_id,
            "ConversationID": rev.conversation_id, "ResponseCode": "0",
            "ResponseDescription": "Accept the service request successfully."}


def reversal_result(rev: Reversal, push: Push | None, shortcode: str) -> dict:
    """The Result POSTed to ResultURL: ResultCode 0 (a number) with ResultParameters on
    success, the failure code (a string, "R000002") without them otherwise."""
    code: int | str = 0 if rev.result_code == "0" else rev.result_code
    result = {"ResultType": 0, "ResultCode": code, "ResultDesc": rev.result_desc,
              "OriginatorConversationID": rev.originator_conversation_id,
              "ConversationID": rev.conversation_id,
              "TransactionID": rev.receipt or "SKE0000000"}
    if code == 0 and push is not None:
        done = push.completed_at.astimezone(EAT).strftime("%Y%m%d%H%M%S")
        params = [
            {"Key": "DebitAccountBalance", "Value": "Utility Account|KES|100000.00|100000.00"
                                                    "|0.00|0.00"},
            {"Key": "Amount", "Value": float(rev.amount)},
            {"Key": "TransCompletedTime", "Value": int(done)},
            {"Key": "OriginalTransactionID", "Value": rev.transaction_id},
            {"Key": "Charge", "Value": 0.0},
            {"Key": "CreditPartyPublicName", "Value": f"{push.msisdn} - SIM SHOPPER"},
            {"Key": "DebitPartyPublicName", "Value": f"{shortcode} - Daraja Simulator"}]
        result["ResultParameters"] = {"ResultParameter": params}
    result["ReferenceData"] = {"ReferenceItem": {"Key": "QueueTimeoutURL",
                                                 "Value": rev.queue_timeout_url}}
    return {"Result": result}


def inspect_push(push: Push, reversals: list[Reversal]) -> dict:
    return {"CheckoutRequestID": push.checkout_request_id,
            "MerchantRequestID": push.merchant_request_id, "account": push.account_id,
            "scenario": push.scenario.name, "shortcode": push.shortcode,
            "TransactionType": push.transaction_type, "PartyB": push.party_b,
            "amount": push.amount, "msisdn": push.msisdn, "CallBackURL": push.callback_url,
            "AccountReference": push.account_reference,
            "TransactionDesc": push.description, "created_at": push.created_at.isoformat(),
            "status": "processing" if not push.resolved else
            ("success" if push.result_code == 0 else "failed"),
            "ResultCode": push.result_code, "ResultDesc": push.result_desc,
            "MpesaReceiptNumber": push.receipt, "reversed_by": push.reversed_by,
            "callbacks": [dict(c) for c in push.callbacks],
            "reversals": [inspect_reversal(r) for r in reversals]}


def inspect_reversal(rev: Reversal) -> dict:
    return {"OriginatorConversationID": rev.originator_conversation_id,
            "ConversationID": rev.conversation_id, "TransactionID": rev.transaction_id,
            "amount": rev.amount, "ResultURL": rev.result_url,
            "credential_ok": rev.credential_ok, "ResultCode": rev.result_code,
            "ResultDesc": rev.result_desc, "deliveries": [dict(d) for d in rev.deliveries]}
