"""Chapa adapter, refunds (providers.md 2.6), their status by verify, and the test-mode
account plumbing (credentials, simulator registration)."""
import json
import re
from dataclasses import replace

import pytest
import requests
import responses

from checkout.gateways.errors import (
    GatewayAuthError,
    GatewayError,
    GatewayUnavailable,
    WebhookVerificationError,
)

from .conftest import NOTIFY, PAY_ID, REFUND, SECRET_KEY, SIM, VERIFY, WEBHOOK_SECRET, verify_body

QUEUED = {"message": "Refund queued", "status": "success",
          "data": {"tx_ref": PAY_ID, "amount": "150.50", "currency": "ETB"}}


def refund(gw, account, amount=15050, currency="ETB", reason="Damaged item"):
    return gw.refund(account, PAY_ID, amount, currency, reason, "re_123")


def test_refund_request_and_queued_answer(gw, account, http_mock):
    http_mock.add(responses.POST, REFUND, json=QUEUED)
    result = refund(gw, account)
    call = http_mock.calls[0].request
    assert call.url == REFUND and call.headers["Authorization"] == f"Bearer {SECRET_KEY}"
    assert json.loads(call.body) == {"amount": "150.50", "reason": "Damaged item",
                                     "reference": "re_123"}
    assert (result.status, result.provider_reference, result.failure_message) == \
        ("pending", None, None)


@pytest.mark.parametrize("amount, currency, text", [(100000, "ETB", "1000.00"),
                                                    (1050, "USD", "10.50"), (1, "ETB", "0.01")])
def test_refund_amount_is_a_major_unit_string(gw, account, http_mock, amount, currency, text):
    http_mock.add(responses.POST, REFUND, json=QUEUED)
    refund(gw, account, amount, currency, reason=None)
    assert json.loads(http_mock.calls[0].request.body) == {"amount": text, "reference": "re_123"}


@pytest.mark.parametrize("data_status, ours", [("refunded", "succeeded"), ("reversed", "succeeded"),
                                               ("queued", "pending"), ("success", "pending"),
                                               (None, "pending")])
def test_refund_is_done_only_when_the_answer_says_so(gw, account, http_mock, data_status, ours):
    http_mock.add(responses.POST, REFUND, json={**QUEUED, "data": {"status": data_status}})
    assert refund(gw, account).status == ours


@pytest.mark.parametrize("status, body", [
    (400, {"message": "Refund amount exceeds the refundable amount", "status": "failed"}),
    (404, {"message": "Invalid transaction or Transaction not found", "status": "failed"}),
    (200, {"message": "Insufficient balance", "status": "failed", "data": None}),
])
def test_refusals_are_failed_refunds_with_chapas_words(gw, account, http_mock, status, body):
    http_mock.add(responses.POST, REFUND, status=status, json=body)
    result = refund(gw, account)
    assert result.status == "failed" and body["message"] in result.failure_message


def test_bad_key_raises(gw, account, http_mock):
    http_mock.add(responses.POST, REFUND, status=401,
                  json={"message": "Invalid API Key or User doesn't exist", "status": "failed"})
    with pytest.raises(GatewayAuthError):
        refund(gw, account)


@pytest.mark.parametrize("failure, unknown", [
    (requests.ReadTimeout(), True), (requests.ConnectTimeout(), False),
    (requests.ConnectionError(), False),
])
def test_timeouts_say_whether_the_refund_may_be_queued(gw, account, http_mock, failure, unknown):
    http_mock.add(responses.POST, REFUND, body=failure)
    with pytest.raises(GatewayUnavailable) as exc:
        refund(gw, account)
    assert exc.value.outcome_unknown is unknown


@pytest.mark.parametrize("status, unknown", [(500, True), (502, False), (503, False),
                                             (504, True)])
def test_5xx_says_whether_the_refund_may_be_queued(gw, account, http_mock, status, unknown):
    http_mock.add(responses.POST, REFUND, status=status, json={"message": "x"})
    with pytest.raises(GatewayUnavailable) as exc:
        refund(gw, account)
    assert exc.value.outcome_unknown is unknown


@pytest.mark.parametrize("ref, amount, currency", [("../x", 100, "ETB"), (PAY_ID, 0, "ETB"),
                                                   (PAY_ID, 100, "XOF"), (PAY_ID, True, "ETB")])
def test_impossible_refunds_fail_without_a_call(gw, account, ref, amount, currency):
    assert gw.refund(account, ref, amount, currency, None, "re_1").status == "failed"


@pytest.mark.parametrize("status, ours", [("refunded", "succeeded"), ("reversed", "succeeded"),
                                          ("success", "pending"), ("pending", "pending")])
def test_fetch_refund_verifies_the_payment(gw, account, http_mock, status, ours):
    http_mock.add(responses.GET, VERIFY, json=verify_body(status=status))
    result = gw.fetch_refund(account, None, PAY_ID, "re_123")
    assert result.status == ours
    assert http_mock.calls[0].request.url == VERIFY


def test_fetch_refund_checks_mode_and_reference(gw, account, http_mock):
    http_mock.add(responses.GET, VERIFY, json=verify_body(status="refunded", mode="live"))
    http_mock.add(responses.GET, VERIFY, json=verify_body(status="refunded", tx_ref="pay_x"))
    for _ in range(2):
        with pytest.raises(WebhookVerificationError):
            gw.fetch_refund(account, None, PAY_ID, "re_123")


# -- test mode ---------------------------------------------------------------------------
def test_test_credentials_are_random_test_keys(gw):
    a, b = gw.test_credentials(), gw.test_credentials()
    assert set(a) == {"secret_key", "webhook_secret"} and a != b
    assert re.fullmatch(r"CHASECK_TEST-[A-Za-z0-9]{32}", a["secret_key"])
    assert len(a["webhook_secret"]) >= 32


def test_register_test_account_puts_the_dashboard_settings(gw, account, http_mock):
    http_mock.add(responses.PUT, f"{SIM}/_sim/accounts/{SECRET_KEY[-12:]}", status=201,
                  json={})
    assert gw.register_test_account(account, (1, 2)) == SECRET_KEY[-12:]
    call = http_mock.calls[0].request
    assert json.loads(call.body) == {"secret_key": SECRET_KEY, "webhook_secret": WEBHOOK_SECRET,
                                     "webhook_url": NOTIFY}
    assert call.req_kwargs["timeout"] == (1, 2)


def test_register_is_stable_for_a_key(gw, account, http_mock):
    http_mock.add(responses.PUT, f"{SIM}/_sim/accounts/{SECRET_KEY[-12:]}", json={})
    http_mock.add(responses.PUT, f"{SIM}/_sim/accounts/{SECRET_KEY[-12:]}", json={})
    assert gw.register_test_account(account, (1, 2)) == gw.register_test_account(account, (1, 2))


def test_register_refused_or_unreachable(gw, account, http_mock):
    url = f"{SIM}/_sim/accounts/{SECRET_KEY[-12:]}"
    http_mock.add(responses.PUT, url, status=400, json={"message": "no"})
    http_mock.add(responses.PUT, url, body=requests.ConnectionError())
    with pytest.raises(GatewayError) as refused:
        gw.register_test_account(account, (1, 2))
    assert not isinstance(refused.value, GatewayUnavailable)
    with pytest.raises(GatewayUnavailable):
        gw.register_test_account(account, (1, 2))


def test_register_without_a_key_is_an_auth_error(gw, account):
    with pytest.raises(GatewayAuthError):
        gw.register_test_account(replace(account, credentials={}), (1, 2))
