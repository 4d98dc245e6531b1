"""Chapa adapter, initialize (providers.md 2.2): the request we send and how every answer
maps onto our result and typed errors."""
import json
import re
from dataclasses import replace

import pytest
import requests
import responses

from checkout.gateways.base import PaymentRequest
from checkout.gateways.chapa.wire import tx_ref_for
from checkout.gateways.errors import (
    GatewayAuthError,
    GatewayDeclined,
    GatewayNotSupported,
    GatewayUnavailable,
)

from .conftest import INIT, NOTIFY, PAY_ID, SECRET_KEY

PAGE = "https://checkout.chapa.co/checkout/payment/V38JyhpTygC9QimkJrdful9oEjih0heIv53eJ1MsJS6xG"
RETURN = f"https://pay.test/c/cs_1/return?payment={PAY_ID}"


def req(**kw):
    base = dict(payment_id=PAY_ID, method="chapa", amount=10050, currency="ETB", phone=None,
                description="Order 42", return_url=RETURN, cancel_url=RETURN)
    base.update(kw)
    return PaymentRequest(**base)


def ok(rsps, status=200, body=None):
    rsps.add(responses.POST, INIT, status=status, json=body if body is not None else
             {"message": "Hosted Link", "status": "success", "data": {"checkout_url": PAGE}})


def sent(rsps):
    return json.loads(rsps.calls[-1].request.body)


def refusal(message):
    return {"message": message, "status": "failed", "data": None}


def test_the_method_is_a_redirect_to_chapa_in_ethiopia(gw):
    (method,) = gw.methods.values()
    assert (method.code, method.gateway, method.kind, method.label, method.country) == \
        ("chapa", "chapa", "card", "Chapa", "ET")
    assert method.currencies == ("ETB", "USD")
    assert not method.needs_phone and not method.needs_email
    assert gw.supports_refund and not gw.notifications_need_confirmation
    assert gw.test_base_path == "/chapa" and gw.live_base_url == "https://api.chapa.co"
    assert list(gw.poll_schedule) == sorted(gw.poll_schedule) and gw.deadline_seconds == 1800


def test_request_url_headers_and_body(gw, account, http_mock):
    ok(http_mock)
    result = gw.initiate(account, req(customer_name="Abebe Bikila Tesfaye",
                                      customer_email="abebe@example.et"))
    call = http_mock.calls[0].request
    assert call.url == INIT and call.method == "POST"
    assert call.headers["Authorization"] == f"Bearer {SECRET_KEY}"
    assert call.headers["Content-Type"] == "application/json"
    assert call.req_kwargs["timeout"] == (5, 30)
    assert sent(http_mock) == {
        "amount": "100.50", "currency": "ETB", "tx_ref": PAY_ID, "callback_url": NOTIFY,
        "return_url": RETURN, "customization[title]": "Order 42",
        "customization[description]": "Order 42", "email": "abebe@example.et",
        "first_name": "Abebe Bikila", "last_name": "Tesfaye"}
    assert (result.status, result.provider_reference) == ("pending", PAY_ID)
    assert (result.next_action.type, result.next_action.url) == ("redirect", PAGE)


@pytest.mark.parametrize("amount, currency, text", [
    (10050, "ETB", "100.50"), (1050, "ETB", "10.50"), (1000, "USD", "10.00"),
    (1, "ETB", "0.01"), (5, "USD", "0.05"), (100, "ETB", "1.00"),
    (123456789, "ETB", "1234567.89"), (1050, "USD", "10.50"),
])
def test_amount_is_a_major_unit_decimal_string(gw, account, http_mock, amount, currency, text):
    ok(http_mock)
    gw.initiate(account, req(amount=amount, currency=currency))
    body = sent(http_mock)
    assert body["amount"] == text and isinstance(body["amount"], str)
    assert body["currency"] == currency


def test_no_email_or_name_is_sent_when_unknown(gw, account, http_mock):
    ok(http_mock)
    gw.initiate(account, req(customer_email=None, customer_name=None))
    assert not {"email", "first_name", "last_name", "phone_number"} & set(sent(http_mock))


def test_one_word_name_is_a_first_name(gw, account, http_mock):
    ok(http_mock)
    gw.initiate(account, req(customer_name="  Abebe "))
    assert (sent(http_mock)["first_name"], "last_name" in sent(http_mock)) == ("Abebe", False)


@pytest.mark.parametrize("payment_id", [
    PAY_ID, "pay_x", "pay with spaces/and/slashes", "p" * 80, "pay_é€", "../../etc", "",
])
def test_tx_ref_charset_length_and_stability(gw, account, http_mock, payment_id):
    ok(http_mock)
    result = gw.initiate(account, req(payment_id=payment_id))
    tx_ref = sent(http_mock)["tx_ref"]
    assert re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,49}", tx_ref)
    assert tx_ref == result.provider_reference == tx_ref_for(payment_id)
    if re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,49}", payment_id):
        assert tx_ref == payment_id


def test_different_payments_get_different_tx_refs():
    assert len({tx_ref_for(p) for p in ("a/b", "a b", "a?b", "p" * 60, "p" * 61)}) == 5


@pytest.mark.parametrize("description, title, text", [
    ("Order 42", "Order 42", "Order 42"),
    ("Commande n°42 — café & thé!", "Commande n 42", "Commande n 42 cafe the"),
    ("A very long merchant order description that goes on", "A very long",
     "A very long merchant order description that goes"),
    ("€€€", "Payment", None),
])
def test_customization_is_plain_and_short(gw, account, http_mock, description, title, text):
    ok(http_mock)
    gw.initiate(account, req(description=description))
    body = sent(http_mock)
    assert body["customization[title]"] == title and len(title) <= 16
    assert body.get("customization[description]") == text


