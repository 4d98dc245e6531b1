"""Attack 2: a return redirect that did not sign what matters. The signature now covers
amount, currency and mode; a link without a mode is live and never falls back to test; a
replaced link is spent, so an older, cheaper link cannot replace the current checkout."""
import hashlib
import hmac
import secrets
import time
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

from checkout.core import secretbox
from checkout.extensions import db
from checkout.models import Checkout, GatewayAccount
from checkout.payments.state import CheckoutStatus
from tests.factories import add_payment, make_checkout, report


def sign(params, secret):
    """api.md's scheme, written here independently of the product."""
    message = "&".join(f"{k}={quote(str(v), safe='')}" for k, v in sorted(params.items()))
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()


def link(merchant, **params):
    params = {k: v for k, v in params.items() if v is not None}
    params["sig"] = sign(params, merchant.link_secret)
    return f"/pay/{merchant.public_id}?{urlencode(params)}"


def _returned(client, checkout_id):
    query = dict(parse_qsl(urlsplit(client.get(f"/c/{checkout_id}/back")
                                    .headers["Location"]).query))
    return query, query.pop("sig")


def test_the_return_signature_covers_amount_currency_and_mode(client, merchant):
    cid = make_checkout(merchant, amount=100, order_id="O-1")
    report(add_payment(cid), "succeeded")
    query, sig = _returned(client, cid)
    assert hmac.compare_digest(sig, sign(query, merchant.link_secret))
    # Tampering with what a merchant would act on breaks the signature.
    assert query["amount"] == "100" and query["livemode"] == "false"
    for name, forged in (("amount", "500000"), ("currency", "EUR"), ("livemode", "true")):
        assert not hmac.compare_digest(sig, sign({**query, name: forged},
                                                 merchant.link_secret))


def test_a_test_mode_result_cannot_pass_for_a_live_one(client, merchant):
    """The same order paid in test mode: its redirect says livemode=false, signed."""
    cid = make_checkout(merchant, order_id="O-2")
    report(add_payment(cid), "succeeded")
    query, sig = _returned(client, cid)
    live_claim = {**query, "livemode": "true"}
    assert not hmac.compare_digest(sig, sign(live_claim, merchant.link_secret))


def test_no_silent_fallback_from_live_to_test(client, merchant, counts):
    before = counts()
    r = client.get(link(merchant, order_id="O-3", amount="5000", currency="XOF",
                        return_url="https://shop.example/o"))
    assert r.status_code == 409
    assert "cannot take payments yet" in r.get_data(as_text=True)
    assert counts() == before
    # A test link cannot be turned into a live one: the mode is signed.
    test_link = link(merchant, order_id="O-3", amount="5000", currency="XOF",
                     return_url="https://shop.example/o", mode="test")
    assert client.get(test_link.replace("mode=test", "mode=live")).status_code == 403


def test_an_older_cheaper_link_cannot_replace_the_current_checkout(client, merchant):
    expires = str(int(time.time()) + 3600)
    cheap = link(merchant, order_id="O-4", amount="100", currency="XOF", mode="test",
                 return_url="https://shop.example/o", expires=expires)
    full = link(merchant, order_id="O-4", amount="50000", currency="XOF", mode="test",
                return_url="https://shop.example/o", expires=expires)
    assert client.get(cheap).status_code == 303          # the shop's first link
    assert client.get(full).status_code == 303           # the shop's newer link replaces it
    replayed = client.get(cheap)                         # the shopper replays the old one
    assert replayed.status_code == 409
    assert "This payment link was replaced" in replayed.get_data(as_text=True)
    rows = db.session.execute(db.select(Checkout.amount, Checkout.status)
                              .order_by(Checkout.created_at)).all()
    assert rows == [(100, CheckoutStatus.CANCELED), (50000, CheckoutStatus.OPEN)]


def test_a_live_link_works_once_a_live_gateway_exists(client, merchant):
    db.session.add(GatewayAccount(merchant_id=merchant.id, gateway="cod", livemode=True,
                                  webhook_token=secrets.token_urlsafe(16),
                                  credentials_encrypted=secretbox.encrypt({}), methods=["cod"]))
    db.session.commit()
    r = client.get(link(merchant, order_id="O-5", amount="5000", currency="XOF",
                        return_url="https://shop.example/o"))
    assert r.status_code == 303
    assert db.session.execute(db.select(Checkout.livemode)).scalar_one() is True
