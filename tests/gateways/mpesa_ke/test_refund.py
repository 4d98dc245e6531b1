"""Reversals: the request as Safaricom documents it, with a SecurityCredential the
simulator's private key decrypts; refusals; what cannot be reversed."""
import base64
from dataclasses import replace

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from checkout.gateways.base import Account
from checkout.gateways.errors import (
    GatewayAuthError,
    GatewayNotSupported,
    GatewayUnavailable,
)
from checkout.gateways.mpesa_ke import wire
from checkout.gateways.mpesa_ke.keys import TEST_CERTIFICATE
from checkout.simulators.mpesa_ke.keys import PRIVATE_KEY_PEM

from .conftest import CREDS, CRID, NOTIFY, REVERSAL_URL, SIM, body_of, envelope, token_ok

ACCEPTED = {"OriginatorConversationID": "f1e2-4b95-a71d-b30d3cdbb7a7735297",
            "ConversationID": "AG_20210706_20106e9209f64bebd05b", "ResponseCode": "0",
            "ResponseDescription": "Accept the service request successfully."}


def decrypt(credential):
    key = serialization.load_pem_private_key(PRIVATE_KEY_PEM.encode(), password=None)
    return key.decrypt(base64.b64decode(credential), padding.PKCS1v15()).decode()


def test_reversal_request_as_documented(gw, account, http_mock):
    token_ok(http_mock)
    http_mock.post(REVERSAL_URL, json=ACCEPTED)
    result = gw.refund(account, CRID, 150000, "KES", "Customer returned it", "re_1",
                       receipt="NLJ7RT61SV")
    assert (result.status, result.provider_reference) == \
        ("pending", "f1e2-4b95-a71d-b30d3cdbb7a7735297")
    body = body_of(http_mock.calls[-1])
    assert decrypt(body.pop("SecurityCredential")) == CREDS["initiator_password"]
    assert body == {"Initiator": "testapi", "CommandID": "TransactionReversal",
                    "TransactionID": "NLJ7RT61SV", "Amount": "1500", "ReceiverParty": "174379",
                    "RecieverIdentifierType": "11", "ResultURL": NOTIFY,
                    "QueueTimeOutURL": NOTIFY, "Remarks": "Customer returned it",
                    "Occasion": "re_1"}
    assert http_mock.calls[-1].request.headers["Authorization"] == "Bearer tok-1"


def test_credential_is_random_padded_each_time():
    one = wire.security_credential("pw", TEST_CERTIFICATE)
    assert one != wire.security_credential("pw", TEST_CERTIFICATE)
    assert decrypt(one) == "pw"


def test_certificate_forms_accepted():
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.public_key().public_bytes(serialization.Encoding.PEM,
                                        serialization.PublicFormat.SubjectPublicKeyInfo)
    der = key.public_key().public_bytes(serialization.Encoding.DER,
                                        serialization.PublicFormat.SubjectPublicKeyInfo)
    for form in (pem.decode(), base64.b64encode(der).decode()):
        credential = wire.security_credential("secret", form)
        assert key.decrypt(base64.b64decode(credential), padding.PKCS1v15()) == b"secret"
    with pytest.raises(GatewayAuthError):
        wire.security_credential("secret", "not a certificate")


def test_no_receipt_cannot_be_reversed(gw, account):
    with pytest.raises(GatewayNotSupported) as err:
        gw.refund(account, CRID, 150000, "KES", None, "re_1", receipt=None)
    assert "receipt" in err.value.message


def test_missing_initiator_is_a_configuration_error(gw, account):
    bare = replace(account, credentials={k: v for k, v in CREDS.items()
                                         if k != "initiator_password"})
    with pytest.raises(GatewayAuthError) as err:
        gw.refund(bare, CRID, 150000, "KES", None, "re_1", receipt="NLJ7RT61SV")
    assert err.value.code == "shop_not_configured"


def test_a_refusal_is_a_failed_refund(gw, account, http_mock):
    token_ok(http_mock)
    http_mock.post(REVERSAL_URL, status=400, json=envelope(
        "400.002.02", "Bad Request - Invalid TransactionID"))
    result = gw.refund(account, CRID, 150000, "KES", None, "re_1", receipt="NLJ7RT61SV")
    assert result.status == "failed" and "TransactionID" in result.failure_message


def test_spike_arrest_on_reversal_raises(gw, account, http_mock):
    token_ok(http_mock)
    http_mock.post(REVERSAL_URL, status=500, json=envelope("500.003.02", "Spike Arrest"))
    with pytest.raises(GatewayUnavailable):
        gw.refund(account, CRID, 150000, "KES", None, "re_1", receipt="NLJ7RT61SV")


def test_accepted_without_an_id_is_unknown(gw, account, http_mock):
    token_ok(http_mock)
    http_mock.post(REVERSAL_URL, json={"ResponseCode": "0"})
    with pytest.raises(GatewayUnavailable) as err:
        gw.refund(account, CRID, 150000, "KES", None, "re_1", receipt="NLJ7RT61SV")
    assert err.value.outcome_unknown


def test_fetch_refund_is_not_supported(gw, account):
    with pytest.raises(GatewayNotSupported):
        gw.fetch_refund(account, "x", CRID, "re_1")


def test_test_credentials_and_registration(gw, http_mock):
    creds = gw.test_credentials()
    assert creds["shortcode"] == "174379" and creds["account_type"] == "paybill"
    assert creds["passkey"] == wire_passkey()
    assert creds["certificate"] == TEST_CERTIFICATE and creds["initiator_password"]
    assert gw.test_credentials()["consumer_key"] != creds["consumer_key"]
    from_sim = gw_account(creds)
    http_mock.put(f"{SIM}/_sim/accounts/{creds['consumer_key']}", status=201, json={})
    assert gw.register_test_account(from_sim, (1, 1)) == creds["consumer_key"]
    sent = body_of(http_mock.calls[-1])
    assert sent == {"consumer_key": creds["consumer_key"],
                    "consumer_secret": creds["consumer_secret"], "shortcode": "174379",
                    "passkey": creds["passkey"], "account_type": "paybill",
                    "till_number": None, "initiator_name": "testapi",
                    "initiator_password": creds["initiator_password"]}


def wire_passkey():
    return "bfb279f9aa9bdbcf158e97dd71a467cd2e0c893059b10f78e6b72ada1ed2c919"


def gw_account(creds):
    return Account(credentials=creds, livemode=False, base_url=SIM, notify_url=NOTIFY)
