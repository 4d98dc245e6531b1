"""The Daraja simulator over its Flask test client: token, STK push validation and
refusals, STK query, reversal validation, controls."""
import base64
from datetime import UTC, datetime

import pytest

from checkout.simulators.mpesa_ke import load_config
from checkout.simulators.mpesa_ke.keys import CERTIFICATE_PEM
from tests.waiting import wait_until

from .support import KEY, SHORTCODE, STEM, basic, password, push_body, query_body

TOKEN = "/daraja/oauth/v1/generate"
PUSH = "/daraja/mpesa/stkpush/v1/processrequest"
QUERY = "/daraja/mpesa/stkpushquery/v1/query"
REVERSE = "/daraja/mpesa/reversal/v1/request"


def test_token_is_basic_auth_with_a_string_expiry(api):
    resp = api.get(TOKEN + "?grant_type=client_credentials", headers=basic())
    body = resp.get_json()
    assert resp.status_code == 200 and body["expires_in"] == "3599" and body["access_token"]


@pytest.mark.parametrize("query,headers,code", [
    ("?grant_type=client_credentials", {}, "400.008.01"),
    ("?grant_type=client_credentials", {"Authorization": "Bearer x"}, "400.008.01"),
    ("?grant_type=password", basic(), "400.008.02"),
    ("?grant_type=client_credentials", basic(KEY, "wrong"), "400.008.01"),
])
def test_token_refusals(api, query, headers, code):
    resp = api.get(TOKEN + query, headers=headers)
    assert resp.status_code == 400 and resp.get_json()["errorCode"] == code
    assert set(resp.get_json()) == {"requestId", "errorCode", "errorMessage"}


def test_unknown_keys_get_the_public_sandbox_app(app):
    client = app.test_client()
    token = client.get(TOKEN + "?grant_type=client_credentials",
                       headers=basic("anySandboxKey", "anySecret")).get_json()["access_token"]
    resp = client.post(PUSH, json=push_body(), headers={"Authorization": f"Bearer {token}"})
    assert resp.status_code == 200 and resp.get_json()["ResponseCode"] == "0"


def test_push_accepted_shape(api):
    resp = api.post(PUSH, json=push_body(), headers=api.bearer)
    body = resp.get_json()
    assert resp.status_code == 200
    assert body["CheckoutRequestID"].startswith("ws_CO_") and body["ResponseCode"] == "0"
    assert set(body) == {"MerchantRequestID", "CheckoutRequestID", "ResponseCode",
                         "ResponseDescription", "CustomerMessage"}


def test_push_without_a_valid_token(api):
    for headers in ({}, {"Authorization": "Bearer nope"}):
        resp = api.post(PUSH, json=push_body(), headers=headers)
        assert resp.status_code == 404 and resp.get_json()["errorCode"] == "404.001.03"


@pytest.mark.parametrize("field,value", [
    ("BusinessShortCode", "12"), ("Timestamp", "2026-01-01"), ("Timestamp", "20260231120000"),
    ("TransactionType", "CustomerPay"), ("Amount", 10.5), ("Amount", 0), ("Amount", "1e3"),
    ("PartyA", "0708001101"), ("PhoneNumber", "+254708001101"), ("PartyB", "abc"),
    ("CallBackURL", "ftp://x"), ("AccountReference", "ABCDEFGHIJKLM"), ("AccountReference", ""),
    ("TransactionDesc", "fourteen chars"), ("TransactionDesc", None), ("Password", ""),
])
def test_push_field_validation(api, field, value):
    resp = api.post(PUSH, json=push_body(**{field: value}), headers=api.bearer)
    assert resp.status_code == 400
    assert resp.get_json()["errorCode"] == "400.002.02"
    assert resp.get_json()["errorMessage"] == f"Bad Request - Invalid {field}"


def test_a_utc_timestamp_is_three_hours_off(api):
    ts = datetime.now(UTC).strftime("%Y%m%d%H%M%S")
    resp = api.post(PUSH, json=push_body(Timestamp=ts, Password=password(ts)),
                    headers=api.bearer)
    assert resp.status_code == 400
    assert resp.get_json()["errorMessage"] == "Bad Request - Invalid Timestamp"


def test_a_wrong_password(api):
    resp = api.post(PUSH, json=push_body(Password=base64.b64encode(b"nope").decode()),
                    headers=api.bearer)
    assert resp.status_code == 500 and resp.get_json()["errorCode"] == "500.001.1001"
    assert resp.get_json()["errorMessage"] == "Wrong credentials"


def test_a_second_push_to_one_number_cannot_lock_the_subscriber(api):
    assert api.post(PUSH, json=push_body("01"), headers=api.bearer).status_code == 200
    resp = api.post(PUSH, json=push_body("01", Amount=11), headers=api.bearer)
    assert resp.status_code == 500 and resp.get_json()["errorCode"] == "500.001.1001"
    assert resp.get_json()["errorMessage"].startswith("Unable to lock subscriber")
    assert api.post(PUSH, json=push_body("02"), headers=api.bearer).status_code == 200


