"""The product's Chapa adapter against the running simulators app (every provider, as
``./scripts/run`` serves them) over real HTTP: initialize, the hosted page, verify, the
signed webhook, the GET callback, refunds, and the typed errors."""
from dataclasses import replace
from urllib.parse import urlsplit

import pytest
import requests

from checkout.gateways import get_gateway
from checkout.gateways.base import Account, PaymentRequest
from checkout.gateways.errors import GatewayAuthError, GatewayDeclined, WebhookVerificationError
from tests.waiting import wait_until

from .support import TEST_CARDS

RETURN = "https://pay.test/c/cs_1/return?payment="


@pytest.fixture
def gw():
    return get_gateway("chapa")


@pytest.fixture
def account(gw, simulator, hooks):
    """A test-mode account registered with the simulator as the product does it."""
    simulator.reset()
    acct = Account(credentials=gw.test_credentials(), livemode=False,
                   base_url=simulator.url + gw.test_base_path, notify_url=hooks.webhook_url)
    assert gw.register_test_account(acct, (2, 3)) == acct.credentials["secret_key"][-12:]
    yield acct
    simulator.reset()


@pytest.fixture
def browser():
    session = requests.Session()
    session.trust_env = False
    yield session
    session.close()


def request(payment_id, amount=10050, currency="ETB", **kw):
    return PaymentRequest(payment_id=payment_id, method="chapa", amount=amount,
                          currency=currency, phone=None, description="Order 42",
                          return_url=RETURN + payment_id, cancel_url=RETURN + payment_id, **kw)


def shopper(browser, url, action, card=TEST_CARDS[1]):
    assert browser.get(url, timeout=5).status_code == 200
    return browser.post(url, data={"action": action, "card_number": card, "expiry": "09/31",
                                   "cvv": "123"}, allow_redirects=False, timeout=5)


def webhook(gw, account, hooks, tx_ref, event):
    call = wait_until(lambda: next((c for c in hooks.posts(tx_ref)
                                    if f'"event":"{event}"'.encode() in c["raw"]), None),
                      what=f"{event} webhook")
    return gw.parse_notification(account, call["headers"], call["raw"])


def test_paid_with_a_test_card(gw, account, hooks, browser):
    started = gw.initiate(account, request("pay_e2e1", customer_email="abebe@example.et",
                                           customer_name="Abebe Bikila"))
    assert (started.status, started.provider_reference) == ("pending", "pay_e2e1")
    assert started.next_action.type == "redirect"
    assert gw.fetch_status(account, "pay_e2e1", "pay_e2e1").status == "pending"
    resp = shopper(browser, started.next_action.url, "succeed")
    assert resp.status_code == 303 and resp.headers["Location"] == RETURN + "pay_e2e1"
    sent = requests.get(f"{account.base_url}/_sim/transactions/pay_e2e1", timeout=5).json()
    assert sent["request"]["amount_sent_as"] == "str" and sent["amount"] == "100.50"
    assert sent["request"]["callback_url"] == account.notify_url
    assert sent["request"]["email"] == "abebe@example.et"
    verified = gw.fetch_status(account, "pay_e2e1", "pay_e2e1")
    assert (verified.status, verified.amount, verified.currency) == ("succeeded", 10050, "ETB")
    note = webhook(gw, account, hooks, "pay_e2e1", "charge.success")
    assert (note.result.status, note.result.amount, note.result.currency) == \
        ("succeeded", 10050, "ETB")
    assert note.provider_reference == note.payment_hint == "pay_e2e1"
    (call,) = wait_until(lambda: hooks.gets("pay_e2e1"))
    callback = gw.parse_callback(account, call["query"])
    assert (callback.provider_reference, callback.result) == ("pay_e2e1", None)
    assert call["path"] == urlsplit(hooks.webhook_url).path     # callback_url = notify_url


def test_declined_and_abandoned(gw, account, hooks, browser):
    declined = gw.initiate(account, request("pay_e2e2"))
    assert shopper(browser, declined.next_action.url, "decline", card="").status_code == 303
    assert gw.fetch_status(account, "pay_e2e2", "pay_e2e2").status == "failed"
    note = webhook(gw, account, hooks, "pay_e2e2", "charge.failed")
    assert (note.result.status, note.result.failure_code) == ("failed", "declined")
    abandoned = gw.initiate(account, request("pay_e2e3"))
    assert shopper(browser, abandoned.next_action.url, "abandon").status_code == 303
    assert gw.fetch_status(account, "pay_e2e3", "pay_e2e3").status == "pending"


