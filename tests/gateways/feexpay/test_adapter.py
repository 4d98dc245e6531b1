"""FeexPay adapter, initiation: the request we send (providers.md 1.2, 1.8) and how
every answer maps onto our results and typed errors (1.2, 1.9)."""
import json
from dataclasses import replace

import pytest
import requests
import responses

from checkout.gateways.base import PaymentRequest
from checkout.gateways.errors import (
    GatewayAuthError,
    GatewayDeclined,
    GatewayNotSupported,
    GatewayUnavailable,
)
from checkout.gateways.feexpay.wire import sanitize_description
from tests.gateways.conftest import unmatched_calls

from .conftest import REF, SIM

PUSH = f"{SIM}/api/transactions/public/requesttopay"
# providers.md 1.2 segment table, written out again here on purpose.
SEGMENTS = {
    "mtn_bj": "mtn", "moov_bj": "moov", "celtiis_bj": "celtiis_bj", "coris_bj": "coris",
    "togocom_tg": "togocom_tg", "moov_tg": "moov_tg", "mtn_ci": "mtn_ci", "moov_ci": "moov_ci",
    "orange_ci": "orange_ci", "wave_ci": "wave_ci", "mtn_cg": "mtn_cg", "orange_sn": "orange_sn",
    "free_sn": "free_sn", "wave_sn": "wave_sn", "moov_bf": "moov_bf", "orange_bf": "orange_bf",
    "wave_bf": "wave_bf", "orange_ml": "orange_ml", "mobicash_ml": "mobicash_ml",
}
PHONES = {"BJ": "+2290197000001", "TG": "+22890112233", "CI": "+2250707000001",
          "CG": "+242061234567", "SN": "+221771234567", "BF": "+22670123456",
          "ML": "+22376123456"}
COUNTRY = {code: code.rsplit("_", 1)[1].upper() for code in SEGMENTS}


def req(method="mtn_bj", **kw):
    country = COUNTRY.get(method, "BJ")
    base = dict(payment_id="pay_abc123", method=method, amount=5000,
                currency="XAF" if country == "CG" else "XOF", phone=PHONES[country],
                description="Order 42", return_url="https://pay.test/c/cs_1/return?payment=p",
                cancel_url="https://pay.test/c/cs_1/return?payment=p")
    base.update(kw)
    return PaymentRequest(**base)


def ok(rsps, method="mtn_bj", body=None, status=200):
    rsps.add(responses.POST, f"{PUSH}/{SEGMENTS[method]}", status=status,
             json=body if body is not None else
             {"reference": REF, "status": "PENDING", "message": "Transaction initiated"})


def sent(rsps):
    return json.loads(rsps.calls[-1].request.body)


def test_every_method_of_the_catalog_has_its_documented_segment(gw):
    assert set(gw.methods) == set(SEGMENTS)
    assert all(m.min_amount == 100 and m.max_amount == 2_000_000 and m.needs_phone
               for m in gw.methods.values())
    assert gw.methods["mtn_cg"].currencies == ("XAF",)


@pytest.mark.parametrize("method", sorted(SEGMENTS))
def test_push_goes_to_the_network_segment_with_bearer_and_json(gw, account, http_mock, method):
    ok(http_mock, method)
    result = gw.initiate(account, req(method))
    call = http_mock.calls[0].request
    assert call.url == f"{PUSH}/{SEGMENTS[method]}"
    assert call.headers["Authorization"] == "Bearer fp_test_key_123"
    assert call.headers["Content-Type"] == "application/json"
    assert call.req_kwargs["timeout"] == (5, 25)
    assert sent(http_mock)["phoneNumber"] == PHONES[COUNTRY[method]][1:]
    assert result.provider_reference == REF


