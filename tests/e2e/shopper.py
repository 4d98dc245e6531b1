"""A shopper's browser played with ``requests``, for the card and redirect tests: our
hosted pages over real HTTP, the provider simulator's own HTML page (GET it, POST the
fields its form has), and the way back to our return page. Plus what those tests share:
checkouts made through the API, the simulators' inspection, and ways to make the
provider's notifications miss us.

Every request is sent without following redirects, so that a test sees each hop (our
303 to the provider's page, the provider's 303 back to ``/c/<id>/return``, ours to the
wait page)."""
import html
import json
import re
from dataclasses import replace
from datetime import UTC, datetime
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import requests
from flask import current_app

from checkout.extensions import db
from checkout.gateways import get_gateway
from checkout.merchants.accounts import account_context
from checkout.models import Checkout, Event, GatewayAccount, Payment
from tests.factories import checkout as checkout_row
from tests.factories import notifications, timeline
from tests.fixtures_runtime import ServerThread

CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
_YEAR = datetime.now(UTC).year % 100
EXPIRY = f"12/{_YEAR + 3:02d}"

# The providers' published test cards (providers.md; the simulators take only these).
CHAPA_CARDS = ("4200 0000 0000 0000", "4242 4242 4242 4242")
CHAPA_CVV = "9137"             # Chapa's test cards take any CVV: one no page ever shows
PAYSTACK_CARD = {"card_number": "4084 0840 8408 4081", "expiry": EXPIRY, "cvv": "408",
                 "pin": "0000", "otp": "123456"}


def chapa_card(number=CHAPA_CARDS[0]):
    return {"card_number": number, "expiry": EXPIRY, "cvv": CHAPA_CVV}


# -- HTML forms --------------------------------------------------------------------------

class _Forms(HTMLParser):
    """Every <form> of a page: its action, method, inputs (name -> value) and the
    submit buttons (name, value)."""

    def __init__(self):
        super().__init__()
        self.forms = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.forms.append({"action": a.get("action") or "", "method":
                               (a.get("method") or "get").lower(), "inputs": {},
                               "buttons": []})
        elif self.forms and tag == "input" and a.get("name"):
            self.forms[-1]["inputs"][a["name"]] = a.get("value") or ""
        elif self.forms and tag == "button" and a.get("name"):
            self.forms[-1]["buttons"].append((a["name"], a.get("value") or ""))


def forms_of(html):
    parser = _Forms()
    parser.feed(html)
    return parser.forms


def csrf_token(html):
    match = CSRF_RE.search(html)
    assert match, "no CSRF token in the page"
    return match.group(1)


class Shopper:
    """One shopper's browser (its own cookies), talking to our server at ``base``."""

    def __init__(self, base):
        self.base = base
        self.http = requests.Session()
        self.http.trust_env = False
        self.trail = []            # every response, in order

    def get(self, url, **kw):
        resp = self.http.get(urljoin(self.base, url), allow_redirects=False, timeout=15, **kw)
        self.trail.append(resp)
        return resp

    def post(self, url, data, **kw):
        resp = self.http.post(urljoin(self.base, url), data=data, allow_redirects=False,
                              timeout=15, **kw)
        self.trail.append(resp)
        return resp

    def picker(self, checkout_id):
        page = self.get(f"/c/{checkout_id}")
        assert page.status_code == 200, page.text[:500]
        return page.text

    def choose(self, checkout_id, method, **fields):
        """Pick ``method`` on our page (and type ``fields``: phone, email) and press Pay:
        our answer (a 303 to the provider's page or to our wait page, or a page)."""
        token = csrf_token(self.picker(checkout_id))
        return self.post(f"/c/{checkout_id}/pay",
                         {"csrf_token": token, "method": method, **fields})

    def type_code(self, checkout_id, code):
        token = csrf_token(self.get(f"/c/{checkout_id}/wait").text)
        return self.post(f"/c/{checkout_id}/otp", {"csrf_token": token, "code": code})

    def provider_page(self, url):
        """The provider's page and its one form: (response, form)."""
        page = self.get(url)
        assert page.status_code == 200, page.text[:500]
        assert "text/html" in page.headers["Content-Type"]
        [form] = [f for f in forms_of(page.text) if f["method"] == "post"]
        return page, form

    def fill_in(self, url, action, card=None):
        """Fill the provider page's form as a person would: every field it has (those
        the card gives typed in, the others left as they are) and the button ``action``
        pressed. Returns the provider's answer (a 303 back to our return page)."""
        _page, form = self.provider_page(url)
        card = card or {}
        missing = set(card) - set(form["inputs"])
        assert not missing, f"the provider's form has no field {sorted(missing)}"
        assert ("action", action) in form["buttons"], form["buttons"]
        data = {**form["inputs"], **card, "action": action}
        return self.post(urljoin(url, form["action"] or url), data)

    def follow(self, resp, limit=6):
        """Follow redirects from ``resp`` to the page they end at (every hop recorded)."""
        for _ in range(limit):
            if resp.status_code not in (301, 302, 303, 307, 308):
                return resp
            resp = self.get(urljoin(resp.url, resp.headers["Location"]))
        raise AssertionError("too many redirects")


