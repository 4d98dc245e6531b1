"""After the choice: live status, failures, switching, the provider's return, the
signed way back to the merchant, and closed checkouts."""
import hashlib
import hmac
from datetime import timedelta
from urllib.parse import parse_qsl, quote, urlsplit

import pytest

from checkout.core.timeutil import utcnow
from checkout.extensions import db
from checkout.models import Checkout, Payment
from checkout.payments import flow, refresh, service
from tests.factories import report

from .conftest import csrf_token


def status(client, cid):
    resp = client.get(f"/c/{cid}/status.json")
    assert resp.status_code == 200 and resp.headers["Cache-Control"].startswith(("no-store",
                                                                                  "private"))
    return resp.get_json()


def test_status_json_follows_the_attempt(client, make_checkout, make_attempt):
    cid = make_checkout()
    assert status(client, cid)["state"] == "choose"
    pid = make_attempt(cid)
    s = status(client, cid)
    assert s == {"checkout": {"id": cid, "status": "processing"},
                 "payment": {"id": pid, "status": "pending", "failure_code": None},
                 "state": "waiting", "final": False, "next": f"/c/{cid}/wait",
                 "message": "Waiting for your approval…"}
    report(pid, "succeeded")
    s = status(client, cid)
    assert (s["state"], s["final"], s["checkout"]["status"]) == ("paid", True, "paid")
    assert "+229" not in str(s)


def test_status_json_of_unknown_checkout_is_json_404(client):
    resp = client.get("/c/cs_doesnotexist/status.json")
    assert resp.status_code == 404 and resp.get_json()["error"]["code"] == "not_found"


@pytest.mark.parametrize("code, words", [
    ("insufficient_funds", "not enough money"),
    ("canceled", "canceled on the phone"),
    ("invalid_phone", "not registered for mobile money"),
    ("operator_unavailable", "network is not available right now"),
    ("declined", "refused, on the phone or by the operator"),
    ("something_new", "The payment did not go through. Try again"),
])
def test_failure_reasons_in_plain_words(client, make_checkout, make_attempt, code, words):
    cid = make_checkout()
    report(make_attempt(cid), "failed", failure_code=code, failure_message="RAW_PROVIDER_TEXT")
    html = client.get(f"/c/{cid}/wait").get_data(as_text=True)
    assert words in html and "RAW_PROVIDER_TEXT" not in html
    assert f'action="/c/{cid}/retry"' in html or code == "invalid_phone"
    assert f'href="/c/{cid}"' in html
    # The picker says it too, above the choices.
    picker = client.get(f"/c/{cid}").get_data(as_text=True)
    assert "Your MTN MoMo payment did not go through." in picker and words in picker


def test_failure_reason_in_french(client, make_checkout, make_attempt):
    cid = make_checkout()
    report(make_attempt(cid), "failed", failure_code="insufficient_funds")
    html = client.get(f"/c/{cid}/wait?lang=fr").get_data(as_text=True)
    assert "Le paiement n’a pas abouti" in html and "Réessayer" in html


def test_try_again_reuses_method_and_number(client, make_checkout, make_attempt, monkeypatch):
    started = []
    monkeypatch.setattr(flow, "initiate", lambda payment_id: started.append(payment_id))
    cid = make_checkout()
    first = make_attempt(cid, "moov_bj", phone="+2290195123456")
    report(first, "failed", failure_code="canceled")
    html = client.get(f"/c/{cid}/wait").get_data(as_text=True)
    resp = client.post(f"/c/{cid}/retry", data={"csrf_token": csrf_token(html)})
    assert resp.status_code == 303 and resp.headers["Location"].endswith(f"/c/{cid}/wait")
    (new_id,) = started
    new = db.session.get(Payment, new_id)
    assert (new.method, new.phone, new.status) == ("moov_bj", "+2290195123456", "pending")
    assert new_id != first


def test_switch_gives_up_the_pending_attempt(client, make_checkout, make_attempt):
    cid = make_checkout()
    pid = make_attempt(cid)
    html = client.get(f"/c/{cid}/wait").get_data(as_text=True)
    assert f'action="/c/{cid}/switch"' in html
    no_token = client.post(f"/c/{cid}/switch")
    assert no_token.status_code == 400
    db.session.expire_all()
    assert db.session.get(Payment, pid).status == "pending"
    resp = client.post(f"/c/{cid}/switch", data={"csrf_token": csrf_token(html)})
    assert resp.status_code == 303 and resp.headers["Location"].endswith(f"/c/{cid}")
    db.session.expire_all()
    payment = db.session.get(Payment, pid)
    assert (payment.status, payment.failure_code) == ("canceled", "shopper_switched")
    assert db.session.get(Checkout, cid).status == "open"
    picker = client.get(f"/c/{cid}").get_data(as_text=True)
    assert 'id="pay-form"' in picker and "did not go through" not in picker


