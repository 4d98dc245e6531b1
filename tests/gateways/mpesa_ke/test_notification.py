"""Callbacks: STK results read by item name, the optional sender allow-list, malformed
bodies, and reversal Results (to ResultURL or QueueTimeOutURL)."""
import json
import random
from dataclasses import replace

import pytest

from checkout.gateways.errors import WebhookVerificationError

from .conftest import CREDS, CRID


def callback(code=0, items=None, desc="The service request is processed successfully."):
    stk = {"MerchantRequestID": "29115-34620561-1", "CheckoutRequestID": CRID,
           "ResultCode": code, "ResultDesc": desc}
    if items is not None:
        stk["CallbackMetadata"] = {"Item": items}
    return json.dumps({"Body": {"stkCallback": stk}}).encode()


ITEMS = [{"Name": "Amount", "Value": 1500.00}, {"Name": "MpesaReceiptNumber",
                                                "Value": "NLJ7RT61SV"},
         {"Name": "Balance"}, {"Name": "TransactionDate", "Value": 20191219102115},
         {"Name": "PhoneNumber", "Value": 254708374149}]


@pytest.mark.parametrize("seed", range(4))
def test_success_callback_items_are_read_by_name(gw, account, seed):
    items = random.Random(seed).sample(ITEMS, len(ITEMS))
    body = json.dumps({"Body": {"stkCallback": {
        "MerchantRequestID": "1", "CheckoutRequestID": CRID, "ResultCode": 0,
        "ResultDesc": "ok", "CallbackMetadata": {"Item": items}}}}).replace(
        "1500.0", "1500.00").encode()
    note = gw.parse_notification(account, {}, body)
    assert (note.provider_reference, note.dedup_key) == (CRID, f"{CRID}:0")
    r = note.result
    assert (r.status, r.amount, r.currency, r.receipt, r.phone) == \
        ("succeeded", 150000, "KES", "NLJ7RT61SV", "+254708374149")


def test_failed_callback_has_no_metadata(gw, account):
    note = gw.parse_notification(account, {}, callback(1032, desc="Request cancelled by user"))
    assert (note.result.status, note.result.failure_code, note.dedup_key) == \
        ("failed", "canceled", f"{CRID}:1032")
    assert note.result.amount is None and note.result.receipt is None


def test_a_masked_phone_is_left_out(gw, account):
    items = [dict(i) for i in ITEMS]
    items[-1]["Value"] = "2547******149"
    assert gw.parse_notification(account, {}, callback(0, items)).result.phone is None


@pytest.mark.parametrize("amount", ["abc", 10.005, -1, None])
def test_a_success_without_a_readable_amount_is_left_to_the_query(gw, account, amount):
    items = [dict(i) for i in ITEMS]
    items[0] = {"Name": "Amount", "Value": amount} if amount is not None else {"Name": "Amount"}
    note = gw.parse_notification(account, {}, callback(0, items))
    assert note.result is None and note.provider_reference == CRID


@pytest.mark.parametrize("body", [b"not json", b"[]", b'{"Body": {}}', b"{}",
                                  b'{"Body": {"stkCallback": {"ResultCode": 0}}}',
                                  b'{"Body": {"stkCallback": {"CheckoutRequestID": "ws_1"}}}',
                                  b'{"Result": {"ResultCode": 0}}', b"x" * 70000])
def test_malformed_notifications_are_refused(gw, account, body):
    with pytest.raises(WebhookVerificationError):
        gw.parse_notification(account, {}, body)


def test_allow_list_of_sender_addresses(gw, account):
    listed = replace(account, credentials={**CREDS, "allowed_ips": "196.201.214.200, "
                                                                   "196.201.214.206"})
    body = callback(1032)
    assert gw.parse_notification(listed, {"x-checkout-client-address": "196.201.214.206"},
                                 body).result.status == "failed"
    for headers in ({}, {"X-Checkout-Client-Address": "10.0.0.1"}):
        with pytest.raises(WebhookVerificationError):
            gw.parse_notification(listed, headers, body)
    assert gw.parse_notification(account, {"X-Checkout-Client-Address": "10.0.0.1"},
                                 body).result.status == "failed"


def result(code=0, kind=0, params=True):
    data = {"ResultType": kind, "ResultCode": code, "ResultDesc": "words",
            "OriginatorConversationID": "dad6-4c34-8787-c8cb963a496d1268232",
            "ConversationID": "AG_20211114_201018edbbf9f1582eaa", "TransactionID": "SKE52PAWR9",
            "ReferenceData": {"ReferenceItem": {"Key": "QueueTimeoutURL", "Value": "https://x"}}}
    if params:
        data["ResultParameters"] = {"ResultParameter": [
            {"Key": "DebitAccountBalance", "Value": "Utility Account|KES|7722179.62"},
            {"Key": "Amount", "Value": 15.00}, {"Key": "OriginalTransactionID",
                                                "Value": "SKC82PACB8"}]}
    return json.dumps({"Result": data}).encode()


def test_a_successful_reversal_result(gw, account):
    note = gw.parse_notification(account, {}, result())
    update = note.refund
    assert note.result is None
    assert (update.status, update.provider_reference, update.payment_reference,
            update.amount, update.currency) == \
        ("succeeded", "dad6-4c34-8787-c8cb963a496d1268232", None, 1500, "KES")
    assert note.provider_reference == update.provider_reference
    assert note.dedup_key == "reversal:dad6-4c34-8787-c8cb963a496d1268232:0:0"


@pytest.mark.parametrize("code,kind", [("R000002", 0), ("R000001", 0), ("2001", 0), (0, 1),
                                       ("SVC0403", 1)])
def test_failed_or_timed_out_reversals(gw, account, code, kind):
    update = gw.parse_notification(account, {}, result(code, kind, params=False)).refund
    assert update.status == "failed" and update.failure_message
