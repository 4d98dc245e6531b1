"""Paystack adapter, starting a payment: the requests we send (providers.md 3.2, 3.4,
3.7) and how every answer maps onto a pending result or a typed error."""
import re
import secrets
import string
from dataclasses import replace

import pytest
import requests
import responses

from checkout.gateways.errors import (
    GatewayAuthError,
    GatewayDeclined,
    GatewayNotSupported,
    GatewayUnavailable,
)
from checkout.gateways.paystack.wire import reference_for

from .conftest import KEY, PAY, REF, SIM, body_of, request_for

INIT, CHARGE = f"{SIM}/transaction/initialize", f"{SIM}/charge"
AUTH_URL = "https://checkout.paystack.com/0peioxfhpn"


def init_ok(rsps, **data):
    rsps.add(responses.POST, INIT, json={"status": True, "message": "Authorization URL created",
             "data": {"authorization_url": AUTH_URL, "access_code": "0peioxfhpn",
                      "reference": REF, **data}})


def charge_answer(rsps, data, status=200, message="Charge attempted", ok=True):
    rsps.add(responses.POST, CHARGE, status=status,
             json={"status": ok, "message": message, "data": {"reference": REF, **data}})


def test_the_catalog(gw):
    methods = gw.methods
    assert set(methods) == {"paystack_card", "paystack_mtn_gh", "paystack_atl_gh",
                            "paystack_vod_gh", "paystack_mpesa_ke"}
    card = methods["paystack_card"]
    assert (card.kind, card.label, card.country, card.needs_phone) == \
        ("card", "Card (Paystack)", None, False)
    # XOF (Côte d'Ivoire) stays out until Paystack's rule for it is confirmed.
    assert set(card.currencies) == {"NGN", "GHS", "KES", "ZAR"}
    for code, country, currency in [("paystack_mtn_gh", "GH", "GHS"),
                                    ("paystack_atl_gh", "GH", "GHS"),
                                    ("paystack_vod_gh", "GH", "GHS"),
                                    ("paystack_mpesa_ke", "KE", "KES")]:
        m = methods[code]
        assert (m.kind, m.country, m.currencies, m.needs_phone) == \
            ("mobile_money", country, (currency,), True)
    assert all(m.needs_email and m.gateway == "paystack" for m in methods.values())
    assert (gw.test_base_path, gw.live_base_url) == ("/paystack", "https://api.paystack.co")
    assert gw.supports_refund and not gw.notifications_need_confirmation
    assert gw.deadline_seconds == 1800 and gw.poll_schedule == (5, 5, 10, 15, 30, 60)


def test_card_initializes_a_transaction_and_redirects(gw, account, http_mock):
    init_ok(http_mock)
    result = gw.initiate(account, request_for())
    call = http_mock.calls[0].request
    assert (call.method, call.url) == ("POST", INIT)
    assert call.headers["Authorization"] == f"Bearer {KEY}"
    assert call.headers["Content-Type"] == "application/json"
    assert call.req_kwargs["timeout"] == (5, 25)
    assert body_of(http_mock) == {
        "email": "ama@example.com", "amount": 150000, "currency": "NGN", "reference": REF,
        "callback_url": "https://pay.test/c/cs_1/return?payment=" + PAY,
        "channels": ["card", "bank", "ussd", "bank_transfer"],
        "metadata": {"payment_id": PAY,
                     "cancel_action": "https://pay.test/c/cs_1/cancel?payment=" + PAY}}
    assert (result.status, result.provider_reference) == ("pending", REF)
    assert (result.next_action.type, result.next_action.url) == ("redirect", AUTH_URL)


@pytest.mark.parametrize("currency, amount, sent, channels", [
    ("GHS", 2550, 2550, ["card"]), ("KES", 100, 100, ["card"]),
    ("ZAR", 9999, 9999, ["card", "eft"]),
])
def test_card_amount_in_subunits_and_channels_per_currency(gw, account, http_mock, currency,
                                                           amount, sent, channels):
    init_ok(http_mock)
    gw.initiate(account, request_for(currency=currency, amount=amount))
    body = body_of(http_mock)
    assert (body["amount"], body["currency"], body["channels"]) == (sent, currency, channels)
    assert type(body["amount"]) is int