def test_return_from_provider_asks_the_provider(client, make_checkout, make_attempt,
                                                monkeypatch):
    asked = []

    def fake_refresh(payment_id, source):
        asked.append((payment_id, source))
        report(payment_id, "succeeded")

    monkeypatch.setattr(refresh, "refresh_payment", fake_refresh)
    cid = make_checkout()
    pid = make_attempt(cid, "wave_ci", next_action={"type": "redirect",
                                                    "url": "https://pay.example/w"})
    other = make_checkout()
    # Someone else's payment id, or a made-up one, is ignored.
    assert client.get(f"/c/{other}/return?payment={pid}").status_code == 303
    assert client.get(f"/c/{cid}/return?payment=pay_nope").status_code == 303
    assert asked == []
    resp = client.get(f"/c/{cid}/return?payment={pid}")
    assert resp.status_code == 303 and resp.headers["Location"].endswith(f"/c/{cid}/wait")
    assert asked == [(pid, "return")]
    assert "Payment received" in client.get(f"/c/{cid}/wait").get_data(as_text=True)


def test_reloading_the_return_page_asks_the_provider_once(client, make_checkout, make_attempt,
                                                          monkeypatch):
    asked = []
    monkeypatch.setattr(refresh, "refresh_payment", lambda pid, source: asked.append(pid))
    cid = make_checkout()
    pid = make_attempt(cid, "wave_ci", next_action={"type": "redirect",
                                                    "url": "https://pay.example/w"})
    for _ in range(5):
        assert client.get(f"/c/{cid}/return?payment={pid}").status_code == 303
    assert asked == [pid]


def expected_sig(secret, params):
    message = "&".join(f"{k}={quote(str(v), safe='')}" for k, v in sorted(params.items()))
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()


def test_paid_page_and_signed_return(client, merchant, make_checkout, make_attempt):
    cid = make_checkout(order_id="A-1001 é&x", amount=5000,
                        return_url="https://shop.example/orders/A-1001?lang=fr")
    report(make_attempt(cid), "succeeded")
    html = client.get(f"/c/{cid}").get_data(as_text=True)
    assert "Payment received" in html and "5,000\xa0F\xa0CFA" in html
    assert f'<meta http-equiv="refresh" content="5;url=/c/{cid}/back">' in html
    assert f'href="/c/{cid}/back">Return to Demo Shop</a>' in html
    resp = client.get(f"/c/{cid}/back")
    assert resp.status_code == 303
    url = urlsplit(resp.headers["Location"])
    assert (url.scheme, url.netloc, url.path) == ("https", "shop.example", "/orders/A-1001")
    query = dict(parse_qsl(url.query))
    assert query.pop("lang") == "fr"   # the merchant's own parameter is kept
    sig = query.pop("sig")
    # Everything the merchant could act on is signed: amount, currency and mode too.
    assert query == {"checkout_id": cid, "order_id": "A-1001 é&x", "status": "paid",
                     "amount": "5000", "currency": "XOF", "livemode": "false"}
    assert hmac.compare_digest(sig, expected_sig(merchant.link_secret, query))


def test_back_before_an_outcome_stays_here(client, make_checkout):
    cid = make_checkout()
    resp = client.get(f"/c/{cid}/back")
    assert resp.status_code == 303 and resp.headers["Location"].endswith(f"/c/{cid}/wait")


def test_leaving_goes_to_cancel_url_and_keeps_the_checkout_open(client, make_checkout):
    cid = make_checkout(cancel_url="https://shop.example/cart")
    assert f'href="/c/{cid}/leave"' in client.get(f"/c/{cid}").get_data(as_text=True)
    resp = client.get(f"/c/{cid}/leave")
    assert resp.status_code == 303 and resp.headers["Location"] == "https://shop.example/cart"
    assert db.session.get(Checkout, cid).status == "open"


def test_leaving_without_cancel_url_returns_signed_open_status(client, merchant,
                                                               make_checkout):
    cid = make_checkout()
    query = dict(parse_qsl(urlsplit(client.get(f"/c/{cid}/leave").headers["Location"]).query))
    sig = query.pop("sig")
    assert query["status"] == "open"
    assert sig == expected_sig(merchant.link_secret, query)


def test_expired_checkout_page(client, make_checkout):
    cid = make_checkout(expires_at=utcnow() - timedelta(minutes=1))
    html = client.get(f"/c/{cid}").get_data(as_text=True)
    assert "This payment page has expired" in html and 'id="pay-form"' not in html
    assert db.session.get(Checkout, cid).status == "expired"
    assert f'href="/c/{cid}/back"' in html
    location = client.get(f"/c/{cid}/back").headers["Location"]
    assert "status=expired" in location and "sig=" in location
    fr = client.get(f"/c/{cid}?lang=fr").get_data(as_text=True)
    assert "Cette page de paiement a expiré" in fr


def test_canceled_checkout_page(client, make_checkout):
    cid = make_checkout()
    service.cancel_checkout(cid, source="api")
    db.session.commit()
    html = client.get(f"/c/{cid}").get_data(as_text=True)
    assert "This payment was canceled" in html and 'id="pay-form"' not in html
    assert "status=canceled" in client.get(f"/c/{cid}/back").headers["Location"]
