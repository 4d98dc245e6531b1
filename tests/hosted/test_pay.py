"""Starting a payment from the picker: CSRF, cash, phone push, redirect, refusals."""
from datetime import timedelta

import pytest

from checkout.core.timeutil import utcnow
from checkout.extensions import db
from checkout.gateways import get_gateway
from checkout.gateways.base import GatewayResult, NextAction
from checkout.gateways.errors import GatewayDeclined
from checkout.models import Checkout, Payment
from checkout.payments import flow

from .conftest import csrf_token


@pytest.fixture
def feexpay(monkeypatch):
    """FeexPay's initiate replaced: nothing leaves the process. ``calls`` records requests;
    set ``answer`` to a GatewayResult or an exception."""

    class Fake:
        calls = []
        answer = GatewayResult(status="pending", provider_reference="ref-1",
                               next_action=NextAction(type="approve_on_phone"))

    def initiate(self, account, request):
        Fake.calls.append(request)
        if isinstance(Fake.answer, Exception):
            raise Fake.answer
        return Fake.answer

    # On the adapter's class, as the registry holds it: the one the hosted pages call.
    monkeypatch.setattr(type(get_gateway("feexpay")), "initiate", initiate)
    return Fake


def pay(client, cid, **data):
    token = csrf_token(client.get(f"/c/{cid}").get_data(as_text=True))
    return client.post(f"/c/{cid}/pay", data={"csrf_token": token, **data})


def payments():
    db.session.expire_all()
    return db.session.execute(db.select(Payment)).scalars().all()


def test_post_without_csrf_token_is_refused_and_writes_nothing(client, make_checkout):
    cid = make_checkout()
    client.get(f"/c/{cid}")
    resp = client.post(f"/c/{cid}/pay", data={"method": "cod"})
    assert resp.status_code == 400
    html = resp.get_data(as_text=True)
    assert "This page has expired" in html and f'href="/c/{cid}"' in html
    bad = client.post(f"/c/{cid}/pay", data={"method": "cod", "csrf_token": "forged"})
    assert bad.status_code == 400
    assert payments() == []
    assert db.session.get(Checkout, cid).status == "open"


def test_cash_on_delivery_confirmation(client, make_checkout):
    cid = make_checkout(amount=7500)
    resp = pay(client, cid, method="cod", phone="")
    assert resp.status_code == 303 and resp.headers["Location"].endswith(f"/c/{cid}/wait")
    (payment,) = payments()
    assert payment.gateway == "cod" and payment.status == "pending" and payment.phone is None
    html = client.get(f"/c/{cid}/wait").get_data(as_text=True)
    assert "Pay the courier 7,500\xa0F\xa0CFA in cash when your order arrives." in html
    assert f'href="/c/{cid}/back"' in html
    back = client.get(f"/c/{cid}/back")
    assert back.status_code == 303
    assert back.headers["Location"].startswith("https://shop.example/orders/1?")
    assert "status=processing" in back.headers["Location"]
    # Opening the checkout again shows the same confirmation, not a second form.
    assert client.get(f"/c/{cid}").headers["Location"].endswith(f"/c/{cid}/wait")


def test_mobile_money_goes_to_the_wait_page(client, make_checkout, feexpay):
    cid = make_checkout()
    resp = pay(client, cid, method="mtn_bj", phone="01 90 00 00 01")
    assert resp.status_code == 303 and resp.headers["Location"].endswith(f"/c/{cid}/wait")
    (request,) = feexpay.calls
    assert request.phone == "+2290190000001" and request.method == "mtn_bj"
    assert request.return_url == f"http://checkout.test/c/{cid}/return?payment={request.payment_id}"
    html = client.get(f"/c/{cid}/wait").get_data(as_text=True)
    assert "Approve the payment on your phone" in html
    assert "+229 01 90 ** ** 01" in html and "MTN MoMo" in html
    assert "0190000001" not in html
    assert '<noscript><meta http-equiv="refresh" content="5"></noscript>' in html
    assert f'data-status-url="/c/{cid}/status.json"' in html


def test_old_benin_number_is_upgraded(client, make_checkout, feexpay):
    pay(client, make_checkout(), method="moov_bj", phone="95 12 34 56")
    assert feexpay.calls[0].phone == "+2290195123456"


def test_redirect_methods_send_the_shopper_to_the_provider(client, make_checkout, feexpay):
    feexpay.answer = GatewayResult(status="pending", provider_reference="ref-2",
                                   next_action=NextAction(type="redirect",
                                                          url="https://pay.example/wave/1"))
    cid = make_checkout(country="CI")
    resp = pay(client, cid, method="wave_ci", phone="07 07 07 07 01")
    assert resp.status_code == 303 and resp.headers["Location"] == "https://pay.example/wave/1"
    html = client.get(f"/c/{cid}/wait").get_data(as_text=True)
    assert "Finish the payment" in html and 'href="https://pay.example/wave/1"' in html


def test_refused_at_once_shows_the_reason(client, make_checkout, feexpay):
    feexpay.answer = GatewayDeclined("FeexPay: LOW_BALANCE", code="insufficient_funds")
    cid = make_checkout()
    resp = pay(client, cid, method="mtn_bj", phone="0190000002")
    assert resp.headers["Location"].endswith(f"/c/{cid}/wait")
    html = client.get(f"/c/{cid}/wait").get_data(as_text=True)
    assert "There is not enough money on this mobile money account." in html
    assert "LOW_BALANCE" not in html
    assert db.session.get(Checkout, cid).status == "open"


def test_second_submit_while_pending_starts_nothing(client, make_checkout, feexpay):
    cid = make_checkout()
    token = csrf_token(client.get(f"/c/{cid}").get_data(as_text=True))
    data = {"csrf_token": token, "method": "mtn_bj", "phone": "0190000001"}
    client.post(f"/c/{cid}/pay", data=data)
    again = client.post(f"/c/{cid}/pay", data=data)
    assert again.status_code == 303 and again.headers["Location"].endswith(f"/c/{cid}")
    assert len(payments()) == 1 and len(feexpay.calls) == 1


def test_method_not_offered_any_more(client, make_checkout, feexpay, monkeypatch):
    cid = make_checkout()
    token = csrf_token(client.get(f"/c/{cid}").get_data(as_text=True))
    monkeypatch.setattr(flow, "offers_for", lambda checkout: [])
    resp = client.post(f"/c/{cid}/pay", data={"csrf_token": token, "method": "mtn_bj",
                                               "phone": "0190000001"})
    assert resp.status_code == 409
    assert "This way to pay is not available for this order." in resp.get_data(as_text=True)
    assert payments() == [] and feexpay.calls == []


def test_paying_an_expired_checkout_shows_it_expired(client, make_checkout):
    cid = make_checkout()
    token = csrf_token(client.get(f"/c/{cid}").get_data(as_text=True))
    checkout = db.session.get(Checkout, cid)
    checkout.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    resp = client.post(f"/c/{cid}/pay", data={"csrf_token": token, "method": "cod"})
    assert resp.status_code == 303
    html = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "This payment page has expired" in html
    assert payments() == []
