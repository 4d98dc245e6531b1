"""Chapa adapter, verify (providers.md 2.4): how every answer maps onto our result, and the
checks of tx_ref and mode that keep another payment's or another mode's answer out."""
import json
from dataclasses import replace
from decimal import Decimal

import pytest
import requests
import responses

from checkout.gateways.errors import (
    GatewayAuthError,
    GatewayDeclined,
    GatewayUnavailable,
    WebhookVerificationError,
)

from .conftest import PAY_ID, SECRET_KEY, SIM, VERIFY, verify_body


def answer(rsps, **data):
    rsps.add(responses.GET, VERIFY, json=verify_body(**data))


@pytest.mark.parametrize("reported, ours, code", [
    ("success", "succeeded", None), ("pending", "pending", None),
    ("failed", "failed", "declined"), ("cancelled", "failed", "canceled"),
    ("refunded", "succeeded", None), ("reversed", "succeeded", None),
    ("SUCCESS", "succeeded", None), ("something new", "pending", None),
])
def test_data_status_maps_to_ours(gw, account, http_mock, reported, ours, code):
    answer(http_mock, status=reported)
    result = gw.fetch_status(account, PAY_ID, PAY_ID)
    assert (result.status, result.failure_code) == (ours, code)
    assert (result.provider_reference, result.amount, result.currency) == (PAY_ID, 10000, "ETB")
    call = http_mock.calls[0].request
    assert call.url == VERIFY and call.method == "GET"
    assert call.headers["Authorization"] == f"Bearer {SECRET_KEY}"
    assert call.req_kwargs["timeout"] == (5, 20)


@pytest.mark.parametrize("amount, currency, minor", [
    (100, "ETB", 10000), ("100", "ETB", 10000), ("10.50", "ETB", 1050), (10.5, "ETB", 1050),
    ("400.00", "USD", 40000), (0.01, "USD", 1), (1234567.89, "ETB", 123456789),
])
def test_amount_comes_back_in_minor_units_without_float(gw, account, http_mock, amount,
                                                        currency, minor):
    answer(http_mock, amount=amount, currency=currency)
    result = gw.fetch_status(account, PAY_ID, PAY_ID)
    assert (result.amount, result.currency) == (minor, currency)


def test_amount_as_a_json_number_is_read_as_decimal(gw, account, http_mock):
    http_mock.add(responses.GET, VERIFY, body=verify_body_text("0.29"))
    assert gw.fetch_status(account, PAY_ID, PAY_ID).amount == 29    # float(0.29)*100 = 28.999..


def verify_body_text(number):
    body = json.dumps(verify_body(amount="AMOUNT"))
    return body.replace('"AMOUNT"', number)


@pytest.mark.parametrize("amount", [None, "", "abc", "10.505", -5, True, "1e30", [1]])
def test_success_without_a_readable_amount_is_unavailable(gw, account, http_mock, amount):
    answer(http_mock, amount=amount)
    with pytest.raises(GatewayUnavailable) as exc:
        gw.fetch_status(account, PAY_ID, PAY_ID)
    assert exc.value.code == "invalid_response"


def test_pending_without_an_amount_is_fine(gw, account, http_mock):
    answer(http_mock, status="pending", amount=None)
    result = gw.fetch_status(account, PAY_ID, PAY_ID)
    assert (result.status, result.amount) == ("pending", None)


def test_unknown_currency_is_reported_as_none(gw, account, http_mock):
    answer(http_mock, status="failed", currency="XOF")
    assert gw.fetch_status(account, PAY_ID, PAY_ID).currency is None


@pytest.mark.parametrize("mode", ["live", None, "", "TEST-ish", 1])
def test_answer_in_another_mode_is_refused(gw, account, http_mock, mode):
    answer(http_mock, mode=mode)
    with pytest.raises(WebhookVerificationError) as exc:
        gw.fetch_status(account, PAY_ID, PAY_ID)
    assert exc.value.code == "mode_mismatch"