def test_body_fields_and_types(gw, account, http_mock):
    ok(http_mock)
    gw.initiate(account, req(customer_name="Awa Marie Diop", customer_email="awa@example.com"))
    assert sent(http_mock) == {
        "shop": "nGLq7rMBFBVbpuc", "amount": 5000, "phoneNumber": "2290197000001",
        "first_name": "Awa Marie", "last_name": "Diop", "email": "awa@example.com",
        "description": "Order 42", "callback_info": "pay_abc123",
        "return_url": "https://pay.test/c/cs_1/return?payment=p",
        "cancel_url": "https://pay.test/c/cs_1/return?payment=p"}
    assert type(sent(http_mock)["amount"]) is int


@pytest.mark.parametrize("name, first, last", [
    ("Kofi", "Kofi", None), ("  Jean-Pierre   Dossou ", "Jean-Pierre", "Dossou"),
    (None, None, None),
])
def test_customer_name_split(gw, account, http_mock, name, first, last):
    ok(http_mock)
    gw.initiate(account, req(customer_name=name))
    body = sent(http_mock)
    assert (body.get("first_name"), body.get("last_name")) == (first, last)
    assert "email" not in body


@pytest.mark.parametrize("raw, clean", [
    ("Commande n°42 – été", "Commande n 42 ete"),
    ("T-shirt taille M", "T shirt taille M"),
    ("Ça coûte 5 000 F, d'accord ?", "Ca coute 5 000 F d accord"),
    ("Œuvre & cœur", "OEuvre coeur"),
    ("Pagne wax 🎉\n\tx2", "Pagne wax x2"),
    ("ORDER_2024/07#1", "ORDER 2024 07 1"),
    ("", "Payment"), ("---", "Payment"), ("🎉", "Payment"),
])
def test_description_is_sanitised_for_every_network(gw, account, http_mock, raw, clean):
    ok(http_mock, "moov_bj")
    gw.initiate(account, req("moov_bj", description=raw))
    assert sent(http_mock)["description"] == clean


def test_long_description_is_bounded():
    text = sanitize_description("mot " * 100)
    assert 50 <= len(text) <= 100 and text == text.strip() and set(text) <= set("mot ")


@pytest.mark.parametrize("kw, error, code", [
    ({"currency": "XAF"}, GatewayNotSupported, "currency_not_supported"),
    ({"currency": "USD"}, GatewayNotSupported, "currency_not_supported"),
    ({"method": "mpesa_ke"}, GatewayNotSupported, "method_not_supported"),
    ({"phone": None}, GatewayDeclined, "invalid_phone"),
    ({"phone": "+2250707000001"}, GatewayDeclined, "invalid_phone"),  # CI number, BJ network
    ({"phone": "+229abc"}, GatewayDeclined, "invalid_phone"),
    ({"amount": 0}, GatewayDeclined, "amount_out_of_limits"),
])
def test_refused_before_any_call(gw, account, http_mock, kw, error, code):
    with pytest.raises(error) as exc:
        gw.initiate(account, req(**kw))
    assert exc.value.code == code
    assert len(http_mock.calls) == 0


def test_xaf_is_accepted_where_the_network_uses_it(gw, account, http_mock):
    ok(http_mock, "mtn_cg")
    assert gw.initiate(account, req("mtn_cg", currency="XAF")).status == "pending"
    with pytest.raises(GatewayNotSupported):
        gw.initiate(account, req("mtn_cg", currency="XOF"))


@pytest.mark.parametrize("creds", [{}, {"api_key": "fp_x"}, {"shop": "s", "api_key": " "}])
def test_missing_credentials_are_an_auth_error_without_a_call(gw, account, http_mock, creds):
    with pytest.raises(GatewayAuthError):
        gw.initiate(replace(account, credentials=creds), req())
    assert len(http_mock.calls) == 0


