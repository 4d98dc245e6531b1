"""STK push: the exact request (token, Password/Timestamp in EAT, fields, limits), the
token cache and its one retry, and every refusal mapped to a typed error."""
import base64
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest
import requests
import responses

from checkout.gateways.errors import (
    GatewayAuthError,
    GatewayDeclined,
    GatewayNotSupported,
    GatewayUnavailable,
)
from checkout.gateways.mpesa_ke import client, wire

from .conftest import (
    CREDS,
    CRID,
    NOTIFY,
    PUSH_URL,
    SIM,
    TOKEN_URL,
    MemoryCache,
    accepted,
    basic,
    body_of,
    envelope,
    request_for,
    token_ok,
)

EAT = timezone(timedelta(hours=3))


def test_push_sends_every_field_as_daraja_wants(gw, account, http_mock):
    token_ok(http_mock)
    http_mock.post(PUSH_URL, json=accepted())
    before = datetime.now(EAT)
    result = gw.initiate(account, request_for(description="Order 42 – café & more!"))
    assert (result.status, result.provider_reference, result.next_action.type) == \
        ("pending", CRID, "approve_on_phone")
    token_call, push_call = http_mock.calls
    assert token_call.request.url == TOKEN_URL + "?grant_type=client_credentials"
    assert token_call.request.headers["Authorization"] == \
        basic(CREDS["consumer_key"], CREDS["consumer_secret"])
    assert push_call.request.headers["Authorization"] == "Bearer tok-1"
    body = body_of(push_call)
    stamp = body.pop("Timestamp")
    assert abs((datetime.strptime(stamp, "%Y%m%d%H%M%S").replace(tzinfo=EAT) - before)
               .total_seconds()) < 5          # Kenyan local time, not UTC
    assert base64.b64decode(body.pop("Password")).decode() == \
        "174379" + CREDS["passkey"] + stamp
    assert body == {"BusinessShortCode": "174379", "TransactionType": "CustomerPayBillOnline",
                    "Amount": 1500, "PartyA": "254708374149", "PartyB": "174379",
                    "PhoneNumber": "254708374149", "CallBackURL": NOTIFY,
                    "AccountReference": "Gh78Ij90Kl12", "TransactionDesc": "Order 42 caf"}


def test_timestamp_and_password_rule():
    at = datetime(2026, 1, 1, 21, 30, 5, tzinfo=UTC)
    assert wire.timestamp(at) == "20260102003005"      # 00:30 the next day in Nairobi
    assert wire.password("174379", "pk", "20260102003005") == \
        base64.b64encode(b"174379pk20260102003005").decode()


def test_till_account_buys_goods_with_the_till_as_party_b(gw, account, http_mock):
    token_ok(http_mock)
    http_mock.post(PUSH_URL, json=accepted())
    till = replace(account, credentials={**CREDS, "account_type": "till",
                                         "till_number": "5012345"})
    gw.initiate(till, request_for())
    body = body_of(http_mock.calls[-1])
    assert (body["TransactionType"], body["BusinessShortCode"], body["PartyB"]) == \
        ("CustomerBuyGoodsOnline", "174379", "5012345")


def test_till_account_without_till_number_is_a_configuration_error(gw, account):
    till = replace(account, credentials={**CREDS, "account_type": "till"})
    with pytest.raises(GatewayAuthError) as err:
        gw.initiate(till, request_for())
    assert err.value.code == "shop_not_configured"


@pytest.mark.parametrize("phone", ["+254300000001", "+25570000000", "+2547083741", None,
                                   "+229 0190000001"])
def test_non_kenyan_mobile_numbers_are_refused_before_any_call(gw, account, phone):
    with pytest.raises(GatewayDeclined) as err:
        gw.initiate(account, request_for(phone=phone))
    assert err.value.code == "invalid_phone"


def test_safaricom_011x_numbers_are_accepted(gw, account, http_mock):
    token_ok(http_mock)
    http_mock.post(PUSH_URL, json=accepted())
    gw.initiate(account, request_for(phone="+254110000101"))
    assert body_of(http_mock.calls[-1])["PhoneNumber"] == "254110000101"


