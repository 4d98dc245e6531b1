"""Paystack adapter, verify and the OTP step: the calls we make (providers.md 3.3, 3.4)
and how every answer maps onto a GatewayResult or a typed error."""
from datetime import UTC, datetime, timedelta

import pytest
import responses

from checkout.gateways.errors import (
    GatewayAuthError,
    GatewayDeclined,
    GatewayUnavailable,
    WebhookVerificationError,
)

from .conftest import KEY, PAY, REF, SIM, body_of, transaction

VERIFY = f"{SIM}/transaction/verify/{REF}"
OTP = f"{SIM}/charge/submit_otp"


def verified(rsps, http_status=200, **fields):
    rsps.add(responses.GET, VERIFY, status=http_status, json={
        "status": True, "message": "Verification successful", "data": transaction(**fields)})


def ago(seconds):
    moment = datetime.now(UTC) - timedelta(seconds=seconds)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def test_verify_is_a_get_by_our_reference_with_the_bearer(gw, account, http_mock):
    verified(http_mock)
    gw.fetch_status(account, REF, PAY)
    call = http_mock.calls[0].request
    assert (call.method, call.url) == ("GET", VERIFY)
    assert call.headers["Authorization"] == f"Bearer {KEY}"
    assert call.req_kwargs["timeout"] == (5, 25)


STATUSES = [  # fields, status, amount, currency, failure_code
    ({}, "succeeded", 150000, "NGN", None),
    ({"amount": "150000"}, "succeeded", 150000, "NGN", None),
    ({"amount": 149900}, "succeeded", 149900, "NGN", None),       # the service compares
    ({"currency": "xof", "amount": 500000}, "succeeded", 5000, "XOF", None),
    ({"currency": "GHS", "channel": "mobile_money"}, "succeeded", 150000, "GHS", None),
    ({"status": "reversed"}, "succeeded", 150000, "NGN", None),
    ({"status": "failed", "gateway_response": "Declined"}, "failed", None, "NGN", "declined"),
    ({"status": "failed", "gateway_response": "Insufficient Funds"}, "failed", None, "NGN",
     "insufficient_funds"),
    ({"status": "failed", "gateway_response": None}, "failed", None, "NGN", "declined"),
    ({"status": "abandoned", "created_at": ago(3600)}, "failed", None, "NGN", "abandoned"),
    # Paystack says abandoned for a page the shopper has not finished yet: not failed.
    ({"status": "abandoned", "created_at": ago(30)}, "pending", None, None, None),
    ({"status": "abandoned", "created_at": "yesterday-ish"}, "pending", None, None, None),
    ({"status": "abandoned", "created_at": None}, "pending", None, None, None),
    ({"status": "ongoing"}, "pending", None, None, None),
    ({"status": "pending"}, "pending", None, None, None),
    ({"status": "processing"}, "pending", None, None, None),
    ({"status": "queued"}, "pending", None, None, None),
    ({"status": "send_otp"}, "pending", None, None, None),
    ({"status": "something_new"}, "pending", None, None, None),
]


@pytest.mark.parametrize("fields, status, amount, currency, code", STATUSES)
def test_verify_statuses(gw, account, http_mock, fields, status, amount, currency, code):
    verified(http_mock, **fields)
    result = gw.fetch_status(account, REF, PAY)
    assert (result.status, result.provider_reference) == (status, REF)
    assert (result.amount, result.currency, result.failure_code) == (amount, currency, code)
    assert result.raw["reference"] == REF and "customer" not in result.raw


@pytest.mark.parametrize("fields", [{"amount": None}, {"amount": "12.5"}, {"amount": True},
                                    {"currency": None}, {"currency": "ABC"},
                                    {"currency": "XOF", "amount": 150050}])
def test_a_success_without_a_readable_amount_is_not_believed(gw, account, http_mock, fields):
    verified(http_mock, **fields)
    with pytest.raises(GatewayUnavailable) as exc:
        gw.fetch_status(account, REF, PAY)
    assert exc.value.code == "invalid_response"


@pytest.mark.parametrize("fields", [
    {"reference": "pay-SomeoneElse"}, {"reference": None},
    {"metadata": {"payment_id": "pay_SomeoneElse"}},
    {"domain": "live"}, {"domain": None},
])
def test_answers_about_another_payment_or_mode_are_refused(gw, account, http_mock, fields):
    verified(http_mock, **fields)
    with pytest.raises(WebhookVerificationError):
        gw.fetch_status(account, REF, PAY)


