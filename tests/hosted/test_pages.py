"""Every shopper page: headers, no inline code, small weight, cacheable assets, 404s."""
import gzip
import re
from datetime import timedelta
from html.parser import HTMLParser

import pytest

from checkout.core.timeutil import utcnow
from tests.factories import report


class Inspector(HTMLParser):
    """Collects what a strict CSP would block, and the assets a page loads."""

    def __init__(self):
        super().__init__()
        self.inline, self.assets, self._in_script = [], [], False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "style":
            self.inline.append("<style>")
        if "style" in attrs:
            self.inline.append(f"style= on <{tag}>")
        self.inline += [f"{k}= on <{tag}>" for k in attrs if k.startswith("on")]
        if tag == "script":
            if not attrs.get("src"):
                self._in_script = True
                self.inline.append("<script> without src")
            else:
                self.assets.append(attrs["src"])
        if tag == "link" and attrs.get("rel") == "stylesheet":
            self.assets.append(attrs["href"])
        if tag == "img" and not attrs.get("src", "").startswith("data:"):
            self.assets.append(attrs["src"])
        if tag in ("a", "form") and (attrs.get("href") or attrs.get("action") or "") \
                .lower().startswith("javascript:"):
            self.inline.append("javascript: URL")


def inspect(html):
    parser = Inspector()
    parser.feed(html)
    return parser


@pytest.fixture
def every_page(client, make_checkout, make_attempt):
    """(url, html) of every kind of shopper page."""
    pages = {}
    open_ = make_checkout()
    pages["picker"] = f"/c/{open_}"
    waiting = make_checkout()
    make_attempt(waiting)
    pages["wait"] = f"/c/{waiting}/wait"
    failed = make_checkout()
    report(make_attempt(failed), "failed", failure_code="declined")
    pages["failed"] = f"/c/{failed}/wait"
    cash = make_checkout()
    make_attempt(cash, "cod")
    pages["cash"] = f"/c/{cash}/wait"
    paid = make_checkout()
    report(make_attempt(paid), "succeeded")
    pages["paid"] = f"/c/{paid}"
    pages["expired"] = f"/c/{make_checkout(expires_at=utcnow() - timedelta(seconds=5))}"
    pages["not found"] = "/c/cs_unknown"
    pages["bad id"] = "/c/%3Cscript%3E"
    return pages


def test_security_headers_and_no_inline_code_on_every_page(client, every_page):
    for name, url in every_page.items():
        resp = client.get(url)
        assert resp.status_code in (200, 404), (name, resp.status_code)
        csp = resp.headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp, name
        assert "'unsafe-inline'" not in csp
        assert resp.headers["X-Frame-Options"] == "DENY"
        assert resp.headers["X-Content-Type-Options"] == "nosniff"
        assert "no-store" in resp.headers.get("Cache-Control", "") or name in ("not found",
                                                                               "bad id")
        html = resp.get_data(as_text=True)
        assert inspect(html).inline == [], name
        assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html
        assert "?lang=fr" in html and "Français" in html, name


def test_unknown_checkout_is_a_readable_404(client):
    resp = client.get("/c/cs_doesnotexist", headers={"Accept-Language": "pt"})
    assert resp.status_code == 404
    html = resp.get_data(as_text=True)
    assert "Página não encontrada" in html and "Traceback" not in html


def test_another_mode_or_merchant_cannot_be_guessed(client, make_merchant, make_checkout):
    other = make_merchant(name="Other Shop", email="o@shop.example")
    cid = make_checkout(m=other)
    html = client.get(f"/c/{cid}").get_data(as_text=True)
    assert "Other Shop" in html   # a checkout URL is the shopper's capability
    assert client.get(f"/c/{cid[:-1]}").status_code == 404


def test_picker_weighs_under_30_kb_compressed(client, make_checkout):
    cid = make_checkout(country=None, customer={"phone": "+2290190000001"})
    resp = client.get(f"/c/{cid}")
    html = resp.get_data()
    total = len(gzip.compress(html, 9))
    assets = inspect(html.decode()).assets
    assert any(a.startswith("/static/css/") for a in assets)
    assert any(a.startswith("/static/js/") for a in assets)
    for url in assets:
        with client.get(url) as body:
            assert body.status_code == 200, url
            total += len(gzip.compress(body.get_data(), 9))
    assert total < 30 * 1024, total


def test_assets_are_versioned_and_cached_for_long(client, make_checkout):
    html = client.get(f"/c/{make_checkout()}").get_data(as_text=True)
    css = re.search(r'href="(/static/css/checkout\.css\?v=[0-9a-f]{10})"', html).group(1)
    with client.get(css) as resp:
        cache = resp.headers["Cache-Control"]
        assert "max-age=31536000" in cache and "immutable" in cache and "no-cache" not in cache
        assert resp.headers["Content-Type"].startswith("text/css")
    with client.get("/static/icons/check.svg?v=1") as svg:
        assert svg.status_code == 200
        assert svg.headers["Content-Type"].startswith("image/svg+xml")


def test_page_shows_merchant_description_and_order(client, make_checkout):
    cid = make_checkout(description="<b>2 x T-shirt</b>", order_id="A-1001")
    html = client.get(f"/c/{cid}").get_data(as_text=True)
    assert "&lt;b&gt;2 x T-shirt&lt;/b&gt;" in html and "Order A-1001" in html
    assert "Test mode" in html
