"""Chapa simulator: the hosted payment page (providers.md 2.3, 2.10): pay with a test
card, decline, abandon; the browser goes back to return_url; no card data is kept."""
import logging
import time

import pytest

from tests.waiting import wait_until

from .support import DELAY, TEST_CARDS

RETURN = "https://shop.test/return?order=42"


@pytest.mark.parametrize("card", [*TEST_CARDS, "4242424242424242", " 4200 0000 0000 0000 "])
def test_a_test_card_pays_and_the_browser_returns(chapa, card):
    url = chapa.init_ok("pay_ok", return_url=RETURN)
    resp = chapa.choose(url, "succeed", card=card)
    assert resp.status_code == 303 and resp.headers["Location"] == RETURN
    data = chapa.verify("pay_ok").json()["data"]
    assert (data["status"], data["method"], data["amount"], data["tx_ref"]) == \
        ("success", "card", 100.5, "pay_ok")


@pytest.mark.parametrize("card, expiry, cvv, says", [
    ("4111 1111 1111 1111", "12/30", "123", "declined"),
    ("4000 0000 0000 0002", "12/30", "123", "declined"),
    ("", "12/30", "123", "declined"),
    (TEST_CARDS[0], "13/30", "123", "MM/YY"),
    (TEST_CARDS[0], "", "123", "MM/YY"),
    (TEST_CARDS[1], "12/30", "12", "security code"),
])
def test_other_cards_get_the_page_again_with_an_error(chapa, hooks, card, expiry, cvv, says):
    url = chapa.init_ok("pay_no", return_url=RETURN, callback_url=hooks.callback_url)
    resp = chapa.choose(url, "succeed", card=card, expiry=expiry, cvv=cvv)
    assert resp.status_code == 422 and says in resp.text
    assert 'id="error"' in resp.text and '<form method="post"' in resp.text
    digits = card.replace(" ", "")
    assert (not digits or digits not in resp.text) and f'value="{cvv}"' not in resp.text
    assert chapa.status_of("pay_no") == "pending"
    time.sleep(DELAY * 2)
    assert hooks.calls == []


def test_decline_fails_the_payment_and_returns(chapa, hooks):
    url = chapa.init_ok("pay_dec", return_url=RETURN, callback_url=hooks.callback_url)
    resp = chapa.choose(url, "decline", card="", expiry="", cvv="")
    assert resp.status_code == 303 and resp.headers["Location"] == RETURN
    assert chapa.status_of("pay_dec") == "failed"


def test_abandon_returns_with_nothing_paid_and_nothing_sent(chapa, hooks):
    url = chapa.init_ok("pay_ab", return_url=RETURN, callback_url=hooks.callback_url)
    resp = chapa.choose(url, "abandon")
    assert resp.status_code == 303 and resp.headers["Location"] == RETURN
    time.sleep(DELAY * 2)
    assert chapa.status_of("pay_ab") == "pending" and hooks.calls == []
    # The shopper may come back to the page and still pay.
    assert chapa.choose(url, "succeed").status_code == 303
    assert chapa.status_of("pay_ab") == "success"


def test_a_settled_page_cannot_be_paid_again(chapa, hooks):
    url = chapa.init_ok("pay_once", return_url=RETURN)
    assert chapa.choose(url, "decline").status_code == 303
    again = chapa.choose(url, "succeed")
    assert again.status_code == 409 and "Status: failed" in again.text
    assert chapa.status_of("pay_once") == "failed"
    assert "Status: failed" in chapa.page(url).text


def test_without_return_url_the_page_shows_the_outcome(chapa):
    resp = chapa.choose(chapa.init_ok("pay_nr"), "succeed")
    assert resp.status_code == 200 and "Status: success" in resp.text


def test_unknown_page_and_unknown_action(chapa):
    url = chapa.init_ok("pay_x")
    assert chapa.page(url + "nope").status_code == 404
    resp = chapa.http.post(url, data={"action": "steal"}, allow_redirects=False, timeout=5)
    assert resp.status_code == 400 and chapa.status_of("pay_x") == "pending"


def test_card_data_is_neither_kept_nor_logged(chapa, hooks, caplog):
    caplog.set_level(logging.DEBUG)
    chapa.put_account(webhook_url=hooks.webhook_url)
    url = chapa.init_ok("pay_pci", callback_url=hooks.callback_url)
    chapa.choose(url, "succeed", card="4111 1111 1111 1111", cvv="987")
    chapa.choose(url, "succeed", card="4242 4242 4242 4242", expiry="11/29", cvv="731")
    wait_until(lambda: hooks.posts("pay_pci"))
    kept = str(chapa.sim("GET", "/transactions").json()) + str(hooks.calls)
    kept += chapa.verify("pay_pci").text + caplog.text
    for secret in ("4111 1111 1111 1111", "4111111111111111", "4242 4242 4242 4242",
                   "4242424242424242", "11/29", "11%2F29", "cvv", "card_number"):
        assert secret not in kept, secret
