"""Query transaction status, reversal (our refund), B2C payouts and the test-mode
account (providers.md 5.3-5.6)."""
import re

import pytest
import requests
from responses import matchers

from checkout.gateways.base import PayoutRequest
from checkout.gateways.errors import (
    GatewayAuthError,
    GatewayNotSupported,
    GatewayUnavailable,
    WebhookVerificationError,
)
from checkout.gateways.mpesa_mz import wire
from checkout.simulators.mpesa_mz.keys import public_key_line

from .conftest import API_KEY, B2C, PAY, QUERY, REVERSAL, SIM, answer, api_key_of, body_of

TPR = wire.third_party_reference(PAY)


def status_answer(word, tx="4XDF12345"):
    body = {"output_ResponseCode": "INS-0", "output_ResponseDesc": "ok",
            "output_ResponseTransactionStatus": word, "output_ConversationID": "AG_1",
            "output_ThirdPartyReference": "Q"}
    if tx:
        body["output_TransactionID"] = tx
    return body


@pytest.mark.parametrize("word,status,code", [
    ("Completed", "succeeded", None), ("Cancelled", "failed", "canceled"),
    ("Expired", "failed", "timeout"), ("Failed", "failed", "declined"),
    ("Pending", "pending", None), ("N/A", "pending", None), ("Weird", "pending", None),
])
def test_status_words(gw, account, http_mock, word, status, code):
    http_mock.get(QUERY, json=status_answer(word), status=200)
    result = gw.fetch_status(account, TPR, PAY)
    assert (result.status, result.failure_code, result.provider_reference) == (status, code, TPR)
    if status == "succeeded":
        assert result.amount is None and result.receipt == "4XDF12345"
        assert not gw.status_has_amount


def test_the_query_names_the_payment_and_a_new_reference_each_time(gw, account, http_mock):
    http_mock.get(QUERY, json=status_answer("Pending"), status=200)
    gw.fetch_status(account, TPR, PAY)
    gw.fetch_status(account, TPR, PAY)
    params = [c.request.params for c in http_mock.calls]
    assert {p["input_QueryReference"] for p in params} == {TPR}
    assert {p["input_ServiceProviderCode"] for p in params} == {"171717"}
    mine = [p["input_ThirdPartyReference"] for p in params]
    assert mine[0] != mine[1] and all(len(m) == 20 and m != TPR for m in mine)
    assert api_key_of(http_mock.calls[0].request) == API_KEY
    assert http_mock.calls[0].request.headers["Origin"]


def test_completed_without_transaction_id_has_no_receipt(gw, account, http_mock):
    http_mock.get(QUERY, json=status_answer("Completed", tx=None), status=200)
    assert gw.fetch_status(account, TPR, PAY).receipt is None


@pytest.mark.parametrize("code", ["INS-14", "INS-18", "INS-997"])
def test_not_found_is_pending(gw, account, http_mock, code):
    http_mock.get(QUERY, json=answer(code), status=400)
    assert gw.fetch_status(account, TPR, PAY).status == "pending"


def test_status_errors(gw, account, http_mock):
    http_mock.get(QUERY, json=answer("INS-2"), status=401)
    with pytest.raises(GatewayAuthError):
        gw.fetch_status(account, TPR, PAY)
    http_mock.replace("GET", QUERY, json=answer("INS-10"), status=409)
    with pytest.raises(GatewayUnavailable):
        gw.fetch_status(account, TPR, PAY)


def test_a_reference_of_another_payment_is_refused(gw, account):
    with pytest.raises(WebhookVerificationError):
        gw.fetch_status(account, TPR, "pay_other")


def refund(gw, account, amount=50000, receipt="4XDF12345", refund_id="re_1"):
    return gw.refund(account, TPR, amount, "MZN", "changed mind", refund_id, receipt=receipt)


def test_reversal_request_and_success(gw, account, http_mock):
    http_mock.put(REVERSAL, json=answer(tx="5REV00001"), status=200)
    result = refund(gw, account)
    call = http_mock.calls[0]
    assert body_of(call) == {
        "input_TransactionID": "4XDF12345", "input_SecurityCredential": "secret1",
        "input_InitiatorIdentifier": "checkout_test",
        "input_ThirdPartyReference": wire.reversal_reference("re_1"),
        "input_ServiceProviderCode": "171717", "input_ReversalAmount": "500"}
    assert api_key_of(call.request) == API_KEY
    assert (result.status, result.provider_reference) == ("succeeded", "5REV00001")
    assert gw.partial_refunds