def test_live_account_wants_live_mode(gw, account, http_mock):
    live = replace(account, livemode=True, base_url="https://api.chapa.co")
    http_mock.add(responses.GET, f"https://api.chapa.co/v1/transaction/verify/{PAY_ID}",
                  json=verify_body(mode="live"))
    assert gw.fetch_status(live, PAY_ID, PAY_ID).status == "succeeded"


@pytest.mark.parametrize("tx_ref", ["pay_other", None, "", f"{PAY_ID}x", 42])
def test_answer_about_another_tx_ref_is_refused(gw, account, http_mock, tx_ref):
    answer(http_mock, tx_ref=tx_ref)
    with pytest.raises(WebhookVerificationError) as exc:
        gw.fetch_status(account, PAY_ID, PAY_ID)
    assert exc.value.code == "reference_mismatch"


def test_a_reference_that_is_not_this_payments_is_refused_before_any_call(gw, account):
    with pytest.raises(WebhookVerificationError) as exc:
        gw.fetch_status(account, "pay_someoneelse", PAY_ID)
    assert exc.value.code == "reference_mismatch"


def test_without_a_stored_reference_the_payments_own_tx_ref_is_verified(gw, account,
                                                                         http_mock):
    answer(http_mock)
    assert gw.fetch_status(account, None, PAY_ID).provider_reference == PAY_ID


@pytest.mark.parametrize("ref", ["../x", "a" * 51, "a b", "-x"])
def test_unusable_reference_is_unknown(gw, account, ref):
    with pytest.raises(GatewayDeclined) as exc:
        gw.fetch_status(account, ref, "")
    assert exc.value.code == "unknown_reference" and exc.value.retryable


@pytest.mark.parametrize("status, message, error, code", [
    (401, "Invalid API Key or User doesn't exist", GatewayAuthError, "gateway_auth_failed"),
    (404, "Invalid transaction or Transaction not found", GatewayDeclined, "unknown_reference"),
    (400, "Invalid transaction or Transaction not found", GatewayDeclined, "unknown_reference"),
    (500, "Server Error", GatewayUnavailable, "provider_error"),
    (503, "Down", GatewayUnavailable, "provider_maintenance"),
])
def test_error_answers(gw, account, http_mock, status, message, error, code):
    http_mock.add(responses.GET, VERIFY, status=status,
                  json={"message": message, "status": "failed", "data": None})
    with pytest.raises(error) as exc:
        gw.fetch_status(account, PAY_ID, PAY_ID)
    assert exc.value.code == code
    if code == "unknown_reference":
        assert exc.value.retryable    # never a payment outcome


@pytest.mark.parametrize("body", [b"<html>oops</html>", b"[]", b'{"status": "success"}',
                                  b'{"data": "x"}'])
def test_unreadable_2xx_is_unavailable(gw, account, http_mock, body):
    http_mock.add(responses.GET, VERIFY, body=body)
    with pytest.raises(GatewayUnavailable):
        gw.fetch_status(account, PAY_ID, PAY_ID)


def test_timeout_is_unavailable(gw, account, http_mock):
    http_mock.add(responses.GET, VERIFY, body=requests.ReadTimeout())
    with pytest.raises(GatewayUnavailable) as exc:
        gw.fetch_status(account, PAY_ID, PAY_ID)
    assert exc.value.retryable


def test_raw_keeps_no_personal_data(gw, account, http_mock):
    answer(http_mock)
    raw = gw.fetch_status(account, PAY_ID, PAY_ID).raw
    assert raw["reference"] == "APqDvY2v8l3" and raw["status"] == "success"
    assert not {"first_name", "last_name", "email"} & set(raw)
    assert all(not isinstance(v, (float, Decimal)) for v in raw.values())


def test_base_url_with_a_trailing_slash(gw, account, http_mock):
    answer(http_mock)
    assert gw.fetch_status(replace(account, base_url=SIM + "/"), PAY_ID, PAY_ID).amount == 10000
