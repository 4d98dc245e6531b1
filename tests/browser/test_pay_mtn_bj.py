"""A shopper pays with MTN MoMo Benin in a real Chromium, end to end: the API creates the
checkout, the hosted page pre-selects MTN from the number, the FeexPay simulator takes the
push, the worker learns the outcome, and the shopper lands on the merchant's return URL
with a valid signature.

On the way it takes the README's pictures of what the shopper sees, at phone size: into
$CHECKOUT_PICTURES_DIR when set (`./scripts/pictures` sets it to docs/pictures), otherwise
into pytest's temporary directory, so a normal run never touches the repository."""
import hashlib
import hmac
import os
from pathlib import Path
from urllib.parse import parse_qsl, quote, urlsplit

import pytest
import requests
from playwright.sync_api import sync_playwright

pytestmark = pytest.mark.browser

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
PHONE = {"width": 360, "height": 740}
PICTURES_ENV = "CHECKOUT_PICTURES_DIR"


def expected_sig(secret, params):
    message = "&".join(f"{k}={quote(str(v), safe='')}" for k, v in sorted(params.items()))
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()


@pytest.fixture
def pictures(tmp_path):
    """Where the screenshots go: $CHECKOUT_PICTURES_DIR (created if needed) or tmp_path."""
    chosen = os.environ.get(PICTURES_ENV)
    folder = Path(chosen).resolve() if chosen else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def snap(page, path):
    """A phone-size picture of the whole page (scale 1, animations stopped, no caret)."""
    page.screenshot(path=str(path), full_page=True, animations="disabled", caret="hide")


@pytest.fixture
def chromium():
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def test_pay_with_mtn_benin(make_merchant, live_server, simulator, worker, chromium, pictures):
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
    assert not page.locator("input[value=mtn_bj]").is_checked()
    page.locator("#phone").press_sequentially("0190000001", delay=20)
    # The page's script picked the operator from the prefix 0190.
    assert page.locator("input[value=mtn_bj]").is_checked()
    snap(page, pictures / "1-method-picker.png")
    page.locator("#pay-form button[type=submit]").click()

    page.wait_for_url(f"{checkout['url']}/wait", timeout=10_000)
    assert "+229 01 90 ** ** 01" in page.locator("#live-status").inner_text()
    snap(page, pictures / "2-approve-on-phone.png")

    # The script polls status.json and reloads the page, which then says "paid" and
    # continues to the merchant by itself a few seconds later.
    paid_heading = page.get_by_role("heading", name="Payment received")
    paid_heading.wait_for(timeout=45_000)
    assert page.url == f"{checkout['url']}/wait"
    thanks = page.locator("section.card").inner_text()
    assert "Boutique Cotonou has received your payment" in thanks
    snap(page, pictures / "3-paid.png")

    page.wait_for_url(f"{return_url}?**", timeout=45_000)
    query = dict(parse_qsl(urlsplit(page.url).query))
    sig = query.pop("sig")
    assert query == {"checkout_id": checkout["id"], "order_id": "BJ-1001", "status": "paid",
                     "amount": "5000", "currency": "XOF", "livemode": "false"}
    assert hmac.compare_digest(sig, expected_sig(merchant.link_secret, query))

    paid = requests.get(f"{live_server.url}/api/v1/checkouts/{checkout['id']}",
                        headers=merchant.auth, timeout=10).json()
    assert paid["status"] == "paid" and paid["payment"]["method"] == "mtn_bj"
