"""Paystack simulator: auth, envelope, initialize and verify (providers.md 3.1-3.3, 3.7)."""
import re

import pytest

from .support import ACCOUNT, OTHER_KEY, PaystackClient


@pytest.mark.parametrize("headers, message", [
    ({}, "Format is Authorization Bearer [secret key]"),
    ({"Authorization": "sk_test_simulator_key_1"}, "Format is Authorization Bearer [secret key]"),
    ({"Authorization": "Basic abc"}, "Format is Authorization Bearer [secret key]"),
    ({"Authorization": "Bearer "}, "Format is Authorization Bearer [secret key]"),
    ({"Authorization": "Bearer sk_test_wrong"}, "Invalid key"),
])
@pytest.mark.parametrize("method, path", [("POST", "/transaction/initialize"),
                                          ("GET", "/transaction/verify/ref1"),
                                          ("POST", "/charge"), ("POST", "/refund"),
                                          ("GET", "/refund"), ("GET", "/refund/1")])
def test_auth_errors_are_401_with_paystacks_messages(paystack, headers, message, method, path):
    resp = paystack.http.request(method, paystack.base + path, headers=headers, json={},
                                 timeout=5)
    assert resp.status_code == 401
    assert resp.json() == {"status": False, "message": message}


def test_initialize_answers_an_authorization_url_under_the_mount(paystack):
    resp = paystack.initialize(reference="pay-Ab12.x=y", currency="GHS",
                               callback_url="https://shop.test/back", channels=["card"],
                               metadata={"payment_id": "pay_Ab12"})
    assert resp.status_code == 200
    body = resp.json()
    assert (body["status"], body["message"]) == (True, "Authorization URL created")
    data = body["data"]
    assert data["reference"] == "pay-Ab12.x=y"
    assert re.fullmatch(r"[a-z0-9]{15}", data["access_code"])
    assert data["authorization_url"] == f"{paystack.base}/checkout/{data['access_code']}"


def test_initialize_makes_a_reference_when_none_is_given(paystack):
    first = paystack.initialize().json()["data"]["reference"]
    second = paystack.initialize().json()["data"]["reference"]
    assert first != second and re.fullmatch(r"[a-z0-9]+", first)


def test_initialize_takes_a_form_and_string_amounts_and_metadata(paystack):
    resp = paystack.http.post(paystack.base + "/transaction/initialize",
                              headers=paystack.headers(), timeout=5,
                              data={"email": "a@b.co", "amount": "5000", "reference": "f-1",
                                    "metadata": '{"payment_id": "pay_1"}'})
    assert resp.status_code == 200, resp.text
    data = paystack.verify("f-1")
    assert (data["amount"], data["currency"], data["metadata"]) == \
        (5000, "NGN", {"payment_id": "pay_1"})


@pytest.mark.parametrize("fields, message", [
    ({"email": ""}, "Email is not allowed to be empty"),
    ({"email": "nope"}, "Invalid Email Address Passed"),
    ({"amount": 12.5}, "Amount must be an integer"),
    ({"amount": "12.50"}, "Amount must be an integer"),
    ({"amount": 0}, "You must specify a valid amount"),
    ({"amount": 10 ** 12}, "Transaction amount limit exceeded"),
    ({"currency": "EUR"}, "Currency not supported by merchant"),
    ({"reference": "pay_1"}, "Invalid character in transaction reference"),
    ({"reference": "a b"}, "Invalid character in transaction reference"),
    ({"reference": "a/b"}, "Invalid character in transaction reference"),
    ({"callback_url": "javascript:alert(1)"}, "Invalid callback_url"),
    ({"channels": ["card", "cash"]}, None),
    ({"metadata": "[1]"}, None),
])
def test_initialize_validation(paystack, fields, message):
    resp = paystack.initialize(**fields)
    assert resp.status_code == 400
    body = resp.json()
    assert body["status"] is False and (message is None or body["message"] == message)
    assert paystack.sim("GET", "/transactions").json() == []


def test_duplicate_reference(paystack):
    assert paystack.initialize(reference="dup-1").status_code == 200
    resp = paystack.initialize(reference="dup-1")
    assert resp.status_code == 400
    assert resp.json() == {"status": False, "message": "Duplicate Transaction Reference"}


def test_verify_of_an_unfinished_checkout_says_abandoned(paystack):
    paystack.initialize(reference="v-1", currency="ZAR", amount=9900)
    data = paystack.verify("v-1")
    assert (data["status"], data["reference"], data["amount"], data["currency"]) == \
        ("abandoned", "v-1", 9900, "ZAR")
    assert data["domain"] == "test" and data["paid_at"] is None
    assert data["channel"] == "card" and data["gateway_response"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", data["created_at"])


def test_verify_unknown_reference(paystack):
    resp = paystack.get("/transaction/verify/nope-1")
    assert resp.status_code == 400
    assert resp.json() == {"status": False, "message": "Transaction reference not found"}


def test_transactions_are_per_account_and_domain_follows_the_key(paystack, server):
    paystack.initialize(reference="mine-1")
    other = PaystackClient(server.url, key="sk_live_other_account")
    assert other.put_account("acct_live", key="sk_live_other_account").status_code == 201
    assert other.get("/transaction/verify/mine-1").status_code == 400
    assert other.initialize(reference="mine-1").status_code == 200     # per integration
    assert other.verify("mine-1")["domain"] == "live"
    assert paystack.verify("mine-1")["domain"] == "test"
    other.close()


def test_accounts_are_registered_and_replaced(paystack):
    again = paystack.put_account(webhook_url=None)
    assert again.status_code == 200
    body = again.json()
    assert body["id"] == ACCOUNT and body["webhook_url"] is None and body["domain"] == "test"
    assert "simulator_key_1" not in body["secret_key"]            # masked
    assert paystack.put_account("acct_2", key=OTHER_KEY).status_code == 201
    assert paystack.sim("PUT", "/accounts/x", json={"secret_key": "pk_test_1"}).status_code \
        == 400
    assert paystack.sim("PUT", "/accounts/x", json={"secret_key": OTHER_KEY,
                                                    "webhook_url": "ftp://x"}).status_code == 400
    assert paystack.sim("GET", "/accounts/acct_2").json()["id"] == "acct_2"
    assert paystack.sim("GET", "/accounts/nope").status_code == 404


def test_reset_forgets_transactions(paystack):
    paystack.initialize(reference="r-1")
    assert paystack.sim("POST", "/reset").status_code == 200
    assert paystack.sim("GET", "/transactions").json() == []
