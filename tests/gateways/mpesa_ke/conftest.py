"""Fixtures of the M-Pesa Kenya adapter tests: the adapter, a test account, and helpers
that write Daraja's answers (providers.md 4)."""
import base64
import json

import pytest
import responses

from checkout.gateways import get_gateway
from checkout.gateways.base import Account, PaymentRequest
from checkout.gateways.mpesa_ke import client
from checkout.gateways.mpesa_ke.keys import SANDBOX_PASSKEY, TEST_CERTIFICATE

SIM = "http://sim.test/daraja"
TOKEN_URL = SIM + "/oauth/v1/generate"
PUSH_URL = SIM + "/mpesa/stkpush/v1/processrequest"
QUERY_URL = SIM + "/mpesa/stkpushquery/v1/query"
REVERSAL_URL = SIM + "/mpesa/reversal/v1/request"
NOTIFY = "https://checkout.test/webhooks/mpesa_ke/tok123"
PAY = "pay_Ab12Cd34Ef56Gh78Ij90Kl12"
CRID = "ws_CO_191220191020363925"
CREDS = {"consumer_key": "ck0123456789abcdef", "consumer_secret": "cs_secret_1",
         "shortcode": "174379", "passkey": SANDBOX_PASSKEY, "account_type": "paybill",
         "initiator_name": "testapi", "initiator_password": "Init-Pass-1",
         "certificate": TEST_CERTIFICATE}


class MemoryCache:
    """A TokenCache like the product's Redis one, in memory, recording ttls."""

    def __init__(self):
        self.values, self.ttls, self.deleted = {}, {}, []

    def get(self, key):
        return self.values.get(key)

    def set(self, key, value, ttl_seconds):
        self.values[key], self.ttls[key] = value, ttl_seconds

    def delete(self, key):
        self.values.pop(key, None)
        self.deleted.append(key)


@pytest.fixture(autouse=True)
def _fresh_token_memory():
    client._local.clear()
    yield
    client._local.clear()


@pytest.fixture
def gw():
    return get_gateway("mpesa_ke")


@pytest.fixture
def account():
    return Account(credentials=dict(CREDS), livemode=False, base_url=SIM, notify_url=NOTIFY)


def request_for(**kw):
    base = dict(payment_id=PAY, method="mpesa_ke", amount=150000, currency="KES",
                phone="+254708374149", description="Order 42", return_url="https://s.test/r",
                cancel_url="https://s.test/c")
    base.update(kw)
    return PaymentRequest(**base)


def token_ok(rsps, token="tok-1", expires_in="3599"):
    return rsps.get(TOKEN_URL, json={"access_token": token, "expires_in": expires_in})


def envelope(code, message):
    return {"requestId": "1234-5678-1", "errorCode": code, "errorMessage": message}


def accepted(crid=CRID):
    text = "Success. Request accepted for processing"
    return {"MerchantRequestID": "29115-34620561-1", "CheckoutRequestID": crid,
            "ResponseCode": "0", "ResponseDescription": text, "CustomerMessage": text}


def body_of(call):
    return json.loads(call.request.body)


def basic(key, secret):
    return "Basic " + base64.b64encode(f"{key}:{secret}".encode()).decode()


__all__ = ["responses"]