def test_reversal_needs_a_receipt(gw, account):
    with pytest.raises(GatewayNotSupported):
        refund(gw, account, receipt=None)


def test_reversal_needs_initiator_credentials(gw, account):
    creds = {k: v for k, v in account.credentials.items() if k != "security_credential"}
    with pytest.raises(GatewayAuthError):
        refund(gw, account.__class__(**{**account.__dict__, "credentials": creds}))


@pytest.mark.parametrize("status,code,expected", [
    (409, "INS-10", "pending"), (422, "INS-2006", "failed"), (400, "INS-18", "failed"),
    (400, "INS-15", "failed"),
])
def test_reversal_answers(gw, account, http_mock, status, code, expected):
    http_mock.put(REVERSAL, json=answer(code), status=status)
    result = refund(gw, account)
    assert result.status == expected
    assert expected != "failed" or code in result.failure_message


@pytest.mark.parametrize("failure", [requests.ReadTimeout("slow"), None])
def test_reversal_outcome_unknown(gw, account, http_mock, failure):
    if failure is None:
        http_mock.put(REVERSAL, json=answer("INS-1"), status=500)
    else:
        http_mock.put(REVERSAL, body=failure)
    with pytest.raises(GatewayUnavailable) as exc:
        refund(gw, account)
    assert exc.value.outcome_unknown


def test_reversal_refuses_a_partial_metical(gw, account):
    assert refund(gw, account, amount=50050).status == "failed"


@pytest.mark.parametrize("word,expected", [("Completed", "succeeded"), ("Failed", "failed"),
                                           ("N/A", "pending")])
def test_fetch_refund_queries_the_reversal_reference(gw, account, http_mock, word, expected):
    http_mock.get(QUERY, json=status_answer(word, tx="5REV00001"), status=200,
                  match=[matchers.query_param_matcher(
                      {"input_QueryReference": wire.reversal_reference("re_1")},
                      strict_match=False)])
    result = gw.fetch_refund(account, None, TPR, "re_1")
    assert result.status == expected
    assert expected != "succeeded" or result.provider_reference == "5REV00001"


def payout(phone="+258841234501", amount=20000):
    return PayoutRequest(payout_id="po_1", amount=amount, currency="MZN", phone=phone,
                         description="refund")


def test_payout_request_and_results(gw, account, http_mock):
    assert gw.supports_payout
    http_mock.post(B2C, json=answer(tx="6B2C00001"), status=201)
    result = gw.payout(account, payout())
    assert body_of(http_mock.calls[0]) == {
        "input_TransactionReference": "po1", "input_CustomerMSISDN": "258841234501",
        "input_Amount": "200", "input_ThirdPartyReference": wire.payout_reference("po_1"),
        "input_ServiceProviderCode": "171717"}
    assert (result.status, result.provider_reference) == ("succeeded", "6B2C00001")
    http_mock.replace("POST", B2C, json=answer("INS-2051"), status=400)
    failed = gw.payout(account, payout())
    assert (failed.status, failed.failure_code) == ("failed", "invalid_phone")
    http_mock.replace("POST", B2C, json=answer("INS-10"), status=409)
    assert gw.payout(account, payout()).status == "pending"


def test_test_credentials_and_registration(gw, account, http_mock):
    creds = gw.test_credentials()
    assert creds["public_key"] == public_key_line()
    assert creds["service_provider_code"] == "171717"
    assert creds["api_key"] != gw.test_credentials()["api_key"]
    http_mock.put(re.compile(re.escape(SIM) + r"/_sim/accounts/mz_[0-9a-f]{16}"), status=201,
                  json={}, match=[matchers.json_params_matcher({
                      "api_key": API_KEY, "service_provider_code": "171717",
                      "initiator_identifier": "checkout_test",
                      "security_credential": "secret1"})])
    assert gw.register_test_account(account, (2, 3)).startswith("mz_")