def pay_by_phone(api, shopper, method, phone, **body):
    """A checkout made through the API (``body``: amount, currency, country...); its
    shopper opens our page, picks ``method``, types ``phone`` and presses Pay (no
    JavaScript). -> (checkout id, payment id or None, our answer to the Pay button)."""
    co = api.checkout(**body)
    page = shopper.picker(co["id"])
    assert f'value="{method}"' in page and 'id="phone"' in page, page[:500]
    answer = shopper.choose(co["id"], method, phone=phone)
    fresh()
    return co["id"], checkout_row(co["id"]).latest_payment_id, answer


def api_view(api, checkout_id, payment_id):
    """What the merchant's API says: (GET /checkouts/<id>, GET /payments/<id>). The
    checkout's ``payments`` list shows the attempt as GET /payments does."""
    co = api.get(f"/checkouts/{checkout_id}")
    pay = api.get(f"/payments/{payment_id}")
    assert co.status_code == 200 and pay.status_code == 200, (co.text, pay.text)
    co, pay = co.json(), pay.json()
    assert [p for p in co["payments"] if p["id"] == payment_id] == [pay]
    return co, pay


def location(resp):
    assert resp.status_code == 303, (resp.status_code, resp.text[:300])
    return resp.headers["Location"]


def path_of(url):
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


# -- the API -----------------------------------------------------------------------------

class MerchantApi:
    """The merchant API over HTTP, with ``merchant``'s test key."""

    def __init__(self, base, merchant):
        self.base, self.merchant = base, merchant
        self.http = requests.Session()
        self.http.trust_env = False
        self._keys = 0

    def post(self, path, body):
        self._keys += 1
        headers = {**self.merchant.auth, "Idempotency-Key": f"e2e-{path}-{self._keys}"}
        return self.http.post(f"{self.base}/api/v1{path}", json=body, headers=headers,
                              timeout=20)

    def get(self, path, **params):
        return self.http.get(f"{self.base}/api/v1{path}", params=params,
                             headers=self.merchant.auth, timeout=20)

    def checkout(self, **body):
        """A new checkout (``POST /checkouts``) -> its JSON."""
        body = {"order_id": f"E2E-{self._keys}-{datetime.now(UTC).timestamp()}",
                "description": "2 x T-shirt", "return_url": "https://shop.example/orders/1",
                **body}
        resp = self.post("/checkouts", body)
        assert resp.status_code == 201, resp.text
        return resp.json()

    def refund(self, payment_id, amount=None, reason=None):
        body = {"payment": payment_id}
        if amount is not None:
            body["amount"] = amount
        if reason is not None:
            body["reason"] = reason
        return self.post("/refunds", body)

    def events(self, type_):
        resp = self.get("/events", type=type_, limit=100)
        assert resp.status_code == 200, resp.text
        return resp.json()["data"]


