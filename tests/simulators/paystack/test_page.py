"""Paystack simulator: the hosted checkout page behind ``authorization_url`` (3.2), with
Paystack's test cards, and its redirect back to ``callback_url``."""
import logging
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.waiting import wait_until

from .support import TEST_CARD

CALLBACK = "https://shop.test/c/cs_1/return?payment=pay_1"
CANCEL = "https://shop.test/c/cs_1/cancel?payment=pay_1"


def start(paystack, reference="card-1", **fields):
    resp = paystack.initialize(reference=reference, callback_url=CALLBACK,
                               metadata={"payment_id": "pay_1", "cancel_action": CANCEL},
                               **fields)
    assert resp.status_code == 200, resp.text
    return resp.json()["data"]["authorization_url"]


def back_query(resp):
    assert resp.status_code == 303
    location = urlsplit(resp.headers["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == CALLBACK.split("?")[0]
    return parse_qs(location.query)


def test_the_page_is_a_plain_form(paystack):
    page = paystack.page(start(paystack, amount=150000, currency="GHS"))
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    html = page.text
    for name in ("card_number", "expiry", "cvv", "pin", "otp"):
        assert f'name="{name}"' in html
    assert 'method="post"' in html and "<script" not in html
    assert "1500.00 GHS" in html and "ama@example.com" in html
    for action in ("succeed", "decline", "abandon"):
        assert f'value="{action}"' in html


def test_the_test_card_with_pin_and_otp_succeeds_and_comes_back(paystack, receiver, caplog):
    caplog.set_level(logging.DEBUG)
    url = start(paystack)
    resp = paystack.page(url, {**TEST_CARD, "action": "succeed"})
    assert back_query(resp) == {"payment": ["pay_1"], "trxref": ["card-1"],
                                "reference": ["card-1"]}
    data = paystack.verify("card-1")
    assert (data["status"], data["gateway_response"], data["channel"]) == \
        ("success", "Successful", "card")
    assert data["paid_at"] and data["authorization"]["last4"] == "4081"
    assert data["authorization"]["bin"] == "408408"
    (hook,) = wait_until(lambda: receiver.events("card-1"))
    assert hook["json"]["event"] == "charge.success"
    # The card data is gone: not in the page, the inspection, the webhook or the logs.
    inspection = paystack.sim("GET", "/transactions/card-1").text
    seen = paystack.page(url).text + inspection + hook["body"].decode() + caplog.text
    for secret in ("4084 0840 8408 4081", "4084084084084081", "123456"):
        assert secret not in seen
    for field in ("card_number", "cvv", "pin", "otp", "expiry"):
        assert f'"{field}"' not in inspection and f'"{field}"' not in hook["body"].decode()


@pytest.mark.parametrize("number", ["4084084084084081", "4084-0840-8408-4081",
                                    " 4084 0840 8408 4081 "])
def test_spaces_and_dashes_in_the_number_are_fine(paystack, number):
    url = start(paystack)
    back_query(paystack.page(url, {**TEST_CARD, "card_number": number, "action": "succeed"}))
    assert paystack.verify("card-1")["status"] == "success"


@pytest.mark.parametrize("card, gateway_response", [
    ({"card_number": "4084 0800 0000 5408", "cvv": "001"}, "Declined"),
    ({"card_number": "4084080000670037", "cvv": "787"}, "Insufficient Funds"),
])
def test_decline_cards_are_declined(paystack, receiver, card, gateway_response):
    url = start(paystack)
    back_query(paystack.page(url, {**TEST_CARD, **card, "action": "succeed"}))
    data = paystack.verify("card-1")
    assert (data["status"], data["gateway_response"]) == ("failed", gateway_response)
    assert paystack.page(url).status_code == 200 and "Status: failed" in paystack.page(url).text
    assert receiver.events("card-1") == []          # no webhook for a failed charge


def test_the_decline_button(paystack):
    back_query(paystack.page(start(paystack), {"action": "decline"}))
    assert paystack.verify("card-1")["status"] == "failed"


def test_abandon_goes_to_cancel_action_and_stays_abandoned(paystack):
    url = start(paystack)
    resp = paystack.page(url, {"action": "abandon"})
    assert resp.status_code == 303 and resp.headers["Location"] == CANCEL
    assert paystack.verify("card-1")["status"] == "abandoned"
    again = paystack.page(url, {**TEST_CARD, "action": "succeed"})
    assert again.status_code == 409 and paystack.verify("card-1")["status"] == "abandoned"


def test_abandon_without_cancel_action_goes_to_the_callback(paystack):
    paystack.initialize(reference="card-2", callback_url=CALLBACK)
    url = paystack.sim("GET", "/transactions/card-2").json()["access_code"]
    resp = paystack.page(f"{paystack.base}/checkout/{url}", {"action": "abandon"})
    assert back_query(resp)["reference"] == ["card-2"]


@pytest.mark.parametrize("changes, error", [
    ({"card_number": "4242 4242 4242 4242"}, "Card not accepted"),
    ({"card_number": ""}, "Card not accepted"),
    ({"cvv": "123"}, "Invalid CVV"),
    ({"pin": "1234"}, "Incorrect PIN"),
    ({"otp": "000000"}, "wrong OTP"),
    ({"expiry": "01/20"}, "expired"),
    ({"expiry": "13/30"}, "Invalid expiry"),
    ({"expiry": "soon"}, "Invalid expiry"),
])
def test_a_wrong_card_keeps_the_page_open(paystack, changes, error):
    url = start(paystack)
    resp = paystack.page(url, {**TEST_CARD, **changes, "action": "succeed"})
    assert resp.status_code == 422 and error in resp.text
    for value in changes.values():
        if len(value) > 4:
            assert value not in resp.text               # never echoed back
    assert paystack.verify("card-1")["status"] == "abandoned"
    back_query(paystack.page(url, {**TEST_CARD, "action": "succeed"}))


def test_a_finished_page_cannot_be_paid_again(paystack):
    url = start(paystack)
    back_query(paystack.page(url, {**TEST_CARD, "action": "succeed"}))
    assert paystack.page(url, {**TEST_CARD, "action": "succeed"}).status_code == 409
    assert paystack.page(url, {"action": "decline"}).status_code == 409
    assert paystack.verify("card-1")["status"] == "success"


def test_unknown_access_code_and_unknown_action(paystack):
    assert paystack.page(f"{paystack.base}/checkout/nope").status_code == 404
    assert paystack.page(f"{paystack.base}/checkout/nope", {"action": "decline"}).status_code \
        == 404
    assert paystack.page(start(paystack), {"action": "steal"}).status_code == 400
