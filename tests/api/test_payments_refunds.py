"""Payments (retrieve, list, confirm cash) and refunds."""
import pytest

from checkout.extensions import db
from checkout.gateways import get_gateway
from checkout.gateways.base import RefundResult
from checkout.gateways.errors import GatewayDeclined, GatewayNotSupported, GatewayUnavailable
from checkout.models import Checkout, Event, Payment, Refund
from tests.factories import add_payment, checkout_body


@pytest.fixture
def FeexPay():
    # The adapter's class, as the registry holds it: the one the API calls.
    return type(get_gateway("feexpay"))


@pytest.fixture
def paid(api):
    """A checkout paid by FeexPay: (checkout id, payment id)."""
    cs = api.post("/checkouts", checkout_body()).json["id"]
    return cs, add_payment(cs, outcome="succeeded")


@pytest.fixture
def refunds_ok(monkeypatch, FeexPay):
    calls = []

    def refund(self, account, provider_reference, amount, currency, reason, refund_id,
               receipt=None):
        calls.append((provider_reference, amount, currency, reason, refund_id))
        return RefundResult(status="succeeded", provider_reference="rf-" + refund_id[-6:])
    monkeypatch.setattr(FeexPay, "refund", refund)
    monkeypatch.setattr(FeexPay, "supports_refund", True)
    return calls


def test_retrieve_and_list_payments(api):
    cs = api.post("/checkouts", checkout_body()).json["id"]
    p1 = add_payment(cs, outcome="failed")
    p2 = add_payment(cs)
    other = api.post("/checkouts", checkout_body(order_id="B-2")).json["id"]
    p3 = add_payment(other)
    r = api.get(f"/payments/{p2}")
    assert r.status_code == 200
    assert (r.json["id"], r.json["checkout"], r.json["status"]) == (p2, cs, "pending")
    assert r.json["phone"] == "+229 01 90 ** ** 01"
    assert [p["id"] for p in api.get("/payments").json["data"]] == [p3, p2, p1]
    assert [p["id"] for p in api.get(f"/payments?checkout={cs}").json["data"]] == [p2, p1]
    assert [p["id"] for p in api.get("/payments?status=failed").json["data"]] == [p1]
    page = api.get("/payments?limit=1").json
    assert page["has_more"] is True and [p["id"] for p in page["data"]] == [p3]
    assert api.get("/payments?status=paid").status_code == 400
    assert api.get("/payments/pay_nope").status_code == 404


def test_confirm_cash_on_delivery(api):
    cs = api.post("/checkouts", checkout_body()).json["id"]
    pay = add_payment(cs, "cod")
    r = api.post(f"/payments/{pay}/confirm")
    assert r.status_code == 200 and r.json["status"] == "succeeded"
    assert db.session.get(Checkout, cs).status == "paid"
    assert db.session.execute(db.select(Event.type)).scalars().all() == ["checkout.paid"]
    again = api.post(f"/payments/{pay}/confirm")
    assert again.status_code == 200 and again.json["status"] == "succeeded"
    assert db.session.execute(db.select(Event.type)).scalars().all() == ["checkout.paid"]


def test_confirm_refuses_other_gateways(api, counts):
    cs = api.post("/checkouts", checkout_body()).json["id"]
    pay = add_payment(cs)
    before = counts()
    r = api.post(f"/payments/{pay}/confirm")
    assert r.status_code == 400 and r.json["error"]["code"] == "not_cash_payment"
    assert db.session.get(Payment, pay).status == "pending"
    assert counts() == before


def test_refund_not_supported_by_the_gateway(api, paid, counts):
    before = counts()
    r = api.post("/refunds", {"payment": paid[1]})
    assert r.status_code == 400
    assert r.json["error"]["code"] == "refund_not_supported"
    assert "feexpay" in r.json["error"]["message"]
    assert counts() == before


def test_refund_not_supported_raised_by_the_adapter_writes_nothing(api, paid, counts,
                                                                  monkeypatch, FeexPay):
    def refund(self, *args, **kwargs):
        raise GatewayNotSupported("no partial refunds")
    monkeypatch.setattr(FeexPay, "refund", refund)
    monkeypatch.setattr(FeexPay, "supports_refund", True)
    before = counts()
    r = api.post("/refunds", {"payment": paid[1], "amount": 100}, key="k-ns")
    assert r.status_code == 400 and r.json["error"]["code"] == "refund_not_supported"
    assert counts() == before