def test_magic_06_is_an_internal_error_at_push(api):
    resp = api.post(PUSH, json=push_body("06"), headers=api.bearer)
    assert resp.status_code == 500 and resp.get_json()["errorCode"] == "500.003.1001"


def test_query_is_being_processed_then_a_string_result(api):
    crid = api.post(PUSH, json=push_body("02"), headers=api.bearer).get_json()[
        "CheckoutRequestID"]
    first = api.post(QUERY, json=query_body(crid), headers=api.bearer)
    assert first.status_code == 500 and first.get_json()["errorMessage"] == \
        "The transaction is being processed"
    final = wait_until(lambda: (r := api.post(QUERY, json=query_body(crid),
                                              headers=api.bearer)).status_code == 200 and r)
    assert final.get_json()["ResultCode"] == "1" and final.get_json()["CheckoutRequestID"] == crid


def test_query_of_an_unknown_request(api):
    resp = api.post(QUERY, json=query_body("ws_CO_000"), headers=api.bearer)
    assert resp.status_code == 400 and resp.get_json()["errorMessage"] == \
        "Bad Request - Invalid CheckoutRequestID"


def test_buy_goods_on_a_paybill_app_fails_with_2028(api):
    crid = api.post(PUSH, json=push_body(TransactionType="CustomerBuyGoodsOnline",
                                         PartyB="5012345"),
                    headers=api.bearer).get_json()["CheckoutRequestID"]
    api.post(f"/daraja/_sim/transactions/{crid}/complete", json={"result_code": 2028})
    body = api.get(f"/daraja/_sim/transactions/{crid}").get_json()
    assert body["ResultCode"] == 2028


def reversal_body(**over):
    body = {"Initiator": "testapi", "SecurityCredential": "AAAA",
            "CommandID": "TransactionReversal", "TransactionID": "NLJ7RT61SV", "Amount": "10",
            "ReceiverParty": SHORTCODE, "RecieverIdentifierType": "11",
            "ResultURL": "http://127.0.0.1:9/r", "QueueTimeOutURL": "http://127.0.0.1:9/q",
            "Remarks": "Refund", "Occasion": "re_1"}
    body.update(over)
    return body


@pytest.mark.parametrize("field,value", [
    ("CommandID", "Reversal"), ("TransactionID", "x"), ("RecieverIdentifierType", "4"),
    ("Amount", "1.5"), ("ReceiverParty", "999999"), ("ResultURL", "nope"), ("Remarks", "x"),
    ("SecurityCredential", ""),
])
def test_reversal_validation(api, field, value):
    resp = api.post(REVERSE, json=reversal_body(**{field: value}), headers=api.bearer)
    assert resp.status_code == 400 and resp.get_json()["errorCode"] == "400.002.02"


def test_reversal_accepted_then_inspectable(api):
    resp = api.post(REVERSE, json=reversal_body(), headers=api.bearer)
    body = resp.get_json()
    assert resp.status_code == 200 and body["ResponseCode"] == "0"
    assert body["ConversationID"].startswith("AG_")
    view = wait_until(lambda: (v := api.get(
        f"/daraja/_sim/reversals/{body['OriginatorConversationID']}").get_json())
        ["ResultCode"] and v)
    assert view["ResultCode"] == "2001" and view["credential_ok"] is False


def test_controls(api):
    assert api.get("/daraja/_sim/certificate").get_data(as_text=True) == CERTIFICATE_PEM
    assert api.get(f"/daraja/_sim/accounts/{KEY}").get_json()["shortcode"] == SHORTCODE
    assert api.put("/daraja/_sim/accounts/x", json={"consumer_key": "k"}).status_code == 400
    assert api.post("/daraja/_sim/faults", json={"bogus": 1}).status_code == 400
    assert api.post("/daraja/_sim/faults", json={"spike_arrest": 1}).status_code == 200
    resp = api.post(PUSH, json=push_body(), headers=api.bearer)
    assert resp.status_code == 500 and resp.get_json()["errorCode"] == "500.003.02"
    assert api.post(PUSH, json=push_body(), headers=api.bearer).status_code == 200
    assert api.post("/daraja/_sim/reset").status_code == 200
    assert api.get("/daraja/_sim/transactions").get_json() == []
    assert api.post("/daraja/_sim/transactions/ws_CO_x/complete",
                    json={"result_code": 0}).status_code == 404


def test_config_rejects_unknown_keys():
    with pytest.raises(ValueError):
        load_config({"mpesa_ke": {"nope": 1}})
    assert load_config({"delay_seconds": 1}).delay_seconds == 1


__all__ = ["STEM"]
