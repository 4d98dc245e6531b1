"""C2B single stage (providers.md 5.2-5.6): the request as sent, and every INS answer."""
from dataclasses import replace
from urllib.parse import urlsplit

import pytest
import requests
import responses

from checkout.gateways.errors import (
    GatewayAuthError,
    GatewayDeclined,
    GatewayNotSupported,
    GatewayUnavailable,
)
from checkout.gateways.mpesa_mz import wire

from .conftest import API_KEY, C2B, PAY, answer, api_key_of, body_of, pay

TPR = wire.third_party_reference(PAY)


def test_the_request_carries_every_field_and_header(gw, account, http_mock):
    http_mock.post(C2B, json=answer(tpr=TPR), status=201)
    result = gw.initiate(account, pay())
    call = http_mock.calls[0]
    assert body_of(call) == {
        "input_TransactionReference": "Ab12Cd34Ef56Gh78Ij90Kl12"[-20:],
        "input_CustomerMSISDN": "258841234501", "input_Amount": "1500",
        "input_ThirdPartyReference": TPR, "input_ServiceProviderCode": "171717"}
    assert call.request.headers["Origin"] == "developer.mpesa.vm.co.mz"
    assert call.request.headers["Content-Type"] == "application/json"
    assert api_key_of(call.request) == API_KEY
    assert (result.status, result.amount, result.currency, result.receipt,
            result.provider_reference) == ("succeeded", 150000, "MZN", "4XDF12345", TPR)


def test_the_token_is_new_on_every_call(gw, account, http_mock):
    http_mock.post(C2B, json=answer(tpr=TPR), status=201)
    gw.initiate(account, pay())
    gw.initiate(account, pay())
    tokens = [c.request.headers["Authorization"] for c in http_mock.calls]
    assert tokens[0] != tokens[1]
    assert {api_key_of(c.request) for c in http_mock.calls} == {API_KEY}


def test_origin_is_the_credential_when_set(gw, account, http_mock):
    http_mock.post(C2B, json=answer(tpr=TPR), status=201)
    gw.initiate(replace(account, credentials={**account.credentials, "origin": "*"}), pay())
    assert http_mock.calls[0].request.headers["Origin"] == "*"


@pytest.mark.parametrize("host,expected", [
    (None, "https://api.vm.co.mz:18352/ipg/v1x/c2bPayment/singleStage/"),
    ("api.mpesa.vm.co.mz", "https://api.mpesa.vm.co.mz:18352/ipg/v1x/c2bPayment/singleStage/"),
    ("https://api.sandbox.vm.co.mz", "https://api.sandbox.vm.co.mz:18352/ipg/v1x/c2bPayment/"
                                     "singleStage/"),
])
def test_live_mode_uses_the_operation_port(gw, live_account, http_mock, host, expected):
    creds = {**live_account.credentials, **({"host": host} if host else {})}
    http_mock.post(expected, json=answer(tpr=TPR), status=201)
    gw.initiate(replace(live_account, credentials=creds), pay())
    assert urlsplit(http_mock.calls[0].request.url).port == 18352


@pytest.mark.parametrize("phone", ["+258851234501", "258851234501", "851234501",
                                   "00258851234501"])
def test_msisdn_is_normalised(gw, account, http_mock, phone):
    http_mock.post(C2B, json=answer(tpr=TPR), status=201)
    gw.initiate(account, pay(phone=phone))
    assert body_of(http_mock.calls[0])["input_CustomerMSISDN"] == "258851234501"


@pytest.mark.parametrize("phone", ["+258861234501", "+258821234501", "+254712345601", None,
                                   "+2588412345"])
def test_a_non_vodacom_number_is_refused_before_any_call(gw, account, phone):
    with pytest.raises(GatewayDeclined) as exc:
        gw.initiate(account, pay(phone=phone))
    assert exc.value.code == "invalid_phone"


@pytest.mark.parametrize("amount", [150050, 0, -100, 99])
def test_amounts_must_be_whole_meticais(gw, account, amount):
    with pytest.raises(GatewayDeclined) as exc:
        gw.initiate(account, pay(amount=amount))
    assert exc.value.code == "amount_out_of_limits"


def test_other_currency_or_method_is_not_supported(gw, account):
    with pytest.raises(GatewayNotSupported):
        gw.initiate(account, pay(currency="KES"))
    with pytest.raises(GatewayNotSupported):
        gw.initiate(account, pay(method="mpesa_ke"))


def test_missing_credentials_are_a_configuration_problem(gw, account):
    for missing in ("api_key", "public_key"):
        creds = {k: v for k, v in account.credentials.items() if k != missing}
        with pytest.raises(GatewayAuthError) as exc:
            gw.initiate(replace(account, credentials=creds), pay())
        assert exc.value.code == "shop_not_configured"
    bad = {**account.credentials, "public_key": "bm90IGEga2V5"}
    with pytest.raises(GatewayAuthError):
        gw.initiate(replace(account, credentials=bad), pay())