@pytest.mark.parametrize("amount", [150050, 50, 0, -100, 25_000_100])
def test_amounts_in_cents_or_out_of_limits_are_refused(gw, account, amount):
    with pytest.raises(GatewayDeclined) as err:
        gw.initiate(account, request_for(amount=amount))
    assert err.value.code == "amount_out_of_limits"


def test_other_currency_or_method_is_not_supported(gw, account):
    with pytest.raises(GatewayNotSupported):
        gw.initiate(account, request_for(currency="TZS"))
    with pytest.raises(GatewayNotSupported):
        gw.initiate(account, request_for(method="mtn_bj"))


def test_account_reference_and_description_limits():
    assert wire.account_reference("pay_Ab12Cd34Ef56Gh78Ij90Kl12") == "Gh78Ij90Kl12"
    assert len(wire.account_reference("pay_" + "x" * 40)) == 12
    assert wire.description("") == "Payment"
    assert wire.description("Commande n°42 très longue") == "Commande n 42"


@pytest.mark.parametrize("expires_in", ["3599", 3599, "3599.0"])
def test_the_token_is_cached_across_calls(gw, account, http_mock, expires_in):
    token_ok(http_mock, expires_in=expires_in)
    http_mock.post(PUSH_URL, json=accepted())
    gw.initiate(account, request_for())
    gw.initiate(account, request_for())
    assert [c.request.url.split("?")[0] for c in http_mock.calls] == \
        [TOKEN_URL, PUSH_URL, PUSH_URL]


def test_the_shared_cache_keeps_the_token_until_60s_before_expiry(gw, account, http_mock):
    cache = MemoryCache()
    shared = replace(account, cache=cache)
    token_ok(http_mock, expires_in=3599)
    http_mock.post(PUSH_URL, json=accepted())
    gw.initiate(shared, request_for())
    key = client.cache_key(CREDS["consumer_key"], SIM)
    assert cache.values == {key: "tok-1"} and cache.ttls == {key: 3539}
    other = replace(account, cache=cache)         # another worker, same Redis
    gw.initiate(other, request_for())
    assert len([c for c in http_mock.calls if "oauth" in c.request.url]) == 1


def test_cache_key_differs_per_key_and_base_url():
    assert client.cache_key("a", SIM) != client.cache_key("b", SIM)
    assert client.cache_key("a", SIM) != client.cache_key("a", "https://api.safaricom.co.ke")


def test_an_invalid_token_answer_renews_the_token_and_retries_once(gw, account, http_mock):
    cache = MemoryCache()
    shared = replace(account, cache=cache)
    http_mock.get(TOKEN_URL, json={"access_token": "old", "expires_in": "3599"})
    http_mock.get(TOKEN_URL, json={"access_token": "new", "expires_in": "3599"})
    http_mock.post(PUSH_URL, status=404, json=envelope("404.001.03", "Invalid Access Token"))
    http_mock.post(PUSH_URL, json=accepted())
    assert gw.initiate(shared, request_for()).provider_reference == CRID
    pushes = [c for c in http_mock.calls if c.request.url == PUSH_URL]
    assert [c.request.headers["Authorization"] for c in pushes] == ["Bearer old", "Bearer new"]
    assert cache.deleted and list(cache.values.values()) == ["new"]


def test_a_second_invalid_token_answer_is_an_auth_error(gw, account, http_mock):
    http_mock.get(TOKEN_URL, json={"access_token": "t", "expires_in": "3599"})
    http_mock.post(PUSH_URL, status=404, json=envelope("404.001.03", "Invalid Access Token"))
    with pytest.raises(GatewayAuthError):
        gw.initiate(account, request_for())
    assert len([c for c in http_mock.calls if c.request.url == PUSH_URL]) == 2


@pytest.mark.parametrize("code", ["400.008.01", "400.008.02"])
def test_token_refusals_are_auth_errors(gw, account, http_mock, code):
    http_mock.get(TOKEN_URL, status=400, json=envelope(code, "Invalid Authentication passed"))
    with pytest.raises(GatewayAuthError) as err:
        gw.initiate(account, request_for())
    assert err.value.code == "gateway_auth_failed"


def test_token_answer_without_a_token_is_unavailable(gw, account, http_mock):
    http_mock.get(TOKEN_URL, json={"expires_in": "3599"})
    with pytest.raises(GatewayUnavailable) as err:
        gw.initiate(account, request_for())
    assert err.value.code == "invalid_response"


