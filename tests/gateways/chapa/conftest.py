"""Fixtures of the Chapa adapter tests: the adapter, a test-mode account, the URLs."""
import pytest

from checkout.gateways import get_gateway
from checkout.gateways.base import Account

SIM = "http://sim.test/chapa"
INIT = f"{SIM}/v1/transaction/initialize"
PAY_ID = "pay_4f9Kx2LmQ8rT1vW3yZ5bN7cD"      # our payment id: also our tx_ref
VERIFY = f"{SIM}/v1/transaction/verify/{PAY_ID}"
REFUND = f"{SIM}/v1/refund/{PAY_ID}"
SECRET_KEY = "CHASECK_TEST-abcdefghijklmnopqrstuvwxyz012345"
WEBHOOK_SECRET = "whsecret-for-chapa-tests"
NOTIFY = "http://checkout.test/webhooks/chapa/tok123"


@pytest.fixture
def gw():
    """The Chapa adapter, as the registry holds it."""
    return get_gateway("chapa")


@pytest.fixture
def account():
    """A test-mode Chapa account whose API root is the simulator's mount point."""
    return Account(credentials={"secret_key": SECRET_KEY, "webhook_secret": WEBHOOK_SECRET},
                   livemode=False, base_url=SIM, notify_url=NOTIFY)


def verify_body(**data):
    """A verify answer (providers.md 2.4) with ``data`` fields overridden."""
    base = {"first_name": "Abebe", "last_name": "Bikila", "email": "abebe@example.et",
            "currency": "ETB", "amount": 100, "charge": 3.5, "mode": "test",
            "method": "telebirr", "type": "API", "status": "success",
            "reference": "APqDvY2v8l3", "tx_ref": PAY_ID,
            "customization": {"title": "Shop", "description": None, "logo": None},
            "meta": None, "created_at": "2026-01-01T10:00:00.000000Z",
            "updated_at": "2026-01-01T10:01:00.000000Z"}
    base.update(data)
    return {"message": "Payment details", "status": "success", "data": base}
