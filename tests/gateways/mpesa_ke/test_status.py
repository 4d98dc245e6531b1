"""STK query: a fresh password per query, "being processed" as pending, ResultCode
strings mapped to our failure codes, spike arrest as a back-off signal."""
import base64

import pytest

from checkout.gateways.errors import (
    GatewayAuthError,
    GatewayDeclined,
    GatewayUnavailable,
    WebhookVerificationError,
)

from .conftest import CREDS, CRID, PAY, QUERY_URL, body_of, envelope, token_ok


def answer(code, desc="x", crid=CRID):
    return {"ResponseCode": "0", "ResponseDescription": "The service request has been "
            "accepted successsfully", "MerchantRequestID": "22205-34066-1",
            "CheckoutRequestID": crid, "ResultCode": code, "ResultDesc": desc}


def test_query_body_has_a_fresh_password(gw, account, http_mock):
    token_ok(http_mock)
    http_mock.post(QUERY_URL, json=answer("0"))
    gw.fetch_status(account, CRID, PAY)
    body = body_of(http_mock.calls[-1])
    assert set(body) == {"BusinessShortCode", "Password", "Timestamp", "CheckoutRequestID"}
    assert (body["BusinessShortCode"], body["CheckoutRequestID"]) == ("174379", CRID)
    assert base64.b64decode(body["Password"]).decode() == \
        "174379" + CREDS["passkey"] + body["Timestamp"]
    assert http_mock.calls[-1].request.headers["Authorization"] == "Bearer tok-1"


def test_being_processed_is_pending(gw, account, http_mock):
    token_ok(http_mock)
    http_mock.post(QUERY_URL, status=500, json=envelope(
        "500.001.1001", "The transaction is being processed"))
    result = gw.fetch_status(account, CRID, PAY)
    assert (result.status, result.provider_reference) == ("pending", CRID)


def test_success_has_no_amount(gw, account, http_mock):
    token_ok(http_mock)
    http_mock.post(QUERY_URL, json=answer("0", "The service request is processed "
                                               "successfully."))
    result = gw.fetch_status(account, CRID, PAY)
    assert (result.status, result.amount, result.currency, result.failure_code) == \
        ("succeeded", None, "KES", None)


@pytest.mark.parametrize("code,ours", [
    ("1", "insufficient_funds"), ("2", "amount_out_of_limits"), ("3", "amount_out_of_limits"),
    ("4", "daily_limit"), ("8", "amount_out_of_limits"), ("17", "repeat_too_soon"),
    ("1019", "expired"), ("1025", "provider_error"), ("1031", "canceled"),
    ("1032", "canceled"), ("1037", "phone_unreachable"), ("1001", "subscriber_busy"),
    ("2001", "wrong_pin"), ("2028", "shop_not_configured"), ("8006", "gateway_auth_failed"),
    ("SFC_IC0003", "invalid_phone"), ("9999", "declined"), (1032, "canceled"),
])
def test_result_codes_map_to_clear_failures(gw, account, http_mock, code, ours):
    token_ok(http_mock)
    http_mock.post(QUERY_URL, json=answer(code, "Provider words 254708374149"))
    result = gw.fetch_status(account, CRID, PAY)
    assert (result.status, result.failure_code) == ("failed", ours)
    assert "254708374149" not in result.failure_message


def test_an_answer_without_result_code_is_pending(gw, account, http_mock):
    token_ok(http_mock)
    http_mock.post(QUERY_URL, json={"ResponseCode": "0", "CheckoutRequestID": CRID})
    assert gw.fetch_status(account, CRID, PAY).status == "pending"


def test_spike_arrest_asks_the_poller_to_back_off(gw, account, http_mock):
    token_ok(http_mock)
    http_mock.post(QUERY_URL, status=500, json=envelope("500.003.02", "Spike Arrest Violation"))
    with pytest.raises(GatewayUnavailable) as err:
        gw.fetch_status(account, CRID, PAY)
    assert (err.value.code, err.value.retryable, err.value.outcome_unknown) == \
        ("rate_limited", True, False)


def test_an_unknown_checkout_request_id_is_not_an_outcome(gw, account, http_mock):
    token_ok(http_mock)
    http_mock.post(QUERY_URL, status=400, json=envelope(
        "400.002.02", "Bad Request - Invalid CheckoutRequestID"))
    with pytest.raises(GatewayDeclined) as err:
        gw.fetch_status(account, CRID, PAY)
    assert (err.value.code, err.value.retryable) == ("unknown_reference", True)


def test_an_answer_about_another_request_is_refused(gw, account, http_mock):
    token_ok(http_mock)
    http_mock.post(QUERY_URL, json=answer("0", crid="ws_CO_other"))
    with pytest.raises(WebhookVerificationError):
        gw.fetch_status(account, CRID, PAY)


def test_a_malformed_reference_makes_no_call(gw, account):
    with pytest.raises(GatewayDeclined):
        gw.fetch_status(account, "ws CO <script>", PAY)


def test_invalid_token_on_query_is_retried_once(gw, account, http_mock):
    token_ok(http_mock)
    token_ok(http_mock, token="tok-2")
    http_mock.post(QUERY_URL, status=404, json=envelope("404.001.03", "Invalid Access Token"))
    http_mock.post(QUERY_URL, status=404, json=envelope("404.001.03", "Invalid Access Token"))
    with pytest.raises(GatewayAuthError):
        gw.fetch_status(account, CRID, PAY)
