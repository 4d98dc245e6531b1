"""A shopper pays with M-Pesa in a real Chromium, end to end, once per gateway: the API
creates the checkout, the shopper types the number and picks M-Pesa on our page, sees
"approve on your phone" with its live status while the simulator waits for the PIN, and
lands on the paid page, then back at the merchant with a signed return.

Kenya (Daraja STK push: pushed from the web request, settled by the callback and the STK
query) in English; Mozambique (Vodacom C2B: the blocking call runs in a worker job while
the page shows live status) with a Portuguese browser."""
import dataclasses
import hashlib
import hmac
from urllib.parse import parse_qsl, quote, urlsplit

import pytest
import requests
from playwright.sync_api import sync_playwright

pytestmark = pytest.mark.browser

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
PHONE = {"width": 360, "height": 740}
PIN_SECONDS = 3          # how long the simulated shopper takes to approve on the phone


@pytest.fixture
def chromium():
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def slow_pin(simulator, monkeypatch):
    """``slow_pin(name)``: that simulator's shopper approves after PIN_SECONDS, so the
    page is seen waiting."""
    def slow(name):
        sim = simulator.app.extensions["simulators"][name]
        monkeypatch.setattr(sim, "cfg", dataclasses.replace(sim.cfg,
                                                            delay_seconds=PIN_SECONDS))
    return slow


def expected_sig(secret, params):
    message = "&".join(f"{k}={quote(str(v), safe='')}" for k, v in sorted(params.items()))
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()


def new_checkout(live_server, merchant, order_id, amount, currency, country):
    return_url = f"{live_server.url}/demo/return"
    resp = requests.post(f"{live_server.url}/api/v1/checkouts", headers=merchant.auth,
                         json={"order_id": order_id, "amount": amount, "currency": currency,
                               "country": country, "description": "2 x T-shirt",
                               "return_url": return_url}, timeout=10)
    assert resp.status_code == 201, resp.text
    return resp.json(), return_url


def pay(page, checkout, method, number):
    """Type the number, pick M-Pesa (the operator the number says may be picked already),
    press Pay; -> once on our wait page."""
    page.goto(checkout["url"])
    page.locator("#phone").press_sequentially(number, delay=20)
    radio = page.locator(f"input[value={method}]")
    if not radio.is_checked():
        page.locator("label.opt", has=radio).click()
    assert radio.is_checked()
    page.locator("#pay-form button[type=submit]").click()
    page.wait_for_url(f"{checkout['url']}/wait", timeout=10_000)


def back_at_the_merchant(page, merchant, checkout, return_url, order_id):
    page.wait_for_url(f"{return_url}?**", timeout=45_000)
    query = dict(parse_qsl(urlsplit(page.url).query))
    sig = query.pop("sig")
    assert query == {"checkout_id": checkout["id"], "order_id": order_id, "status": "paid",
                     "amount": str(checkout["amount"]), "currency": checkout["currency"],
                     "livemode": "false"}
    assert hmac.compare_digest(sig, expected_sig(merchant.link_secret, query))


def test_pay_with_mpesa_kenya(make_merchant, live_server, simulator, worker, chromium,
                              slow_pin):
    slow_pin("mpesa_ke")
    merchant = make_merchant(name="Duka Nairobi", return_hosts=("127.0.0.1",))
    live_server.register(merchant)
    checkout, return_url = new_checkout(live_server, merchant, "KE-1001", 150000, "KES", "KE")

    page = chromium.new_page(viewport=PHONE, locale="en-KE")
    pay(page, checkout, "mpesa_ke", "0708 001 101")
    live = page.locator("#live-status")
    assert "Approve the payment on your phone" in live.inner_text()
    assert "+254" in live.inner_text() and "01" in live.inner_text()
    assert "Waiting for your approval" in page.locator("#status-text").inner_text()

    page.get_by_role("heading", name="Payment received").wait_for(timeout=45_000)
    assert "Duka Nairobi has received your payment" in page.locator("section.card").inner_text()
    back_at_the_merchant(page, merchant, checkout, return_url, "KE-1001")
    paid = requests.get(f"{live_server.url}/api/v1/checkouts/{checkout['id']}",
                        headers=merchant.auth, timeout=10).json()
    assert paid["status"] == "paid" and paid["payment"]["method"] == "mpesa_ke"


def test_pay_with_mpesa_mozambique_in_portuguese(make_merchant, live_server, simulator,
                                                 worker, chromium, slow_pin):
    slow_pin("mpesa_mz")
    merchant = make_merchant(name="Loja Maputo", return_hosts=("127.0.0.1",))
    live_server.register(merchant)
    checkout, return_url = new_checkout(live_server, merchant, "MZ-1001", 150000, "MZN", "MZ")

    page = chromium.new_page(viewport=PHONE, locale="pt-MZ")
    page.goto(checkout["url"])
    assert page.locator("html").get_attribute("lang") == "pt"
    assert page.get_by_role("heading", name="Como quer pagar?").is_visible()
    pay(page, checkout, "mpesa_mz", "84 110 01 01")
    # The C2B call is still held by the simulator (the shopper types the PIN): the
    # page shows it live, in Portuguese.
    live = page.locator("#live-status")
    assert "Aprove o pagamento no seu telemóvel" in live.inner_text()
    assert "+258" in live.inner_text()
    assert "A aguardar a sua aprovação" in page.locator("#status-text").inner_text()

    page.get_by_role("heading", name="Pagamento recebido").wait_for(timeout=45_000)
    back_at_the_merchant(page, merchant, checkout, return_url, "MZ-1001")
    paid = requests.get(f"{live_server.url}/api/v1/checkouts/{checkout['id']}",
                        headers=merchant.auth, timeout=10).json()
    assert paid["status"] == "paid" and paid["payment"]["method"] == "mpesa_mz"
