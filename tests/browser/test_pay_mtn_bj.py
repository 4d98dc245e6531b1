"""A shopper pays with MTN MoMo Benin in a real Chromium, end to end: the API creates the
checkout, the hosted page pre-selects MTN from the number, the FeexPay simulator takes the
push, the worker learns the outcome, and the shopper lands on the merchant's return URL
with a valid signature. Screenshots at phone size go to /tmp/."""
import hashlib
import hmac
from urllib.parse import parse_qsl, quote, urlsplit

import pytest
import requests

pytestmark = pytest.mark.browser

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
PHONE = {"width": 360, "height": 740}


def expected_sig(secret, params):
    message = "&".join(f"{k}={quote(str(v), safe='')}" for k, v in sorted(params.items()))
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()


@pytest.fixture
def chromium():
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def test_pay_with_mtn_benin(make_merchant, live_server, simulator, worker, chromium):
    merchant = make_merchant(name="Boutique Cotonou", return_hosts=("127.0.0.1",))
    live_server.register(merchant)
    return_url = f"{live_server.url}/demo/return"
    resp = requests.post(f"{live_server.url}/api/v1/checkouts", headers=merchant.auth,
                         json={"order_id": "BJ-1001", "amount": 5000, "currency": "XOF",
                               "country": "BJ", "description": "2 x T-shirt",
                               "return_url": return_url}, timeout=10)
    assert resp.status_code == 201, resp.text
    checkout = resp.json()
    assert checkout["url"] == f"{live_server.url}/c/{checkout['id']}"

    page = chromium.new_page(viewport=PHONE, locale="en-US")
    page.goto(checkout["url"])
    assert page.locator(".amount").inner_text() == "5,000\xa0F\xa0CFA"
    page.screenshot(path="/tmp/checkout_picker_360.png", full_page=True)
    assert not page.locator("input[value=mtn_bj]").is_checked()
    page.locator("#phone").press_sequentially("0190000001", delay=20)
    # The page's script picked the operator from the prefix 0190.
    assert page.locator("input[value=mtn_bj]").is_checked()
    page.screenshot(path="/tmp/checkout_picker_typed_360.png", full_page=True)
    page.locator("#pay-form button[type=submit]").click()

    page.wait_for_url(f"{checkout['url']}/wait", timeout=10_000)
    assert "+229 01 90 ** ** 01" in page.locator("#live-status").inner_text()
    page.screenshot(path="/tmp/checkout_wait_360.png", full_page=True)

    # The script polls status.json; the paid page then continues to the merchant.
    page.wait_for_url(f"{return_url}?**", timeout=45_000)
    query = dict(parse_qsl(urlsplit(page.url).query))
    sig = query.pop("sig")
    assert query == {"checkout_id": checkout["id"], "order_id": "BJ-1001", "status": "paid"}
    assert hmac.compare_digest(sig, expected_sig(merchant.link_secret, query))

    paid = requests.get(f"{live_server.url}/api/v1/checkouts/{checkout['id']}",
                        headers=merchant.auth, timeout=10).json()
    assert paid["status"] == "paid" and paid["payment"]["method"] == "mtn_bj"