def test_references_are_derived_from_the_payment_and_short():
    refs = {wire.third_party_reference(f"pay_{i:024d}") for i in range(200)}
    assert len(refs) == 200 and all(len(r) == 20 and r.isalnum() for r in refs)
    assert wire.third_party_reference(PAY) == TPR
    assert len(wire.transaction_reference(PAY)) <= 20
    assert wire.reversal_reference("re_1") != wire.third_party_reference("re_1")


def test_reference_before_call_is_the_one_sent(gw):
    assert gw.reference_before_call(PAY) == TPR


# HTTP status and INS code -> (error type or result status, our code)
TABLE = [
    (500, "INS-1", GatewayUnavailable, "provider_error"),
    (401, "INS-2", GatewayAuthError, "gateway_auth_failed"),
    (401, "INS-4", GatewayAuthError, "gateway_auth_failed"),
    (401, "INS-5", GatewayDeclined, "canceled"),
    (401, "INS-6", GatewayDeclined, "declined"),
    (408, "INS-9", GatewayDeclined, "timeout"),
    (400, "INS-13", GatewayAuthError, "shop_not_configured"),
    (400, "INS-14", GatewayDeclined, "provider_error"),
    (400, "INS-15", GatewayDeclined, "amount_out_of_limits"),
    (503, "INS-16", GatewayUnavailable, "operator_unavailable"),
    (400, "INS-17", GatewayDeclined, "provider_error"),
    (400, "INS-19", GatewayDeclined, "provider_error"),
    (400, "INS-20", GatewayDeclined, "provider_error"),
    (400, "INS-21", GatewayDeclined, "provider_error"),
    (400, "INS-23", GatewayUnavailable, "provider_error"),
    (400, "INS-24", GatewayAuthError, "shop_not_configured"),
    (400, "INS-25", GatewayAuthError, "shop_not_configured"),
    (400, "INS-26", GatewayAuthError, "gateway_auth_failed"),
    (400, "INS-996", GatewayDeclined, "account_inactive"),
    (400, "INS-2001", GatewayDeclined, "wrong_pin"),
    (400, "INS-2002", GatewayAuthError, "shop_not_configured"),
    (400, "INS-2005", GatewayDeclined, "amount_out_of_limits"),
    (422, "INS-2006", GatewayDeclined, "insufficient_funds"),
    (400, "INS-2051", GatewayDeclined, "invalid_phone"),
    (400, "INS-999999", GatewayDeclined, "declined"),
    (502, None, GatewayUnavailable, "provider_error"),
]


@pytest.mark.parametrize("status,code,error,ours", TABLE)
def test_ins_codes(gw, account, http_mock, status, code, error, ours):
    body = answer(code, tpr=TPR) if code else {"message": "bad gateway"}
    http_mock.post(C2B, json=body, status=status)
    with pytest.raises(error) as exc:
        gw.initiate(account, pay())
    assert exc.value.code == ours
    assert code is None or code in exc.value.message
    if error is GatewayUnavailable:
        # INS-16 refuses at the door (nothing debited); the others may follow a debit.
        assert exc.value.outcome_unknown == (code != "INS-16")
        assert exc.value.retryable == (code == "INS-16")


def test_duplicate_reference_is_pending_not_failed(gw, account, http_mock):
    http_mock.post(C2B, json=answer("INS-10", tpr=TPR), status=409)
    result = gw.initiate(account, pay())
    assert (result.status, result.provider_reference) == ("pending", TPR)
    assert result.next_action.type == "approve_on_phone"


def test_success_about_another_reference_is_not_believed(gw, account, http_mock):
    http_mock.post(C2B, json=answer(tpr="SOMETHINGELSE"), status=201)
    with pytest.raises(GatewayUnavailable) as exc:
        gw.initiate(account, pay())
    assert exc.value.outcome_unknown


def test_a_read_timeout_leaves_the_outcome_unknown(gw, account, http_mock):
    http_mock.post(C2B, body=requests.ReadTimeout("slow"))
    with pytest.raises(GatewayUnavailable) as exc:
        gw.initiate(account, pay())
    assert exc.value.outcome_unknown


def test_connection_refused_sent_nothing(gw, account, http_mock):
    http_mock.post(C2B, body=requests.ConnectionError("refused"))
    with pytest.raises(GatewayUnavailable) as exc:
        gw.initiate(account, pay())
    assert not exc.value.outcome_unknown


def test_the_c2b_read_timeout_is_two_minutes(gw, account, http_mock, monkeypatch):
    seen = {}
    original = responses.RequestsMock._on_request

    def spy(self, adapter, request, **kwargs):
        seen["timeout"] = kwargs.get("timeout")
        return original(self, adapter, request, **kwargs)

    monkeypatch.setattr(responses.RequestsMock, "_on_request", spy)
    http_mock.post(C2B, json=answer(tpr=TPR), status=201)
    gw.initiate(account, pay())
    assert seen["timeout"] == (10, 120)
