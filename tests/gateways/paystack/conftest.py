"""Fixtures of the Paystack adapter tests: the adapter, test and live accounts, and the
helpers that write Paystack's answers (providers.md 3)."""
import hashlib
import hmac
import json
from dataclasses import replace

import pytest

from checkout.gateways import get_gateway
from checkout.gateways.base import Account, PaymentRequest

SIM = "http://sim.test/paystack"
KEY = "sk_test_0123456789abcdef"
PAY = "pay_Ab12Cd34Ef56Gh78Ij90Kl12"
REF = "pay-Ab12Cd34Ef56Gh78Ij90Kl12"         # PAY as a Paystack reference


@pytest.fixture
def gw():
    """The Paystack adapter, as the registry holds it."""
    return get_gateway("paystack")


@pytest.fixture
def account():
    """A test-mode Paystack account whose API root is the simulator's mount point."""
    return Account(credentials={"secret_key": KEY}, livemode=False, base_url=SIM,
                   notify_url="http://checkout.test/webhooks/paystack/tok123")


@pytest.fixture
def live_account(account):
    return replace(account, livemode=True, base_url="https://api.paystack.co",
                   credentials={"secret_key": "sk_live_0123456789abcdef"})


def request_for(method="paystack_card", **kw):
    phones = {"paystack_mpesa_ke": "+254712345601"}
    currencies = {"paystack_mpesa_ke": "KES", "paystack_card": "NGN"}
    base = dict(payment_id=PAY, method=method, amount=150000,
                currency=currencies.get(method, "GHS"),
                phone=phones.get(method, "+233551234901"), description="Order 42",
                return_url="https://pay.test/c/cs_1/return?payment=" + PAY,
                cancel_url="https://pay.test/c/cs_1/cancel?payment=" + PAY,
                customer_email="ama@example.com")
    base.update(kw)
    return PaymentRequest(**base)


def sign(body: bytes, key: str = KEY) -> str:
    return hmac.new(key.encode(), body, hashlib.sha512).hexdigest()


def transaction(**fields):
    """Verify data as Paystack sends it (3.3), overridable field by field."""
    data = {"id": 4100000001, "domain": "test", "status": "success", "reference": REF,
            "amount": 150000, "gateway_response": "Successful", "currency": "NGN",
            "channel": "card", "paid_at": "2026-01-01T10:00:05.000Z",
            "created_at": "2026-01-01T10:00:00.000Z", "metadata": {"payment_id": PAY},
            "customer": {"email": "ama@example.com"}, "fees": 2250}
    data.update(fields)
    return {k: v for k, v in data.items() if v is not None}


def body_of(rsps, index=-1):
    return json.loads(rsps.calls[index].request.body)