def test_full_then_partial_refunds(api, paid, refunds_ok):
    _, pay = paid
    r = api.post("/refunds", {"payment": pay, "amount": 2000, "reason": "damaged"})
    assert r.status_code == 201, r.json
    assert (r.json["status"], r.json["amount"], r.json["payment"]) == ("succeeded", 2000, pay)
    assert refunds_ok[0][1:4] == (2000, "XOF", "damaged")
    rest = api.post("/refunds", {"payment": pay})
    assert rest.status_code == 201 and rest.json["amount"] == 3000
    assert db.session.get(Payment, pay).refunded_amount == 5000
    assert api.get(f"/payments/{pay}").json["refunded_amount"] == 5000
    over = api.post("/refunds", {"payment": pay, "amount": 1})
    assert over.status_code == 400 and over.json["error"]["code"] == "refund_amount_too_large"
    got = api.get(f"/refunds/{r.json['id']}")
    assert got.status_code == 200 and got.json == r.json
    assert [x["id"] for x in api.get(f"/refunds?payment={pay}").json["data"]] == \
        [rest.json["id"], r.json["id"]]
    types = db.session.execute(db.select(Event.type).order_by(Event.created_at)).scalars().all()
    assert types.count("refund.succeeded") == 2


def test_over_refund_is_400_and_writes_nothing(api, paid, refunds_ok, counts):
    before = counts()
    r = api.post("/refunds", {"payment": paid[1], "amount": 5001})
    assert r.status_code == 400 and r.json["error"]["code"] == "refund_amount_too_large"
    assert r.json["error"]["param"] == "amount"
    assert counts() == before and refunds_ok == []


def test_only_succeeded_payments_are_refunded(api, refunds_ok, counts):
    cs = api.post("/checkouts", checkout_body()).json["id"]
    pay = add_payment(cs, outcome="failed")
    before = counts()
    r = api.post("/refunds", {"payment": pay})
    assert r.status_code == 400 and r.json["error"]["code"] == "payment_not_refundable"
    assert counts() == before


@pytest.mark.parametrize("body,code,param", [
    ({}, "parameter_missing", "payment"),
    ({"payment": 12}, "parameter_invalid", "payment"),
    ({"payment": "pay_x", "amount": 0}, "amount_invalid", "amount"),
    ({"payment": "pay_x", "amount": "10"}, "amount_invalid", "amount"),
    ({"payment": "pay_x", "reason": 5}, "parameter_invalid", "reason"),
    ({"payment": "pay_x", "amont": 5}, "parameter_unknown", "amont"),
])
def test_refund_bad_input(api, counts, body, code, param):
    before = counts()
    r = api.post("/refunds", body)
    assert r.status_code == 400 and (r.json["error"]["code"], r.json["error"]["param"]) == \
        (code, param)
    assert counts() == before


def test_refund_unknown_payment_is_404(api):
    r = api.post("/refunds", {"payment": "pay_nope"})
    assert r.status_code == 404 and r.json["error"]["param"] == "payment"


@pytest.mark.parametrize("error,status", [
    (GatewayDeclined("insufficient merchant balance"), "failed"),
    (GatewayUnavailable("timeout", outcome_unknown=True), "pending"),
    (GatewayUnavailable("503"), "failed"),
])
def test_refund_provider_failures_are_recorded(api, paid, monkeypatch, FeexPay, error,
                                               status):
    def refund(self, *args, **kwargs):
        raise error
    monkeypatch.setattr(FeexPay, "refund", refund)
    monkeypatch.setattr(FeexPay, "supports_refund", True)
    r = api.post("/refunds", {"payment": paid[1]})
    assert r.status_code == 201 and r.json["status"] == status
    row = db.session.get(Refund, r.json["id"])
    assert row.status == status
    assert db.session.get(Payment, paid[1]).refunded_amount == 0
    types = db.session.execute(db.select(Event.type)).scalars().all()
    assert ("refund.failed" in types) == (status == "failed")
    if status == "pending":  # still counted against what is left
        assert api.post("/refunds", {"payment": paid[1], "amount": 1}).status_code == 400
