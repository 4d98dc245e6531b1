"""Fixtures of the FeexPay adapter tests: the adapter and a test-mode account."""
import pytest

from checkout.gateways import get_gateway
from checkout.gateways.base import Account

SIM = "http://sim.test/feexpay"
REF = "1e636dff-6b81-499e-bf8b-64b4a07a02a8"      # a reference as FeexPay makes them


@pytest.fixture
def gw():
    """The FeexPay adapter, as the registry holds it."""
    return get_gateway("feexpay")


@pytest.fixture
def account():
    """A test-mode FeexPay account whose API root is the simulator's mount point."""
    return Account(credentials={"api_key": "fp_test_key_123", "shop": "nGLq7rMBFBVbpuc"},
                   livemode=False, base_url=SIM,
                   notify_url="http://checkout.test/webhooks/feexpay/tok123")
