"""Helpers of the merchant API tests: a JSON client bound to a merchant's key, valid
bodies, row counts, and payments made through the payment services."""
import pytest
from sqlalchemy import func

from checkout.extensions import db
from checkout.gateways.base import GatewayResult
from checkout.core.ids import new_id
from checkout.models import (Checkout, Event, GatewayAccount, IdempotencyRecord, Payment, PaymentEvent, Refund)
from checkout.payments import service

COUNTED = (Checkout, Payment, Refund, Event, PaymentEvent, IdempotencyRecord)


class Api:
    """``api.post("/checkouts", {...})`` -> response, with the merchant's key."""

    def __init__(self, client, merchant):
        self.client, self.merchant = client, merchant

    def post(self, path, body=None, key=None, headers=None, raw=None, **kw):
        h = dict(self.merchant.auth)
        if key is not None:
            h["Idempotency-Key"] = key
        h.update(headers or {})
        if raw is not None:
            return self.client.post("/api/v1" + path, data=raw, headers=h, **kw)
        return self.client.post("/api/v1" + path, json=body, headers=h, **kw)

    def get(self, path, **kw):
        return self.client.get("/api/v1" + path, headers=self.merchant.auth, **kw)


@pytest.fixture
def api(client, merchant):
    return Api(client, merchant)


@pytest.fixture
def other_api(client, make_merchant):
    return Api(client, make_merchant(name="Other Shop", return_hosts=("other.example",)))


def checkout_body(**overrides):
    body = {"order_id": "A-1001", "amount": 5000, "currency": "XOF",
            "return_url": "https://shop.example/orders/A-1001"}
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not ...}


@pytest.fixture
def counts():
    """``counts()`` -> the number of rows of every table a request could write."""
    def count():
        db.session.rollback()
        return {m.__tablename__: db.session.execute(db.select(func.count()).select_from(m))
                .scalar_one() for m in COUNTED}
    return count


def add_payment(checkout_id, gateway="feexpay", method="mtn_bj", outcome=None):
    """Start an attempt on a checkout through the services (no provider call) and, if
    ``outcome`` is given ("succeeded"/"failed"), report it. Commits; returns the id."""
    checkout = db.session.get(Checkout, checkout_id)
    account_id = db.session.execute(
        db.select(GatewayAccount.id).where(GatewayAccount.merchant_id == checkout.merchant_id,
                                           GatewayAccount.gateway == gateway,
                                           GatewayAccount.livemode == checkout.livemode)
    ).scalar_one()
    payment = Payment(id=new_id("pay"), checkout_id=checkout.id, merchant_id=checkout.merchant_id,
                      livemode=checkout.livemode, gateway=gateway, gateway_account_id=account_id,
                      method=method, amount=checkout.amount, currency=checkout.currency,
                      phone="+2290190000001" if gateway != "cod" else None,
                      provider_reference="ref-" + new_id("x", 8))
    service.begin_attempt(checkout.id, payment, source="test")
    if outcome:
        service.apply_result(payment.id, GatewayResult(
            status=outcome, amount=checkout.amount, currency=checkout.currency,
            failure_code="declined" if outcome == "failed" else None), "test")
    payment_id = payment.id
    db.session.commit()
    return payment_id