class WebhookReceiver:
    """A merchant's webhook endpoint: a real HTTP server on 127.0.0.1 that answers 200
    and keeps every delivery as (headers, JSON body). Use as a context manager."""

    def __init__(self):
        self.deliveries = []
        self.server = ServerThread(self._app)
        self.url = self.server.url + "/hooks"

    def _app(self, environ, start_response):
        size = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(size)
        headers = {k[5:].replace("_", "-").lower(): v for k, v in environ.items()
                   if k.startswith("HTTP_")}
        try:
            self.deliveries.append((headers, json.loads(body)))
        except ValueError:
            self.deliveries.append((headers, body))
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]

    def of_type(self, type_):
        """The bodies of the deliveries of events of ``type_``."""
        return [b for _h, b in self.deliveries if isinstance(b, dict) and b.get("type") == type_]

    def __enter__(self):
        self.server.__enter__()
        return self

    def __exit__(self, *exc):
        self.server.__exit__(*exc)


# -- simulators and accounts -------------------------------------------------------------

def sim_transaction(simulator, gateway, reference):
    """What the provider's simulator holds about ``reference`` (its _sim inspection)."""
    resp = requests.get(f"{simulator.url}/{gateway}/_sim/transactions/{reference}", timeout=5)
    resp.raise_for_status()
    return resp.json()


def account_of(payment_id):
    pay = db.session.get(Payment, payment_id)
    return db.session.get(GatewayAccount, pay.gateway_account_id)


def provider_account(merchant, gateway):
    """``merchant``'s test account row at ``gateway``."""
    return db.session.execute(db.select(GatewayAccount).where(
        GatewayAccount.merchant_id == merchant.id, GatewayAccount.gateway == gateway,
        GatewayAccount.livemode.is_(False))).scalar_one()


def without_webhooks(merchant, gateway):
    """Tell the provider's simulator that this account has no webhook URL (as a merchant
    who never set one in the provider's dashboard): the provider notifies nobody."""
    account = provider_account(merchant, gateway)
    context = replace(account_context(account), notify_url=None)
    db.session.commit()
    assert get_gateway(gateway).register_test_account(context, (2, 5))


def lose_notifications(payment_id):
    """From now on every notification about this payment's account misses us: the
    account's notification URL changes, so the provider's deliveries (and Chapa's GET
    callback) to the old one are 404s, as if they never arrived."""
    account = account_of(payment_id)
    account.webhook_token = account.webhook_token[::-1] + "lost"
    db.session.commit()


def public_url():
    return current_app.config["CHECKOUT_PUBLIC_URL"]


def refund_events(refund_id):
    """The merchant events about one refund, oldest first."""
    return db.session.execute(db.select(Event).where(Event.object_id == refund_id)
                              .order_by(Event.created_at)).scalars().all()



def refused_number(api, shopper, currency, country, method, number):
    """Pay ``method`` with a number of another network: the page answers 400 with the
    reason, and no attempt is made. Returns (checkout id, the page's text)."""
    co = api.checkout(amount=150000, currency=currency, country=country)
    answer = shopper.choose(co["id"], method, phone=number)
    assert answer.status_code == 400, (answer.status_code, answer.headers.get("Location"))
    fresh()
    assert db.session.get(Checkout, co["id"]).latest_payment_id is None
    return co["id"], html.unescape(answer.text)


def poll_planned(payment_id):
    """Whether a poll of the payment is still planned (the pollers read ``next_poll_at``;
    a settled attempt has none)."""
    pay = db.session.get(Payment, payment_id)
    return pay.status == "pending" and pay.next_poll_at is not None


def fresh():
    """See what the server and the worker committed."""
    db.session.rollback()


def changes(checkout_id):
    """The checkout's status changes as (source, to_status), oldest first."""
    return [(e.source, e.to_status) for e in timeline(checkout_id, "status_changed")]


def processed_notifications(count):
    """A wait condition: exactly ``count`` notifications stored, all processed."""
    def done():
        notes = notifications()
        return len(notes) == count and all(n.processed_at for n in notes) and notes
    return done


def settled(api, refund_id):
    """A wait condition: the refund is no longer pending (its API object)."""
    def done():
        got = api.get(f"/refunds/{refund_id}").json()
        return got["status"] != "pending" and got
    return done