def test_references_are_made_of_allowed_characters_and_one_to_one():
    assert reference_for("pay_Ab1") == "pay-Ab1"
    alphabet = string.ascii_letters + string.digits + "_-=.é/"
    ids = {"".join(secrets.choice(alphabet) for _ in range(6)) for _ in range(3000)}
    refs = {reference_for(i) for i in ids}
    assert len(refs) == len(ids)
    assert all(re.fullmatch(r"[A-Za-z0-9.=-]+", r) for r in refs)


@pytest.mark.parametrize("method, phone, provider, sent_phone, currency", [
    ("paystack_mtn_gh", "+233551234901", "mtn", "0551234901", "GHS"),
    ("paystack_atl_gh", "+233271234901", "atl", "0271234901", "GHS"),
    ("paystack_vod_gh", "+233201234901", "vod", "0201234901", "GHS"),
    ("paystack_mpesa_ke", "+254712345601", "mpesa", "+254712345601", "KES"),
])
def test_mobile_money_charge_body(gw, account, http_mock, method, phone, provider,
                                  sent_phone, currency):
    charge_answer(http_mock, {"status": "pay_offline", "display_text": "Approve on phone"})
    gw.initiate(account, request_for(method, phone=phone, currency=currency))
    call = http_mock.calls[0].request
    assert (call.method, call.url) == ("POST", CHARGE)
    assert call.headers["Authorization"] == f"Bearer {KEY}"
    assert body_of(http_mock) == {
        "email": "ama@example.com", "amount": 150000, "currency": currency, "reference": REF,
        "mobile_money": {"phone": sent_phone, "provider": provider},
        "metadata": {"payment_id": PAY}}


@pytest.mark.parametrize("data, action, message", [
    ({"status": "pay_offline", "display_text": "Approve on your phone"}, "approve_on_phone",
     "Approve on your phone"),
    ({"status": "send_otp", "display_text": "Dial *110# for a voucher"}, "otp",
     "Dial *110# for a voucher"),
    ({"status": "pending"}, "approve_on_phone", None),
    ({"status": "ongoing"}, "approve_on_phone", None),
    # A success in the charge answer is never believed: the first poll decides.
    ({"status": "success", "amount": 150000, "gateway_response": "Approved"},
     "approve_on_phone", None),
])
def test_charge_states_are_pending_with_the_next_step(gw, account, http_mock, data, action,
                                                      message):
    charge_answer(http_mock, data)
    result = gw.initiate(account, request_for("paystack_mtn_gh"))
    assert (result.status, result.provider_reference) == ("pending", REF)
    assert (result.next_action.type, result.next_action.message) == (action, message)
    assert result.raw["status"] == data["status"]


@pytest.mark.parametrize("status, ok", [(200, True), (400, False)])
@pytest.mark.parametrize("reason, code", [
    ("Insufficient funds in the wallet", "insufficient_funds"),
    ("Transaction declined by the customer", "declined"),
    ("Something odd", "declined"),
])
def test_failed_charge_is_a_refusal(gw, account, http_mock, status, ok, reason, code):
    charge_answer(http_mock, {"status": "failed", "gateway_response": reason}, status=status,
                  ok=ok)
    with pytest.raises(GatewayDeclined) as exc:
        gw.initiate(account, request_for("paystack_mtn_gh"))
    assert exc.value.code == code and reason in exc.value.message


def test_a_step_we_cannot_serve_is_a_refusal(gw, account, http_mock):
    charge_answer(http_mock, {"status": "send_pin"})
    with pytest.raises(GatewayDeclined) as exc:
        gw.initiate(account, request_for("paystack_mtn_gh"))
    assert exc.value.code == "unsupported_step"


