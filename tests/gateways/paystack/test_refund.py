"""Paystack adapter, refunds (providers.md 3.6) and the test-mode account plumbing."""
import re

import pytest
import requests
import responses

from checkout.gateways.errors import (
    GatewayAuthError,
    GatewayDeclined,
    GatewayError,
    GatewayNotSupported,
    GatewayUnavailable,
    WebhookVerificationError,
)

from .conftest import KEY, REF, SIM, body_of

REFUND = f"{SIM}/refund"


def queued(rsps, **data):
    rsps.add(responses.POST, REFUND, json={
        "status": True, "message": "Refund has been queued for processing",
        "data": {"transaction": {"id": 4100000001, "reference": REF, "amount": 150000},
                 "id": 15500001, "status": "pending", "amount": 50000, "currency": "NGN",
                 "domain": "test", "expected_at": "2026-01-08T10:00:00.000Z", **data}})


def test_refund_request_and_queued_answer(gw, account, http_mock):
    queued(http_mock)
    result = gw.refund(account, REF, 50000, "NGN", "Damaged item", "re_1")
    call = http_mock.calls[0].request
    assert (call.method, call.url) == ("POST", REFUND)
    assert call.headers["Authorization"] == f"Bearer {KEY}"
    assert body_of(http_mock) == {"transaction": REF, "amount": 50000,
                                  "merchant_note": "Damaged item"}
    assert (result.status, result.provider_reference) == ("pending", "15500001")


def test_refund_amount_in_subunits_and_no_note(gw, account, http_mock):
    queued(http_mock)
    gw.refund(account, REF, 5000, "XOF", None, "re_1")
    assert body_of(http_mock) == {"transaction": REF, "amount": 500000}


@pytest.mark.parametrize("data, status", [({"status": "processed"}, "succeeded"),
                                          ({"status": "processing"}, "pending"),
                                          ({"status": "failed"}, "failed")])
def test_refund_answer_statuses(gw, account, http_mock, data, status):
    queued(http_mock, **data)
    assert gw.refund(account, REF, 50000, "NGN", None, "re_1").status == status


@pytest.mark.parametrize("message", [
    "Your balance is not enough to fulfill this request", "Transaction has been fully reversed",
    "Cannot refund less than USD 1", "Transaction not found",
    "Refund amount cannot be more than the transaction amount",
])
def test_documented_refusals_are_failed_refunds(gw, account, http_mock, message):
    http_mock.add(responses.POST, REFUND, status=400, json={"status": False, "message": message})
    result = gw.refund(account, REF, 50000, "NGN", None, "re_1")
    assert (result.status, result.failure_message) == ("failed", message)


@pytest.mark.parametrize("answer, error, unknown", [
    ({"status": 401, "json": {"status": False, "message": "Invalid key"}}, GatewayAuthError,
     False),
    ({"status": 500, "json": {"status": False, "message": "oops"}}, GatewayUnavailable, False),
    ({"body": requests.ReadTimeout("slow")}, GatewayUnavailable, True),
])
def test_refund_errors(gw, account, http_mock, answer, error, unknown):
    http_mock.add(responses.POST, REFUND, **answer)
    with pytest.raises(error) as exc:
        gw.refund(account, REF, 50000, "NGN", None, "re_1")
    assert getattr(exc.value, "outcome_unknown", False) is unknown


def fetched(rsps, refund_id="15500001", http_status=200, **data):
    rsps.add(responses.GET, f"{REFUND}/{refund_id}", status=http_status, json={
        "status": True, "message": "Refund retrieved",
        "data": {"id": 15500001, "transaction": 4100000001, "transaction_reference": REF,
                 "domain": "test", "currency": "NGN", "amount": 50000, **data}})


@pytest.mark.parametrize("word, status", [("processed", "succeeded"), ("failed", "failed"),
                                          ("pending", "pending"), ("processing", "pending"),
                                          ("needs-attention", "pending")])
def test_fetch_refund(gw, account, http_mock, word, status):
    fetched(http_mock, status=word)
    result = gw.fetch_refund(account, "15500001", REF, "re_1")
    call = http_mock.calls[0].request
    assert (call.method, call.headers["Authorization"]) == ("GET", f"Bearer {KEY}")
    assert (result.status, result.provider_reference) == (status, "15500001")
    assert (result.failure_message is not None) is (status == "failed")


@pytest.mark.parametrize("data", [{"transaction_reference": "pay-SomeoneElse"},
                                  {"domain": "live"}])
def test_fetch_refund_of_another_transaction_or_mode(gw, account, http_mock, data):
    fetched(http_mock, **{"status": "processed", **data})
    with pytest.raises(WebhookVerificationError):
        gw.fetch_refund(account, "15500001", REF, "re_1")


@pytest.mark.parametrize("refund_reference", [None, "", "TRF_abc", "../1", "1" * 30])
def test_fetch_refund_needs_a_refund_id(gw, account, http_mock, refund_reference):
    with pytest.raises(GatewayNotSupported):
        gw.fetch_refund(account, refund_reference, REF, "re_1")
    assert len(http_mock.calls) == 0


def test_fetch_unknown_refund(gw, account, http_mock):
    http_mock.add(responses.GET, f"{REFUND}/99", status=404,
                  json={"status": False, "message": "Refund not found"})
    with pytest.raises(GatewayDeclined) as exc:
        gw.fetch_refund(account, "99", REF, "re_1")
    assert exc.value.code == "unknown_refund"


def test_test_credentials_are_random_test_keys(gw):
    first, second = gw.test_credentials(), gw.test_credentials()
    assert set(first) == {"secret_key"} and first != second
    assert re.fullmatch(r"sk_test_[0-9a-f]{40}", first["secret_key"])


def test_register_test_account(gw, account, http_mock):
    http_mock.add(responses.PUT, re.compile(rf"{SIM}/_sim/accounts/acct_[0-9a-f]{{16}}"),
                  status=201, json={})
    account_id = gw.register_test_account(account, (2, 3))
    call = http_mock.calls[0].request
    assert call.url == f"{SIM}/_sim/accounts/{account_id}"
    assert body_of(http_mock) == {"secret_key": KEY, "webhook_url": account.notify_url}
    assert call.req_kwargs["timeout"] == (2, 3)
    http_mock.add(responses.PUT, re.compile(rf"{SIM}/_sim/accounts/.*"), status=200, json={})
    assert gw.register_test_account(account, (2, 3)) == account_id     # stable per key


def test_register_test_account_refused(gw, account, http_mock):
    http_mock.add(responses.PUT, re.compile(rf"{SIM}/_sim/accounts/.*"), status=400, json={})
    with pytest.raises(GatewayError):
        gw.register_test_account(account, (2, 3))
