"""Cards on the provider's own page, and a provider's code typed on ours, in a real
Chromium at phone size: the API creates the checkout, the shopper picks the way to pay
on our page, lands on the Chapa or Paystack simulator's page, types the provider's test
card, and comes back to our page, which says "Payment received" and then sends the
shopper to the merchant with a signed result. Paystack's Telecel/Vodafone mobile money
asks for a voucher: our page asks for it."""
import hashlib
import hmac
from datetime import UTC, datetime
from urllib.parse import parse_qsl, quote, urlsplit

import pytest
import requests
from playwright.sync_api import sync_playwright

pytestmark = pytest.mark.browser

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
PHONE = {"width": 360, "height": 740}
EXPIRY = f"12/{datetime.now(UTC).year % 100 + 3:02d}"


@pytest.fixture
def chromium():
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def shop(make_merchant, live_server):
    merchant = make_merchant(name="Boutique Addis", return_hosts=("127.0.0.1",))
    live_server.register(merchant)
    return merchant


def expected_sig(secret, params):
    message = "&".join(f"{k}={quote(str(v), safe='')}" for k, v in sorted(params.items()))
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()


def create_checkout(live_server, merchant, **body):
    resp = requests.post(f"{live_server.url}/api/v1/checkouts", headers=merchant.auth,
                         json={"description": "2 x T-shirt",
                               "return_url": f"{live_server.url}/demo/return", **body},
                         timeout=10)
    assert resp.status_code == 201, resp.text
    return resp.json()


def pick(page, method):
    """Choose a way to pay as a thumb does: on its label."""
    page.locator("label.opt", has=page.locator(f"input[value={method}]")).click()
    assert page.locator(f"input[value={method}]").is_checked()


def paid_and_back(page, checkout, merchant, amount, currency):
    """Our page says paid, then takes the shopper to the merchant with a valid signature."""
    page.get_by_role("heading", name="Payment received").wait_for(timeout=30_000)
    assert page.url == f"{checkout['url']}/wait"
    page.wait_for_url("**/demo/return?**", timeout=30_000)
    query = dict(parse_qsl(urlsplit(page.url).query))
    sig = query.pop("sig")
    assert query == {"checkout_id": checkout["id"], "order_id": checkout["order_id"],
                     "status": "paid", "amount": str(amount), "currency": currency,
                     "livemode": "false"}
    assert hmac.compare_digest(sig, expected_sig(merchant.link_secret, query))


def test_a_chapa_card_round_trip(shop, live_server, simulator, worker, chromium):
    checkout = create_checkout(live_server, shop, order_id="ET-1001", amount=123450,
                               currency="ETB", country="ET")
    page = chromium.new_page(viewport=PHONE, locale="en-US")
    page.goto(checkout["url"])
    pick(page, "chapa")
    page.locator("#pay-form button[type=submit]").click()

    page.wait_for_url(f"{simulator.url}/chapa/checkout/**", timeout=15_000)
    assert "1234.50 ETB" in page.locator("#amount").inner_text()
    page.locator("#card_number").press_sequentially("4200 0000 0000 0000", delay=10)
    page.locator("#expiry").fill(EXPIRY)
    page.locator("#cvv").fill("123")
    page.locator("#succeed").click()

    paid_and_back(page, checkout, shop, 123450, "ETB")
    got = requests.get(f"{live_server.url}/api/v1/checkouts/{checkout['id']}",
                       headers=shop.auth, timeout=10).json()
    assert got["status"] == "paid" and got["payment"]["method"] == "chapa"


def test_a_paystack_card_round_trip(shop, live_server, simulator, worker, chromium):
    checkout = create_checkout(live_server, shop, order_id="NG-1001", amount=123450,
                               currency="NGN", country="NG")
    page = chromium.new_page(viewport=PHONE, locale="en-US")
    page.goto(checkout["url"])
    pick(page, "paystack_card")
    page.locator("#email").fill("ada@example.com")       # Paystack needs it; we had none
    page.locator("#pay-form button[type=submit]").click()

    page.wait_for_url(f"{simulator.url}/paystack/checkout/**", timeout=15_000)
    page.locator("#card_number").press_sequentially("4084 0840 8408 4081", delay=10)
    page.locator("#expiry").fill(EXPIRY)
    page.locator("#cvv").fill("408")
    page.locator("#pin").fill("0000")
    page.locator("#otp").fill("123456")
    page.locator("#succeed").click()

    paid_and_back(page, checkout, shop, 123450, "NGN")
    got = requests.get(f"{live_server.url}/api/v1/checkouts/{checkout['id']}",
                       headers=shop.auth, timeout=10).json()
    assert got["status"] == "paid" and got["payment"]["method"] == "paystack_card"


def test_paystack_vodafone_asks_for_the_voucher_on_our_page(shop, live_server, simulator,
                                                             worker, chromium):
    checkout = create_checkout(live_server, shop, order_id="GH-1001", amount=2500,
                               currency="GHS", country="GH",
                               customer={"email": "kofi@example.com"})
    page = chromium.new_page(viewport=PHONE, locale="en-US")
    page.goto(checkout["url"])
    page.locator("#phone").press_sequentially("0200000001", delay=20)
    pick(page, "paystack_vod_gh")
    page.locator("#pay-form button[type=submit]").click()

    page.wait_for_url(f"{checkout['url']}/wait", timeout=15_000)
    page.get_by_role("heading", name="Type the code you received").wait_for(timeout=10_000)
    assert "*110#" in page.locator("section.card").inner_text()
    page.locator("#code").press_sequentially("123456", delay=20)
    page.get_by_role("button", name="Confirm the payment").click()

    paid_and_back(page, checkout, shop, 2500, "GHS")
    got = requests.get(f"{live_server.url}/api/v1/checkouts/{checkout['id']}",
                       headers=shop.auth, timeout=10).json()
    assert got["status"] == "paid" and got["payment"]["method"] == "paystack_vod_gh"