@pytest.mark.parametrize("status, body, error, code, unknown", [
    (401, {"status": False, "message": "Invalid key"}, GatewayAuthError,
     "gateway_auth_failed", False),
    (401, {"status": False, "message": "Format is Authorization Bearer [secret key]"},
     GatewayAuthError, "gateway_auth_failed", False),
    (400, {"status": False, "message": "Duplicate Transaction Reference"}, GatewayDeclined,
     "duplicate", False),
    (400, {"status": False, "message": "Duplicate charge request for reference"},
     GatewayDeclined, "duplicate", False),
    (400, {"status": False, "message": "Invalid character in transaction reference"},
     GatewayDeclined, "invalid_reference", False),
    (400, {"status": False, "message": "Currency not supported by merchant"},
     GatewayDeclined, "currency_not_supported", False),
    (400, {"status": False, "message": "Please wait a few minutes and try again."},
     GatewayUnavailable, "rate_limited", False),
    (429, {"status": False, "message": "Too many requests"}, GatewayUnavailable,
     "rate_limited", False),
    (502, {"status": False, "message": "MTN is unreachable"}, GatewayUnavailable,
     "operator_unavailable", False),
    (504, "gateway timeout", GatewayUnavailable, "provider_timeout", True),
    (200, "<html>maintenance</html>", GatewayUnavailable, "invalid_response", True),
    (200, {"status": False, "message": "?"}, GatewayUnavailable, "invalid_response", True),
])
@pytest.mark.parametrize("method, url", [("paystack_card", INIT), ("paystack_mtn_gh", CHARGE)])
def test_error_answers(gw, account, http_mock, method, url, status, body, error, code,
                       unknown):
    kw = {"body": body} if isinstance(body, str) else {"json": body}
    http_mock.add(responses.POST, url, status=status, **kw)
    with pytest.raises(error) as exc:
        gw.initiate(account, request_for(method))
    assert exc.value.code == code
    assert getattr(exc.value, "outcome_unknown", False) is unknown


@pytest.mark.parametrize("failure, unknown", [
    (requests.ReadTimeout("read"), True), (requests.ConnectTimeout("connect"), False),
    (requests.ConnectionError("refused"), False),
])
def test_network_failures(gw, account, http_mock, failure, unknown):
    http_mock.add(responses.POST, CHARGE, body=failure)
    with pytest.raises(GatewayUnavailable) as exc:
        gw.initiate(account, request_for("paystack_mtn_gh"))
    assert exc.value.outcome_unknown is unknown


@pytest.mark.parametrize("data", [{"authorization_url": None},
                                  {"authorization_url": "javascript:alert(1)"},
                                  {"reference": "someone-else"}])
def test_initialize_answer_without_a_usable_page(gw, account, http_mock, data):
    init_ok(http_mock, **data)
    with pytest.raises(GatewayUnavailable) as exc:
        gw.initiate(account, request_for())
    assert exc.value.outcome_unknown


def test_plain_http_page_only_in_test_mode(gw, account, live_account, http_mock):
    page = "http://sim.test/paystack/checkout/abc"
    init_ok(http_mock, authorization_url=page)
    assert gw.initiate(account, request_for()).next_action.url == page
    http_mock.add(responses.POST, "https://api.paystack.co/transaction/initialize",
                  json={"status": True, "message": "ok", "data": {
                      "authorization_url": page, "access_code": "abc", "reference": REF}})
    with pytest.raises(GatewayUnavailable):
        gw.initiate(live_account, request_for())


@pytest.mark.parametrize("kw, error, code", [
    ({"method": "paystack_momo_ng"}, GatewayNotSupported, "method_not_supported"),
    ({"currency": "USD"}, GatewayNotSupported, "currency_not_supported"),
    ({"method": "paystack_mtn_gh", "currency": "KES"}, GatewayNotSupported,
     "currency_not_supported"),
    ({"customer_email": None}, GatewayDeclined, "invalid_email"),
    ({"customer_email": "not-an-email"}, GatewayDeclined, "invalid_email"),
    ({"amount": 0}, GatewayDeclined, "amount_out_of_limits"),
    ({"method": "paystack_mtn_gh", "phone": "+254712345601"}, GatewayDeclined,
     "invalid_phone"),
    ({"method": "paystack_mtn_gh", "phone": None}, GatewayDeclined, "invalid_phone"),
    ({"method": "paystack_mpesa_ke", "currency": "KES", "phone": "+23355123490"},
     GatewayDeclined, "invalid_phone"),
])
def test_refused_before_any_call(gw, account, http_mock, kw, error, code):
    with pytest.raises(error) as exc:
        gw.initiate(account, request_for(**kw))
    assert exc.value.code == code
    assert len(http_mock.calls) == 0


@pytest.mark.parametrize("credentials", [{}, {"secret_key": ""}, {"secret_key": "pk_test_1"}])
def test_an_account_without_a_secret_key(gw, account, http_mock, credentials):
    with pytest.raises(GatewayAuthError):
        gw.initiate(replace(account, credentials=credentials), request_for())
