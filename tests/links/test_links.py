"""Signed checkout links: GET /pay/<merchant_public_id>?...&sig=... The signature is computed
here from api.md's description, independently of checkout.links.signing."""
import hashlib
import hmac
import secrets
import time
from urllib.parse import quote, urlencode

import pytest

from checkout.core import secretbox
from checkout.extensions import db
from checkout.models import Checkout, GatewayAccount
from tests.factories import add_payment


def sign(params, secret):
    message = "&".join(f"{k}={quote(str(v), safe='')}" for k, v in sorted(params.items()))
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()


def link(merchant, secret=None, **params):
    base = {"order_id": "L-1", "amount": "5000", "currency": "XOF", "mode": "test",
            "return_url": "https://shop.example/orders/L-1?x=1&y=é"}
    base.update(params)
    base = {k: v for k, v in base.items() if v is not None}
    base["sig"] = sign(base, secret or merchant.link_secret)
    return f"/pay/{merchant.public_id}?{urlencode(base)}"


def test_valid_link_creates_the_checkout_and_redirects(client, merchant):
    r = client.get(link(merchant, expires=str(int(time.time()) + 600),
                        description="2 x T-shirt", country="BJ", customer_phone="0190000001",
                        methods="mtn_bj,moov_bj"))
    assert r.status_code == 303, r.get_data(as_text=True)
    checkout = db.session.execute(db.select(Checkout)).scalar_one()
    assert r.headers["Location"] == f"http://checkout.test/c/{checkout.id}"
    assert (checkout.order_id, checkout.amount, checkout.currency) == ("L-1", 5000, "XOF")
    assert checkout.livemode is False and checkout.methods == ["mtn_bj", "moov_bj"]
    assert checkout.customer == {"phone": "+2290190000001"}
    assert checkout.return_url == "https://shop.example/orders/L-1?x=1&y=é"
    # The same link again: the same checkout.
    again = client.get(link(merchant, expires=str(int(time.time()) + 600),
                            description="2 x T-shirt", country="BJ",
                            customer_phone="0190000001", methods="mtn_bj,moov_bj"))
    assert again.headers["Location"] == r.headers["Location"]
    assert db.session.query(Checkout).count() == 1


def test_link_for_an_order_with_a_payment_pending_goes_back_to_it(client, merchant):
    first = client.get(link(merchant))
    add_payment(db.session.execute(db.select(Checkout.id)).scalar_one())
    again = client.get(link(merchant))
    assert again.status_code == 303 and again.headers["Location"] == first.headers["Location"]
    other = client.get(link(merchant, amount="6000"))
    assert other.status_code == 409
    assert db.session.query(Checkout).count() == 1


def test_paid_order_shows_a_409_page(client, merchant, counts):
    client.get(link(merchant))
    add_payment(db.session.execute(db.select(Checkout.id)).scalar_one(), outcome="succeeded")
    before = counts()
    r = client.get(link(merchant))
    assert r.status_code == 409 and r.mimetype == "text/html"
    assert "already paid" in r.get_data(as_text=True)
    assert counts() == before


@pytest.mark.parametrize("tamper", [
    lambda url: url.replace("amount=5000", "amount=50"),
    lambda url: url + "&amount=50",
    lambda url: url.replace("sig=", "sig=0"),
    lambda url: url.split("&sig=")[0],
    lambda url: url + "&description=free",
])
def test_bad_signature_is_a_403_page(client, merchant, counts, tamper):
    before = counts()
    r = client.get(tamper(link(merchant)))
    assert r.status_code == 403 and r.mimetype == "text/html"
    assert "not valid" in r.get_data(as_text=True)
    assert counts() == before


def test_another_merchants_secret_is_refused(client, merchant, make_merchant):
    other = make_merchant(name="Other")
    r = client.get(link(merchant, secret=other.link_secret))
    assert r.status_code == 403


def test_expired_link_is_a_403_page(client, merchant, counts):
    before = counts()
    r = client.get(link(merchant, expires=str(int(time.time()) - 1)))
    assert r.status_code == 403 and "expired" in r.get_data(as_text=True)
    assert counts() == before


@pytest.mark.parametrize("params,detail", [
    ({"amount": "abc"}, "amount"), ({"amount": "-5"}, "amount"), ({"amount": "0"}, "amount"),
    ({"amount": "50", "methods": "mtn_bj"}, "amount"), ({"currency": "ABC"}, "currency"),
    ({"return_url": "https://evil.example/"}, "return_url"), ({"order_id": None}, "order_id"),
    ({"customer_phone": "123", "country": "BJ"}, "customer.phone"),
    ({"ammount": "5000"}, "ammount"), ({"mode": "prod"}, "mode"),
    ({"expires": "tomorrow"}, None),
])
def test_bad_parameters_are_a_400_page(client, merchant, counts, params, detail):
    before = counts()
    r = client.get(link(merchant, **params))
    text = r.get_data(as_text=True)
    if detail is None:  # a signed but unreadable expiry is treated as expired
        assert r.status_code == 403
    else:
        assert r.status_code == 400 and r.mimetype == "text/html", text
        assert detail in text
    assert counts() == before


def test_unknown_merchant_is_a_404_page(client, merchant):
    r = client.get(link(merchant).replace(merchant.public_id, "mer_unknown"))
    assert r.status_code == 404 and r.mimetype == "text/html"


def test_pages_are_translated(client, merchant):
    r = client.get(link(merchant, expires="1"), headers={"Accept-Language": "fr"})
    assert r.status_code == 403
    assert '<html lang="fr"' in r.get_data(as_text=True)


def test_a_link_without_mode_is_live_and_never_falls_back_to_test(client, merchant, counts):
    before = counts()
    for mode in (None, "live"):
        r = client.get(link(merchant, mode=mode))
        # No live gateway account yet: a clear page, and no test-mode checkout instead.
        assert r.status_code == 409
        assert "cannot take payments yet" in r.get_data(as_text=True)
    assert counts() == before
    assert client.get(link(merchant, mode="test")).status_code == 303
    assert db.session.execute(db.select(Checkout.livemode)).scalar_one() is False
    db.session.add(GatewayAccount(merchant_id=merchant.id, gateway="cod", livemode=True,
                                  webhook_token=secrets.token_urlsafe(16),
                                  credentials_encrypted=secretbox.encrypt({}), methods=["cod"]))
    db.session.commit()
    assert client.get(link(merchant, order_id="L-2", mode=None)).status_code == 303
    live = db.session.execute(db.select(Checkout).where(Checkout.order_id == "L-2")).scalar_one()
    assert live.livemode is True
