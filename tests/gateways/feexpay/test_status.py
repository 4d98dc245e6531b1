"""FeexPay adapter, status: the call we make (providers.md 1.1, 1.3) and how every
answer maps onto a GatewayResult or a typed error."""
import json

import pytest
import requests
import responses

from checkout.gateways.errors import (
    GatewayAuthError,
    GatewayDeclined,
    GatewayUnavailable,
    WebhookVerificationError,
)

from .conftest import REF, SIM

PAY = "pay_abc123"
STATUS = f"{SIM}/api/transactions/public/single/status"


def answer(rsps, body, status=200, ref=REF):
    kw = {"body": body} if isinstance(body, (str, Exception)) else {"json": body}
    rsps.add(responses.GET, f"{STATUS}/{ref}", status=status, **kw)


def tx(**fields):
    base = {"reference": REF, "amount": 5000, "phoneNumber": "2290197000001", "mode": "MTN",
            "callback_info": PAY, "first_name": "Awa", "last_name": "Diop",
            "email": "awa@example.com"}
    base.update(fields)
    return {k: v for k, v in base.items() if v is not None}


def test_status_call_is_a_get_with_the_bearer(gw, account, http_mock):
    answer(http_mock, tx(status="PENDING"))
    gw.fetch_status(account, REF, PAY)
    call = http_mock.calls[0].request
    assert (call.method, call.url) == ("GET", f"{STATUS}/{REF}")
    assert call.headers["Authorization"] == "Bearer fp_test_key_123"
    assert call.req_kwargs["timeout"] == (5, 20)


def test_celtiis_style_reference_is_accepted(gw, account, http_mock):
    ref = "AG_20250101_7f3a9c"
    answer(http_mock, tx(reference=ref, status="PENDING", mode="CELTIIS BJ"), ref=ref)
    assert gw.fetch_status(account, ref, PAY).provider_reference == ref


STATUSES = [  # fields, status, amount, failure_code
    ({"status": "PENDING"}, "pending", 5000, None),
    ({"status": "IN PENDING STATE"}, "pending", 5000, None),
    ({"status": "in  pending state"}, "pending", 5000, None),
    ({"status": "SUCCESSFUL"}, "succeeded", 5000, None),
    ({"status": "successful", "amount": "5000"}, "succeeded", 5000, None),
    ({"status": "SUCCESSFUL", "amount": "5000.00"}, "succeeded", 5000, None),
    ({"status": "SUCCESSFUL", "amount": 5000.0}, "succeeded", 5000, None),
    ({"status": "SUCCESSFUL", "amount": 4900}, "succeeded", 4900, None),   # service compares
    ({"status": "SUCCESSFUL", "phoneNumber": 2290197000001}, "succeeded", 5000, None),
    ({"status": "FAILED", "reason": "PAYER_NOT_FOUND"}, "failed", 5000, "invalid_phone"),
    ({"status": "FAILED", "reason": "LOW_BALANCE"}, "failed", 5000, "insufficient_funds"),
    ({"status": "FAILED", "reason": "DECLINED"}, "failed", 5000, "declined"),
    ({"status": "FAILED", "reason": "TIMEOUT"}, "failed", 5000, "expired"),
    ({"status": "FAILED"}, "failed", 5000, "declined"),
    ({"status": "FAILED", "amount": "n/a"}, "failed", None, "declined"),
    # defensive rule (1.3): the operator already declined while status lags
    ({"status": "PENDING", "operator_status": "DECLINED"}, "failed", 5000, "declined"),
    ({"status": "PENDING", "responsecode": "FAILED"}, "failed", 5000, "declined"),
    ({"status": "IN PENDING STATE", "responsemsg": "failed", "reason": "LOW_BALANCE"},
     "failed", 5000, "insufficient_funds"),
    # contradiction: neither paid nor failed can be trusted yet
    ({"status": "SUCCESSFUL", "operator_status": "DECLINED"}, "pending", 5000, None),
    ({"status": "SUCCESS"}, "pending", 5000, None),      # SDK label, not an API value
    ({"status": "TIMEOUT"}, "pending", 5000, None),
    ({"status": None}, "pending", 5000, None),
    ({"status": "PENDING", "amount": "abc"}, "pending", None, None),
]


@pytest.mark.parametrize("fields, status, amount, code", STATUSES)
def test_status_mapping(gw, account, http_mock, fields, status, amount, code):
    answer(http_mock, tx(**fields))
    result = gw.fetch_status(account, REF, PAY)
    assert (result.status, result.amount, result.failure_code) == (status, amount, code)
    assert result.provider_reference == REF
    assert (result.failure_message is not None) is (status == "failed")


@pytest.mark.parametrize("fields", [{"status": "PENDING"}, {"status": "SUCCESSFUL"}])
def test_wrapped_answers_are_unwrapped(gw, account, http_mock, fields):
    answer(http_mock, {"success": True, "data": tx(**fields)})
    result = gw.fetch_status(account, REF, PAY)
    assert result.status == fields["status"].lower().replace("successful", "succeeded")
    assert result.amount == 5000


def test_failure_message_is_the_reason(gw, account, http_mock):
    answer(http_mock, tx(status="FAILED", reason="PAYER_NOT_FOUND"))
    assert gw.fetch_status(account, REF, PAY).failure_message == "PAYER_NOT_FOUND"