@pytest.mark.parametrize("method, body, action, url, reported", [
    ("mtn_bj", {"reference": REF, "status": "PENDING"}, "approve_on_phone", None, "PENDING"),
    ("wave_ci", {"reference": REF, "status": "PENDING", "payment_url": "https://pay.wave.com/c/x"},
     "redirect", "https://pay.wave.com/c/x", "PENDING"),
    ("orange_sn", {"data": {"reference": REF, "status": "PENDING",
                            "payment_url": "http://sim.test/feexpay/orange/x"}},
     "redirect", "http://sim.test/feexpay/orange/x", "PENDING"),
    ("wave_sn", {"reference": REF, "payment_url": "javascript:alert(1)"},
     "approve_on_phone", None, None),
    # providers.md 1.2: Moov BJ may answer a final status at once: not trusted.
    ("moov_bj", {"reference": REF, "status": "FAILED", "message": "LOW_BALANCE"},
     "approve_on_phone", None, "FAILED"),
    ("moov_bj", {"reference": REF, "status": "SUCCESSFUL"}, "approve_on_phone", None,
     "SUCCESSFUL"),
])
def test_init_answers(gw, account, http_mock, method, body, action, url, reported):
    ok(http_mock, method, body, status=201 if method == "wave_sn" else 200)
    result = gw.initiate(account, req(method))
    assert result.status == "pending"
    assert result.provider_reference == REF
    assert (result.next_action.type, result.next_action.url) == (action, url)
    assert result.raw.get("status") == reported


def test_plain_http_payment_url_is_not_followed_in_live_mode(gw, account, http_mock):
    live = replace(account, livemode=True, base_url="https://api-v2.feexpay.me/")
    http_mock.add(responses.POST, "https://api-v2.feexpay.me/api/transactions/public/"
                  "requesttopay/wave_ci", json={"reference": REF, "payment_url": "http://x.test/p"})
    assert gw.initiate(live, req("wave_ci")).next_action.type == "approve_on_phone"


@pytest.mark.parametrize("body", [{"status": "PENDING"}, {"reference": ""}, "<html>ok</html>",
                                  {"reference": "../../admin"}, []])
def test_accepted_without_a_usable_reference_is_an_unknown_outcome(gw, account, http_mock, body):
    if isinstance(body, str):
        http_mock.add(responses.POST, f"{PUSH}/mtn", body=body)
    else:
        ok(http_mock, body=body)
    with pytest.raises(GatewayUnavailable) as exc:
        gw.initiate(account, req())
    assert exc.value.outcome_unknown and exc.value.code == "invalid_response"


def test_an_immediate_failure_without_a_reference_is_a_refusal(gw, account, http_mock):
    ok(http_mock, "moov_bj", {"status": "FAILED", "message": "LOW_BALANCE"})
    with pytest.raises(GatewayDeclined) as exc:
        gw.initiate(account, req("moov_bj"))
    assert exc.value.code == "insufficient_funds"