@pytest.mark.parametrize("email", ["not-an-email", "a@b\x00c", "x" * 250 + "@e.et"])
def test_unusable_email_is_left_out(gw, account, http_mock, email):
    ok(http_mock)
    gw.initiate(account, req(customer_email=email))
    assert "email" not in sent(http_mock)


@pytest.mark.parametrize("change, code", [
    ({"currency": "XOF"}, "currency_not_supported"), ({"method": "mtn_bj"}, "method_not_supported"),
])
def test_not_chapas_is_refused_before_any_call(gw, account, change, code):
    with pytest.raises(GatewayNotSupported) as exc:
        gw.initiate(account, req(**change))
    assert exc.value.code == code


@pytest.mark.parametrize("amount", [0, -100, True, "100"])
def test_bad_amounts_are_refused_before_any_call(gw, account, amount):
    with pytest.raises(GatewayDeclined):
        gw.initiate(account, req(amount=amount))


@pytest.mark.parametrize("creds", [{}, {"secret_key": ""}, {"secret_key": "  "},
                                   {"webhook_secret": "x"}])
def test_missing_secret_key_is_an_auth_error(gw, account, creds):
    with pytest.raises(GatewayAuthError):
        gw.initiate(replace(account, credentials=creds), req())


@pytest.mark.parametrize("status, message, error, code", [
    (401, "Invalid API Key or User doesn't exist", GatewayAuthError, "gateway_auth_failed"),
    (401, "Authorization required", GatewayAuthError, "gateway_auth_failed"),
    (400, "Transaction reference has been used before", GatewayDeclined, "duplicate_reference"),
    (400, "Invalid currency, currency is not supported", GatewayDeclined,
     "currency_not_supported"),
    (400, 'Required Attribute: ["validation.required"]', GatewayDeclined, "invalid_request"),
    (400, {"phone_number": ["The phone number must be 10 digits"]}, GatewayDeclined,
     "invalid_phone"),
    (400, "User can't receive payments", GatewayAuthError, "account_cannot_receive"),
    (404, "Payments through API is disabled, please contact us", GatewayAuthError,
     "api_payments_disabled"),
    (400, "Something new", GatewayDeclined, "declined"),
    (429, "Too many requests", GatewayUnavailable, "rate_limited"),
    (500, "Server Error", GatewayUnavailable, "provider_error"),
    (502, "Bad gateway", GatewayUnavailable, "provider_unavailable"),
    (503, "Maintenance", GatewayUnavailable, "provider_maintenance"),
    (504, "Gateway timeout", GatewayUnavailable, "provider_timeout"),
])
def test_error_answers_map_to_typed_errors(gw, account, http_mock, status, message, error, code):
    ok(http_mock, status, refusal(message))
    with pytest.raises(error) as exc:
        gw.initiate(account, req())
    assert type(exc.value) is error and exc.value.code == code
    assert exc.value.http_status == status
    if error is GatewayDeclined:
        assert not exc.value.retryable
    if error is GatewayUnavailable:
        # No checkout_url reached the shopper: nothing can have been paid.
        assert exc.value.retryable and not exc.value.outcome_unknown


def test_5xx_html_body_is_unavailable(gw, account, http_mock):
    http_mock.add(responses.POST, INIT, status=502, body="<html>Bad gateway</html>")
    with pytest.raises(GatewayUnavailable) as exc:
        gw.initiate(account, req())
    assert "Chapa" in exc.value.message


@pytest.mark.parametrize("failure", [requests.ReadTimeout(), requests.ConnectTimeout(),
                                     requests.ConnectionError()])
def test_timeouts_and_connection_errors_are_unavailable_never_unknown(gw, account, http_mock,
                                                                      failure):
    http_mock.add(responses.POST, INIT, body=failure)
    with pytest.raises(GatewayUnavailable) as exc:
        gw.initiate(account, req())
    assert exc.value.retryable and not exc.value.outcome_unknown


@pytest.mark.parametrize("body", [
    {"message": "Hosted Link", "status": "success", "data": None},
    {"message": "Hosted Link", "status": "success", "data": {"checkout_url": "javascript:x"}},
    {"message": "Hosted Link", "status": "failed", "data": {"checkout_url": PAGE}},
    {"message": "Hosted Link", "status": "success", "data": {"checkout_url": 12}},
    [1, 2],
])
def test_2xx_without_a_usable_checkout_url_is_unavailable(gw, account, http_mock, body):
    ok(http_mock, 200, body)
    with pytest.raises(GatewayUnavailable) as exc:
        gw.initiate(account, req())
    assert exc.value.code == "invalid_response"


def test_live_mode_refuses_a_plain_http_page(gw, account, http_mock):
    live = replace(account, livemode=True, base_url="https://api.chapa.co")
    http_mock.add(responses.POST, "https://api.chapa.co/v1/transaction/initialize",
                  json={"status": "success", "data": {"checkout_url": "http://evil.test/p"}})
    with pytest.raises(GatewayUnavailable):
        gw.initiate(live, req())


def test_test_mode_accepts_the_simulators_http_page(gw, account, http_mock):
    ok(http_mock, 200, {"status": "success", "data": {"checkout_url": "http://sim.test/chapa/"
                                                                      "checkout/tok"}})
    assert gw.initiate(account, req()).next_action.url == "http://sim.test/chapa/checkout/tok"