@pytest.mark.parametrize("fields, currency", [
    ({"mode": "MTN"}, "XOF"), ({"mode": "CELTIIS BJ"}, "XOF"), ({"mode": "MTN CI"}, "XOF"),
    ({"mode": "MTN CG"}, "XAF"), ({"mode": "ORANGE_SN"}, "XOF"),
    ({"mode": None, "reseau": "WAVE CI"}, "XOF"), ({"mode": None}, None),
    ({"mode": "SOMETHING NEW"}, None), ({"currency": "xaf", "mode": "MTN"}, "XAF"),
    ({"currency": "F CFA", "mode": "MTN"}, "XOF"),
])
def test_currency_is_told_from_the_answer(gw, account, http_mock, fields, currency):
    answer(http_mock, tx(status="SUCCESSFUL", **fields))
    assert gw.fetch_status(account, REF, PAY).currency == currency


def test_raw_keeps_useful_fields_and_masks_the_phone(gw, account, http_mock):
    answer(http_mock, tx(status="FAILED", reason="DECLINED", operator_status="DECLINED",
                         phoneNumber=2290197000001, transref="TR123"))
    raw = gw.fetch_status(account, REF, PAY).raw
    assert raw["reference"] == REF and raw["status"] == "FAILED" and raw["reason"] == "DECLINED"
    assert raw["amount"] == 5000 and raw["transref"] == "TR123"
    assert raw["phone"].startswith("+229") and raw["phone"].endswith("01") and "*" in raw["phone"]
    text = json.dumps(raw)                     # JSON-safe, no Decimal
    assert "0197000001" not in text and "Awa" not in text and "example.com" not in text


@pytest.mark.parametrize("amount", [None, "12.5", 12.5, "abc", True, "1e40", "NaN", ""])
def test_a_success_without_a_whole_readable_amount_is_not_believed(gw, account, http_mock,
                                                                    amount):
    answer(http_mock, tx(status="SUCCESSFUL", amount=amount) if amount is not None
           else {k: v for k, v in tx(status="SUCCESSFUL").items() if k != "amount"})
    with pytest.raises(GatewayUnavailable) as exc:
        gw.fetch_status(account, REF, PAY)
    assert exc.value.code == "invalid_response"


def test_amount_is_never_parsed_as_float(gw, account, http_mock):
    # float() would round this to 5000.0 and accept it; as a Decimal it is not whole
    body = json.dumps(tx(status="SUCCESSFUL", amount=0))
    body = body.replace('"amount": 0', '"amount": 5000.00000000000000001')
    answer(http_mock, body)
    with pytest.raises(GatewayUnavailable):
        gw.fetch_status(account, REF, PAY)


def test_reference_of_another_payment_is_refused(gw, account, http_mock):
    answer(http_mock, tx(status="SUCCESSFUL", callback_info="pay_someone_else"))
    with pytest.raises(WebhookVerificationError) as exc:
        gw.fetch_status(account, REF, PAY)
    assert exc.value.code == "reference_mismatch"


@pytest.mark.parametrize("info", [None, {"order": 1}, ""])
def test_missing_or_non_string_callback_info_is_not_a_mismatch(gw, account, http_mock, info):
    answer(http_mock, tx(status="SUCCESSFUL", callback_info=info))
    assert gw.fetch_status(account, REF, PAY).status == "succeeded"


def test_an_answer_about_another_reference_is_not_used(gw, account, http_mock):
    answer(http_mock, tx(status="SUCCESSFUL", reference="0000aaaa-other"))
    with pytest.raises(GatewayUnavailable, match="another reference"):
        gw.fetch_status(account, REF, PAY)


@pytest.mark.parametrize("body", ["<html>oops</html>", "[1, 2]", "null"])
def test_unreadable_answers(gw, account, http_mock, body):
    answer(http_mock, body)
    with pytest.raises(GatewayUnavailable) as exc:
        gw.fetch_status(account, REF, PAY)
    assert exc.value.code == "invalid_response"


@pytest.mark.parametrize("status, body, error, code", [
    (401, {"message": "Unauthorized"}, GatewayAuthError, "gateway_auth_failed"),
    (403, {"message": "ERR_IP"}, GatewayAuthError, "ip_not_allowed"),
    (404, {"message": "Transaction not found"}, GatewayDeclined, "unknown_reference"),
    (429, {"message": "slow down"}, GatewayUnavailable, "rate_limited"),
    (502, "Bad Gateway", GatewayUnavailable, "operator_unavailable"),
    (503, "Service Unavailable", GatewayUnavailable, "provider_maintenance"),
])
def test_status_error_mapping(gw, account, http_mock, status, body, error, code):
    answer(http_mock, body, status=status)
    with pytest.raises(error) as exc:
        gw.fetch_status(account, REF, PAY)
    assert type(exc.value) is error and exc.value.code == code


def test_unknown_reference_is_marked_not_final(gw, account, http_mock):
    answer(http_mock, {"message": "not found"}, status=404)
    with pytest.raises(GatewayDeclined) as exc:
        gw.fetch_status(account, REF, PAY)
    assert exc.value.retryable is True


@pytest.mark.parametrize("ref", ["", "../../admin", "a/b", "x" * 200, None, "ré"])
def test_a_reference_that_cannot_be_feexpays_is_refused_without_a_call(gw, account, http_mock,
                                                                        ref):
    with pytest.raises(GatewayDeclined) as exc:
        gw.fetch_status(account, ref, PAY)
    assert exc.value.code == "unknown_reference" and len(http_mock.calls) == 0


@pytest.mark.parametrize("raised, unknown", [
    (requests.ReadTimeout("slow"), True), (requests.ConnectionError("refused"), False)])
def test_status_network_failures(gw, account, http_mock, raised, unknown):
    answer(http_mock, raised)
    with pytest.raises(GatewayUnavailable) as exc:
        gw.fetch_status(account, REF, PAY)
    assert exc.value.outcome_unknown is unknown