J = "json"
ERRORS = [  # http status, body, error, code, outcome_unknown
    (401, {J: {"message": "Unauthorized"}}, GatewayAuthError, "gateway_auth_failed", False),
    (403, {J: {"message": "IP_NOT_ALLOWED"}}, GatewayAuthError, "ip_not_allowed", False),
    (403, {"body": "Forbidden"}, GatewayAuthError, "gateway_auth_failed", False),
    (400, {J: {"code": "ERR_INVALID_API_KEY"}}, GatewayAuthError, "gateway_auth_failed", False),
    (400, {J: {"message": "Shop nGLq7 is disabled"}}, GatewayAuthError, "shop_not_configured",
     False),
    (404, {J: {"message": "mtn channel not configured"}}, GatewayDeclined, "network_not_enabled",
     False),
    (404, {"body": "Not Found"}, GatewayDeclined, "network_not_enabled", False),
    (404, {J: {"message": "Shop not found"}}, GatewayAuthError, "shop_not_configured", False),
    (400, {J: {"message": "NETWORK_UNAVAILABLE"}}, GatewayDeclined, "network_not_enabled", False),
    (400, {J: {"message": "LOW_BALANCE"}}, GatewayDeclined, "insufficient_funds", False),
    (400, {J: {"message": "Solde insuffisant"}}, GatewayDeclined, "insufficient_funds", False),
    (400, {J: {"statusCode": "10"}}, GatewayDeclined, "insufficient_funds", False),
    (400, {J: {"statusCode": "92"}}, GatewayDeclined, "canceled", False),
    (400, {J: {"message": "PAYER_NOT_FOUND"}}, GatewayDeclined, "invalid_phone", False),
    (400, {J: {"error": "ERR_INVALID_PHONE"}}, GatewayDeclined, "invalid_phone", False),
    (422, {J: {"message": ["phoneNumber must be a string"]}}, GatewayDeclined, "invalid_phone",
     False),
    (400, {J: {"message": "ERR_INVALID_AMOUNT"}}, GatewayDeclined, "amount_out_of_limits", False),
    (400, {J: {"message": "amount must be at least 100"}}, GatewayDeclined,
     "amount_out_of_limits", False),
    (400, {J: {"message": "OTP required"}}, GatewayDeclined, "otp_required", False),
    (400, {J: {"data": {"code": "ERR_OTP_REQUIRED"}}}, GatewayDeclined, "otp_required", False),
    (409, {J: {"message": "DUPLICATE"}}, GatewayDeclined, "duplicate", False),
    (409, {J: {}}, GatewayDeclined, "duplicate", False),
    (400, {J: {"message": "Something unexpected"}}, GatewayDeclined, "declined", False),
    (400, {J: {"message": "RATE_LIMIT"}}, GatewayUnavailable, "rate_limited", False),
    (400, {J: {"message": "Celtiis BJ API Error"}}, GatewayUnavailable, "operator_unavailable",
     False),
    (429, {J: {"message": "Too many requests"}}, GatewayUnavailable, "rate_limited", False),
    (500, {"body": "boom"}, GatewayUnavailable, "provider_error", False),
    (502, {"body": "Bad Gateway"}, GatewayUnavailable, "operator_unavailable", False),
    (503, {J: {"message": "maintenance"}}, GatewayUnavailable, "provider_maintenance", False),
    (504, {"body": "Gateway Timeout"}, GatewayUnavailable, "provider_timeout", True),
    (302, {"body": ""}, GatewayUnavailable, "invalid_response", False),
]


@pytest.mark.parametrize("status, body, error, code, unknown", ERRORS)
def test_http_error_mapping(gw, account, http_mock, status, body, error, code, unknown):
    http_mock.add(responses.POST, f"{PUSH}/mtn", status=status, **body)
    with pytest.raises(error) as exc:
        gw.initiate(account, req())
    assert type(exc.value) is error and exc.value.code == code
    assert exc.value.http_status == status
    assert getattr(exc.value, "outcome_unknown", False) is unknown
    assert exc.value.retryable is (error is GatewayUnavailable)


@pytest.mark.parametrize("raised, unknown", [
    (requests.ReadTimeout("read timed out"), True),
    (requests.ConnectTimeout("connect timed out"), False),
    (requests.ConnectionError("refused"), False),
])
def test_network_failures(gw, account, http_mock, raised, unknown):
    http_mock.add(responses.POST, f"{PUSH}/mtn", body=raised)
    with pytest.raises(GatewayUnavailable) as exc:
        gw.initiate(account, req())
    assert exc.value.outcome_unknown is unknown


def test_provider_messages_never_carry_the_phone_number(gw, account, http_mock):
    http_mock.add(responses.POST, f"{PUSH}/mtn", status=400,
                  json={"message": "PAYER_NOT_FOUND: 2290197000001"})
    with pytest.raises(GatewayDeclined) as exc:
        gw.initiate(account, req())
    assert "2290197000001" not in str(exc.value) and exc.value.message.endswith("01")


def test_an_unmocked_call_is_caught_by_the_fixture(gw, account, http_mock):
    with pytest.raises(GatewayUnavailable):   # the adapter alone would hide it...
        gw.initiate(account, req())
    assert unmatched_calls(http_mock) == [f"{PUSH}/mtn"]   # ...the fixture does not
    http_mock.calls.reset()


def test_refund_is_not_supported(gw, account):
    with pytest.raises(GatewayNotSupported, match="no refund API"):
        gw.refund(account, REF, 100, "XOF", None, "re_1")
