"""Steps a provider asks for on our own page: a code (OTP) typed by the shopper, and an
email address when the chosen way to pay needs one and the merchant gave none. The
adapter is replaced here; the Paystack tests drive the same pages against its
simulator."""
from dataclasses import replace

import pytest

from checkout.extensions import db
from checkout.gateways import get_gateway, registry
from checkout.gateways.base import GatewayResult, NextAction
from checkout.gateways.errors import GatewayDeclined
from checkout.models import Checkout, Payment

from .conftest import csrf_token

FEEXPAY = type(get_gateway("feexpay"))


@pytest.fixture
def otp_provider(monkeypatch):
    """A provider that asks for a code after the push, and takes only 123456."""
    seen = []

    def initiate(self, account, request):
        return GatewayResult(status="pending", provider_reference="ref-otp",
                             next_action=NextAction("otp", message="Dial *110# for a voucher"))

    def submit_step(self, account, reference, data):
        seen.append((reference, dict(data)))
        if data.get("otp") != "123456":
            raise GatewayDeclined("Provided registration token is invalid", code="otp_invalid")
        return GatewayResult(status="pending", provider_reference=reference,
                             next_action=NextAction("approve_on_phone"))

    monkeypatch.setattr(FEEXPAY, "initiate", initiate)
    monkeypatch.setattr(FEEXPAY, "submit_step", submit_step)
    return seen


def _pay(client, cid, **data):
    token = csrf_token(client.get(f"/c/{cid}").get_data(as_text=True))
    return client.post(f"/c/{cid}/pay", data={"csrf_token": token, **data})


def _otp(client, cid, code):
    token = csrf_token(client.get(f"/c/{cid}/wait").get_data(as_text=True))
    return client.post(f"/c/{cid}/otp", data={"csrf_token": token, "code": code})


def test_the_code_the_provider_asks_for_is_typed_on_our_page(client, make_checkout,
                                                             otp_provider):
    cid = make_checkout()
    assert _pay(client, cid, method="mtn_bj", phone="0190000001").status_code == 303
    page = client.get(f"/c/{cid}/wait").get_data(as_text=True)
    assert "Type the code you received" in page and "Dial *110# for a voucher" in page
    assert client.get(f"/c/{cid}").headers["Location"].endswith(f"/c/{cid}/wait")
    wrong = _otp(client, cid, "000000")
    assert wrong.status_code == 400
    assert "This code was not accepted" in wrong.get_data(as_text=True)
    payment = db.session.execute(db.select(Payment)).scalar_one()
    assert payment.status == "pending"                    # a wrong code ends nothing
    right = _otp(client, cid, " 123 456 ")
    assert right.status_code == 303 and right.headers["Location"].endswith(f"/c/{cid}/wait")
    assert otp_provider == [("ref-otp", {"otp": "000000"}), ("ref-otp", {"otp": "123456"})]
    db.session.expire_all()
    assert db.session.get(Payment, payment.id).next_action["type"] == "approve_on_phone"
    assert "Approve the payment on your phone" in client.get(f"/c/{cid}/wait").get_data(
        as_text=True)
    # Once no code is expected, posting one changes nothing.
    assert _otp(client, cid, "123456").status_code == 303
    assert len(otp_provider) == 2


def test_the_code_page_is_translated(client, make_checkout, otp_provider):
    cid = make_checkout(locale="fr")
    _pay(client, cid, method="mtn_bj", phone="0190000001")
    assert "Saisissez le code reçu" in client.get(f"/c/{cid}/wait").get_data(as_text=True)


@pytest.fixture
def needs_email(monkeypatch):
    """MTN Benin made a way to pay that needs the shopper's email (as Paystack's do)."""
    monkeypatch.setitem(registry.METHODS, "mtn_bj",
                        replace(registry.METHODS["mtn_bj"], needs_email=True))
    sent = []

    def initiate(self, account, request):
        sent.append(request.customer_email)
        return GatewayResult(status="pending", provider_reference="ref-e",
                             next_action=NextAction("approve_on_phone"))

    monkeypatch.setattr(FEEXPAY, "initiate", initiate)
    return sent


def test_an_email_is_asked_only_when_the_method_needs_it(client, make_checkout, needs_email):
    cid = make_checkout()
    assert 'id="email"' in client.get(f"/c/{cid}").get_data(as_text=True)
    missing = _pay(client, cid, method="mtn_bj", phone="0190000001")
    assert missing.status_code == 400
    assert "this way to pay needs it" in missing.get_data(as_text=True)
    bad = _pay(client, cid, method="mtn_bj", phone="0190000001", email="not-an-email")
    assert bad.status_code == 400 and 'value="not-an-email"' in bad.get_data(as_text=True)
    ok = _pay(client, cid, method="mtn_bj", phone="0190000001", email="awa@example.com")
    assert ok.status_code == 303
    assert needs_email == ["awa@example.com"]
    assert db.session.get(Checkout, cid).customer == {"email": "awa@example.com"}


def test_no_email_is_asked_when_the_merchant_gave_one(client, make_checkout, needs_email):
    cid = make_checkout(customer={"email": "known@example.com"})
    assert 'id="email"' not in client.get(f"/c/{cid}").get_data(as_text=True)
    assert _pay(client, cid, method="mtn_bj", phone="0190000001").status_code == 303
    assert needs_email == ["known@example.com"]


def test_cash_needs_no_email(client, make_checkout, needs_email):
    cid = make_checkout()
    assert _pay(client, cid, method="cod").status_code == 303
    assert needs_email == []