def test_a_live_account_wants_live_answers(gw, live_account, http_mock):
    http_mock.add(responses.GET, f"https://api.paystack.co/transaction/verify/{REF}",
                  json={"status": True, "message": "ok", "data": transaction(domain="test")})
    with pytest.raises(WebhookVerificationError):
        gw.fetch_status(live_account, REF, PAY)


def test_a_reference_that_is_not_this_payments_is_refused_without_a_call(gw, account,
                                                                          http_mock):
    with pytest.raises(WebhookVerificationError):
        gw.fetch_status(account, "pay-SomeoneElse", PAY)
    with pytest.raises(GatewayDeclined):
        gw.fetch_status(account, "../../refund", PAY)
    assert len(http_mock.calls) == 0


def test_unknown_reference_is_not_an_outcome(gw, account, http_mock):
    http_mock.add(responses.GET, VERIFY, status=400,
                  json={"status": False, "message": "Transaction reference not found"})
    with pytest.raises(GatewayDeclined) as exc:
        gw.fetch_status(account, REF, PAY)
    assert exc.value.code == "unknown_reference" and exc.value.retryable


@pytest.mark.parametrize("status, error", [(401, GatewayAuthError), (500, GatewayUnavailable),
                                           (503, GatewayUnavailable)])
def test_verify_errors(gw, account, http_mock, status, error):
    http_mock.add(responses.GET, VERIFY, status=status, json={"status": False, "message": "x"})
    with pytest.raises(error):
        gw.fetch_status(account, REF, PAY)


def otp_answer(rsps, data=None, status=200, message="Charge attempted", ok=True):
    body = {"status": ok, "message": message}
    if data is not None:
        body["data"] = {"reference": REF, **data}
    rsps.add(responses.POST, OTP, status=status, json=body)


def test_submit_step_sends_the_otp_and_follows_the_charge(gw, account, http_mock):
    otp_answer(http_mock, {"status": "pay_offline", "display_text": "Approve on phone"})
    result = gw.submit_step(account, REF, {"otp": " 123456 "})
    call = http_mock.calls[0].request
    assert (call.method, call.url) == ("POST", OTP)
    assert call.headers["Authorization"] == f"Bearer {KEY}"
    assert body_of(http_mock) == {"otp": "123456", "reference": REF}
    assert (result.status, result.next_action.type, result.failure_code) == \
        ("pending", "approve_on_phone", None)
    assert result.next_action.message == "Approve on phone"


@pytest.mark.parametrize("message, code", [
    ("Provided registration token is invalid", "invalid_otp"),
    ("Too many attempts. You have to wait for 10 minutes to try again", "too_many_attempts"),
])
def test_a_wrong_otp_asks_again(gw, account, http_mock, message, code):
    otp_answer(http_mock, {"status": "send_otp", "display_text": "Dial *110#"}, status=400,
               message=message, ok=False)
    result = gw.submit_step(account, REF, {"otp": "000000"})
    assert (result.status, result.next_action.type, result.failure_code) == \
        ("pending", "otp", code)
    assert result.next_action.message == "Dial *110#" and message in result.failure_message


@pytest.mark.parametrize("data", [{}, {"otp": ""}, {"otp": "12 34"}, {"otp": "1" * 20},
                                  {"otp": "<script>"}])
def test_a_malformed_otp_is_not_sent(gw, account, http_mock, data):
    result = gw.submit_step(account, REF, data)
    assert (result.status, result.next_action.type, result.failure_code) == \
        ("pending", "otp", "invalid_otp")
    assert len(http_mock.calls) == 0


def test_submit_step_outcomes(gw, account, http_mock):
    otp_answer(http_mock, {"status": "success", "amount": 150000})
    assert gw.submit_step(account, REF, {"otp": "123456"}).status == "pending"
    otp_answer(http_mock, {"status": "failed", "gateway_response": "Insufficient funds"})
    with pytest.raises(GatewayDeclined) as exc:
        gw.submit_step(account, REF, {"otp": "123456"})
    assert exc.value.code == "insufficient_funds"
    otp_answer(http_mock, None, status=400, message="Transaction reference not found",
               ok=False)
    with pytest.raises(GatewayDeclined) as exc:
        gw.submit_step(account, REF, {"otp": "123456"})
    assert exc.value.code == "unknown_reference"
    otp_answer(http_mock, None, status=401, message="Invalid key", ok=False)
    with pytest.raises(GatewayAuthError):
        gw.submit_step(account, REF, {"otp": "123456"})
