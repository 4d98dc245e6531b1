"""Chapa simulator: POST /v1/transaction/initialize (providers.md 2.1, 2.2)."""
import re

import pytest

from .support import ChapaClient, path_of


def test_initialize_answers_a_hosted_link_on_the_simulator(chapa):
    resp = chapa.initialize(amount="100.50", currency="ETB", tx_ref="pay_1",
                            email="abebe@example.et", first_name="Abebe", last_name="Bikila",
                            callback_url="https://shop.test/cb",
                            return_url="https://shop.test/return",
                            **{"customization[title]": "Shop", "customization[description]":
                               "Order 42"})
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert (body["message"], body["status"]) == ("Hosted Link", "success")
    url = body["data"]["checkout_url"]
    assert url.startswith(chapa.base + "/checkout/")
    assert re.fullmatch(r"/chapa/checkout/[A-Za-z0-9]{24}", path_of(url))
    seen = chapa.inspect("pay_1")
    assert seen["status"] == "pending" and seen["amount"] == "100.50"
    assert seen["request"]["customization"] == {"title": "Shop", "description": "Order 42",
                                                "logo": None}


def test_the_page_shows_the_amount_and_a_plain_form(chapa):
    page = chapa.page(chapa.init_ok("pay_1", "10.50", "USD",
                                    **{"customization[title]": "Shop <b>"}))
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    html = page.text
    assert "10.50 USD" in html and "Shop &lt;b&gt;" in html and "<script" not in html
    assert '<form method="post"' in html
    for field in ("card_number", "expiry", "cvv"):
        assert f'name="{field}"' in html
    for action in ("succeed", "decline", "abandon"):
        assert f'value="{action}"' in html


def test_nested_customization_and_form_encoding_are_accepted(chapa):
    assert chapa.initialize(amount="5", currency="ETB", tx_ref="pay_n",
                            customization={"title": "Nested"}).status_code == 200
    assert chapa.inspect("pay_n")["request"]["customization"]["title"] == "Nested"
    resp = chapa.http.post(f"{chapa.base}/v1/transaction/initialize", headers=chapa.auth(),
                           data={"amount": "7.25", "currency": "USD", "tx_ref": "pay_f",
                                 "customization[title]": "Form"}, timeout=5)
    assert resp.status_code == 200
    seen = chapa.inspect("pay_f")
    assert (seen["amount"], seen["request"]["customization"]["title"]) == ("7.25", "Form")


@pytest.mark.parametrize("amount, kept", [("100", "100.00"), (100, "100.00"), ("0.5", "0.50")])
def test_amount_as_string_or_number(chapa, amount, kept):
    assert chapa.initialize(amount=amount, currency="ETB", tx_ref="pay_a").status_code == 200
    assert chapa.inspect("pay_a")["amount"] == kept


@pytest.mark.parametrize("missing", ["amount", "currency", "tx_ref"])
def test_required_attributes(chapa, missing):
    fields = {"amount": "10", "currency": "ETB", "tx_ref": "pay_r"}
    del fields[missing]
    resp = chapa.initialize(**fields)
    assert resp.status_code == 400
    assert resp.json() == {"message": 'Required Attribute: ["validation.required"]',
                           "status": "failed", "data": None}


@pytest.mark.parametrize("currency", ["XOF", "etb", "KES"])
def test_invalid_currency(chapa, currency):
    resp = chapa.initialize(amount="10", currency=currency, tx_ref="pay_c")
    assert resp.status_code == 400
    assert resp.json()["message"] == "Invalid currency, currency is not supported"


def test_duplicate_tx_ref_is_400_and_keeps_the_first(chapa):
    chapa.init_ok("pay_dup", "10.00")
    resp = chapa.initialize(amount="99.00", currency="ETB", tx_ref="pay_dup")
    assert resp.status_code == 400
    assert resp.json() == {"message": "Transaction reference has been used before",
                           "status": "failed", "data": None}
    assert chapa.inspect("pay_dup")["amount"] == "10.00"


@pytest.mark.parametrize("key, message", [
    (None, "Authorization required"),
    ("CHASECK_TEST-wrong", "Invalid API Key or User doesn't exist"),
])
def test_missing_or_bad_key_is_401(chapa, key, message):
    resp = chapa.initialize(key=key, amount="10", currency="ETB", tx_ref="pay_k")
    assert resp.status_code == 401
    assert resp.json() == {"message": message, "status": "failed", "data": None}
    assert chapa.sim("GET", "/transactions").json() == []


@pytest.mark.parametrize("fields, field", [
    ({"amount": "10.505"}, "amount"), ({"amount": "-1"}, "amount"), ({"amount": "0"}, "amount"),
    ({"amount": "1e3"}, "amount"), ({"amount": True}, "amount"),
    ({"tx_ref": "has space"}, "tx_ref"), ({"tx_ref": "x" * 51}, "tx_ref"),
    ({"phone_number": "+251911000000"}, "phone_number"), ({"email": "nope"}, "email"),
    ({"return_url": "javascript:alert(1)"}, "return_url"),
])
def test_invalid_fields_are_400_by_field(chapa, fields, field):
    body = {"amount": "10", "currency": "ETB", "tx_ref": "pay_v", **fields}
    resp = chapa.initialize(**body)
    assert resp.status_code == 400
    assert field in resp.json()["message"] and resp.json()["status"] == "failed"


def test_other_content_types_are_refused(chapa):
    resp = chapa.http.post(f"{chapa.base}/v1/transaction/initialize", data="amount=1",
                           headers={**chapa.auth(), "Content-Type": "text/plain"}, timeout=5)
    assert resp.status_code == 400 and "Content-Type" in resp.json()["message"]


def test_tx_refs_are_per_account(chapa, chapa_sim):
    other = ChapaClient(chapa_sim.url, key="CHASECK_TEST-otheraccountkey000000")
    assert chapa.put_account("other", secret_key=other.key).status_code == 201
    chapa.init_ok("pay_same")
    assert other.initialize(amount="1", currency="ETB", tx_ref="pay_same").status_code == 200
    assert other.verify("pay_same").json()["data"]["amount"] == 1
    assert chapa.verify("pay_same").json()["data"]["amount"] == 100.5
    other.close()