def test_missing_credentials_are_a_configuration_error(gw, account):
    with pytest.raises(GatewayAuthError) as err:
        gw.initiate(replace(account, credentials={"consumer_key": "k"}), request_for())
    assert err.value.code == "shop_not_configured"


@pytest.mark.parametrize("status,code,message,error,our_code", [
    (500, "500.001.1001", "Unable to lock subscriber, a transaction is already in process "
     "for the current subscriber", GatewayDeclined, "subscriber_busy"),
    (500, "500.003.02", "Spike Arrest Violation", GatewayUnavailable, "rate_limited"),
    (500, "500.003.03", "Quota Violation", GatewayUnavailable, "rate_limited"),
    (429, "", "Too many requests", GatewayUnavailable, "rate_limited"),
    (400, "400.002.02", "Bad Request - Invalid PhoneNumber", GatewayDeclined, "invalid_phone"),
    (400, "400.002.02", "Bad Request - Invalid Amount", GatewayDeclined,
     "amount_out_of_limits"),
    (400, "400.002.02", "Bad Request - Invalid CallBackURL", GatewayDeclined, "declined"),
    (400, "400.002.02", "Bad Request - Invalid BusinessShortCode", GatewayAuthError,
     "shop_not_configured"),
    (500, "500.001.1001", "Wrong credentials", GatewayAuthError, "shop_not_configured"),
    (500, "500.001.1001", "Merchant does not exist", GatewayAuthError,
     "shop_not_configured"),
    (500, "500.003.1001", "Internal Server Error", GatewayUnavailable, "provider_error"),
    (401, "", "Unauthorized", GatewayAuthError, "gateway_auth_failed"),
    (404, "404.001.01", "Resource not found", GatewayUnavailable, "invalid_response"),
])
def test_push_refusals(gw, account, http_mock, status, code, message, error, our_code):
    token_ok(http_mock)
    http_mock.post(PUSH_URL, status=status, json=envelope(code, message))
    with pytest.raises(error) as err:
        gw.initiate(account, request_for())
    assert err.value.code == our_code
    assert isinstance(err.value, GatewayUnavailable) or not getattr(
        err.value, "outcome_unknown", False)
    if our_code == "rate_limited":
        assert err.value.retryable


def test_a_gateway_timeout_leaves_the_outcome_unknown(gw, account, http_mock):
    token_ok(http_mock)
    http_mock.post(PUSH_URL, status=504, body="upstream timed out")
    with pytest.raises(GatewayUnavailable) as err:
        gw.initiate(account, request_for())
    assert err.value.outcome_unknown and err.value.code == "provider_timeout"


def test_a_read_timeout_leaves_the_outcome_unknown(gw, account, http_mock):
    token_ok(http_mock)
    http_mock.post(PUSH_URL, body=requests.ReadTimeout("slow"))
    with pytest.raises(GatewayUnavailable) as err:
        gw.initiate(account, request_for())
    assert err.value.outcome_unknown


def test_an_accepted_answer_without_checkout_request_id(gw, account, http_mock):
    token_ok(http_mock)
    http_mock.post(PUSH_URL, json={"ResponseCode": "0"})
    with pytest.raises(GatewayUnavailable) as err:
        gw.initiate(account, request_for())
    assert err.value.outcome_unknown and err.value.code == "invalid_response"


def test_a_non_zero_response_code_is_declined(gw, account, http_mock):
    token_ok(http_mock)
    http_mock.post(PUSH_URL, json={"ResponseCode": "1", "ResponseDescription": "Rejected"})
    with pytest.raises(GatewayDeclined):
        gw.initiate(account, request_for())


def test_the_method_and_gateway_facts(gw):
    method = gw.methods["mpesa_ke"]
    assert (method.kind, method.country, method.currencies, method.needs_phone,
            method.operator, method.amount_step) == \
        ("mobile_money", "KE", ("KES",), True, "safaricom", 100)
    assert "mpesa" in method.code
    assert (gw.test_base_path, gw.live_base_url, gw.deadline_seconds) == \
        ("/daraja", "https://api.safaricom.co.ke", 180)
    assert (gw.notifications_need_confirmation, gw.status_has_amount, gw.supports_refund,
            gw.partial_refunds, gw.refund_results_trusted) == (True, False, True, False, True)


__all__ = ["responses"]
