"""Fixtures of the M-Pesa Mozambique adapter tests: the adapter, test and live accounts,
Vodacom's answers (providers.md 5.4) and a reader of the Bearer token (decrypted with
the simulator's private key, the one that matches the test public key)."""
import base64
import json
from dataclasses import replace

import pytest
from cryptography.hazmat.primitives.asymmetric import padding

from checkout.gateways import get_gateway
from checkout.gateways.base import Account, PaymentRequest
from checkout.simulators.mpesa_mz.keys import private_key

SIM = "http://sim.test/mpesa-mz"
PAY = "pay_Ab12Cd34Ef56Gh78Ij90Kl12"
API_KEY = "k" * 32
C2B = SIM + "/ipg/v1x/c2bPayment/singleStage/"
QUERY = SIM + "/ipg/v1x/queryTransactionStatus/"
REVERSAL = SIM + "/ipg/v1x/reversal/"
B2C = SIM + "/ipg/v1x/b2cPayment/"


@pytest.fixture
def gw():
    return get_gateway("mpesa_mz")


@pytest.fixture
def account(gw):
    creds = {**gw.test_credentials(), "api_key": API_KEY, "security_credential": "secret1"}
    return Account(credentials=creds, livemode=False, base_url=SIM,
                   notify_url="http://checkout.test/webhooks/mpesa_mz/tok")


@pytest.fixture
def live_account(account):
    return replace(account, livemode=True, base_url="https://api.vm.co.mz")


def pay(**kw):
    base = dict(payment_id=PAY, method="mpesa_mz", amount=150000, currency="MZN",
                phone="+258841234501", description="Order 42",
                return_url="https://pay.test/r", cancel_url="https://pay.test/c")
    base.update(kw)
    return PaymentRequest(**base)


def answer(code="INS-0", tpr=None, tx="4XDF12345", **extra):
    body = {"output_ResponseCode": code, "output_ResponseDesc": "desc",
            "output_TransactionID": tx if code == "INS-0" else "N/A",
            "output_ConversationID": "AG_20180206_00005e7dccc6da08efa8",
            "output_ThirdPartyReference": tpr or ""}
    body.update(extra)
    return body


def api_key_of(request) -> str:
    scheme, _, token = request.headers["Authorization"].partition(" ")
    assert scheme == "Bearer"
    return private_key().decrypt(base64.b64decode(token), padding.PKCS1v15()).decode()


def body_of(call):
    return json.loads(call.request.body)