def test_a_card_that_is_not_a_test_card_pays_nothing(gw, account, browser):
    started = gw.initiate(account, request("pay_e2e4"))
    resp = shopper(browser, started.next_action.url, "succeed", card="5555 5555 5555 4444")
    assert resp.status_code == 422
    assert gw.fetch_status(account, "pay_e2e4", "pay_e2e4").status == "pending"


def test_usd_cents_round_trip(gw, account, browser):
    started = gw.initiate(account, request("pay_e2e5", amount=1050, currency="USD"))
    shopper(browser, started.next_action.url, "succeed")
    result = gw.fetch_status(account, "pay_e2e5", "pay_e2e5")
    assert (result.amount, result.currency) == (1050, "USD")


def test_typed_errors(gw, account):
    gw.initiate(account, request("pay_e2e6"))
    with pytest.raises(GatewayDeclined) as dup:
        gw.initiate(account, request("pay_e2e6"))
    assert dup.value.code == "duplicate_reference"
    with pytest.raises(GatewayDeclined) as unknown:
        gw.fetch_status(account, "pay_nowhere", "pay_nowhere")
    assert unknown.value.code == "unknown_reference"
    stranger = replace(account, credentials=gw.test_credentials())     # never registered
    with pytest.raises(GatewayAuthError):
        gw.initiate(stranger, request("pay_e2e7"))
    with pytest.raises(GatewayAuthError):
        gw.fetch_status(stranger, "pay_e2e6", "pay_e2e6")


def test_refunds_full_and_partial(gw, account, hooks, browser):
    for pid in ("pay_e2r1", "pay_e2r2"):
        shopper(browser, gw.initiate(account, request(pid)).next_action.url, "succeed")
    full = gw.refund(account, "pay_e2r1", 10050, "ETB", "Out of stock", "re_1")
    assert full.status == "pending"
    wait_until(lambda: gw.fetch_refund(account, None, "pay_e2r1", "re_1").status
               == "succeeded", what="refund done")
    assert gw.fetch_status(account, "pay_e2r1", "pay_e2r1").status == "succeeded"
    note = webhook(gw, account, hooks, "pay_e2r1", "charge.refunded")
    assert (note.refund.status, note.refund.payment_reference, note.refund.amount) == \
        ("succeeded", "pay_e2r1", 10050)
    assert gw.refund(account, "pay_e2r2", 2550, "ETB", None, "re_2").status == "pending"
    note = webhook(gw, account, hooks, "pay_e2r2", "charge.refunded")
    assert (note.refund.amount, note.refund.currency) == (2550, "ETB")
    assert gw.fetch_refund(account, None, "pay_e2r2", "re_2").status == "pending"   # partial
    too_much = gw.refund(account, "pay_e2r2", 7501, "ETB", None, "re_3")
    assert too_much.status == "failed" and "refund amount" in too_much.failure_message


def test_another_mode_or_secret_is_refused(gw, account, hooks, browser, simulator):
    live_key = "CHASECK-" + account.credentials["secret_key"][-32:]
    mixed = replace(account, credentials={**account.credentials, "secret_key": live_key})
    gw.register_test_account(mixed, (2, 3))
    started = gw.initiate(mixed, request("pay_e2m1"))
    shopper(browser, started.next_action.url, "succeed")
    with pytest.raises(WebhookVerificationError) as exc:
        gw.fetch_status(mixed, "pay_e2m1", "pay_e2m1")
    assert exc.value.code == "mode_mismatch"
    call = wait_until(lambda: hooks.posts("pay_e2m1"))[0]
    with pytest.raises(WebhookVerificationError):
        gw.parse_notification(mixed, call["headers"], call["raw"])
    wrong_secret = replace(account, credentials={**account.credentials, "webhook_secret": "x"})
    with pytest.raises(WebhookVerificationError):
        gw.parse_notification(wrong_secret, call["headers"], call["raw"])
