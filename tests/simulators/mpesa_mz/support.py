"""A client of the M-Pesa Mozambique simulator written from providers.md 5 (its own token
code: the Bearer is made with the public key the simulator publishes)."""
from __future__ import annotations

import base64
import itertools

import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import padding

DELAY, HOLD, LATE = 0.2, 1.0, 1.5
FAST = {"delay_seconds": 5, "mpesa_mz": {"delay_seconds": DELAY, "hold_seconds": HOLD,
                                         "late_delay_seconds": LATE}}
API_KEY, SHORTCODE = "sim_api_key_1", "171717"
C2B = "/ipg/v1x/c2bPayment/singleStage/"
B2C = "/ipg/v1x/b2cPayment/"
B2B = "/ipg/v1x/b2bPayment/"
QUERY = "/ipg/v1x/queryTransactionStatus/"
REVERSAL = "/ipg/v1x/reversal/"
STEM = "2588411001"                  # a Vodacom number minus its two magic digits
_refs = itertools.count(1)


def new_ref(prefix: str = "T") -> str:
    return f"{prefix}{next(_refs):08d}"


class MzClient:
    def __init__(self, base: str, api_key: str = API_KEY):
        self.base, self.api_key = base + "/mpesa-mz", api_key
        self.http = requests.Session()
        self.http.trust_env = False
        der = base64.b64decode(self.http.get(self.base + "/_sim/public_key", timeout=5).text)
        self.key = serialization.load_der_public_key(der)

    def token(self, api_key: str | None = None) -> str:
        blob = self.key.encrypt((api_key or self.api_key).encode(), padding.PKCS1v15())
        return base64.b64encode(blob).decode()

    def headers(self, origin="developer.mpesa.vm.co.mz", api_key=None) -> dict:
        out = {"Authorization": "Bearer " + self.token(api_key)}
        if origin is not None:
            out["Origin"] = origin
        return out

    def put_account(self, account_id="acct1", api_key=API_KEY, shortcode=SHORTCODE, **extra):
        return self.http.put(f"{self.base}/_sim/accounts/{account_id}", timeout=5,
                             json={"api_key": api_key, "service_provider_code": shortcode,
                                   **extra})

    def c2b(self, magic="01", timeout=5.0, headers=None, **fields):
        body = {"input_TransactionReference": new_ref(), "input_CustomerMSISDN": STEM + magic,
                "input_Amount": "10", "input_ThirdPartyReference": new_ref("C"),
                "input_ServiceProviderCode": SHORTCODE, **fields}
        body = {k: v for k, v in body.items() if v is not None}
        return self.http.post(self.base + C2B, json=body, timeout=timeout,
                              headers=self.headers() if headers is None else headers)

    def b2c(self, magic="01", **fields):
        body = {"input_TransactionReference": new_ref(), "input_CustomerMSISDN": STEM + magic,
                "input_Amount": "10", "input_ThirdPartyReference": new_ref("B"),
                "input_ServiceProviderCode": SHORTCODE, **fields}
        return self.http.post(self.base + B2C, json=body, timeout=5, headers=self.headers())

    def query(self, reference, tpr=None, shortcode=SHORTCODE):
        params = {"input_QueryReference": reference,
                  "input_ThirdPartyReference": tpr or new_ref("Q"),
                  "input_ServiceProviderCode": shortcode}
        return self.http.get(self.base + QUERY, params=params, timeout=5,
                             headers=self.headers())

    def status_of(self, reference) -> str:
        resp = self.query(reference)
        assert resp.status_code == 200, resp.text
        return resp.json()["output_ResponseTransactionStatus"]

    def reverse(self, transaction_id, amount="10", **fields):
        body = {"input_TransactionID": transaction_id, "input_SecurityCredential": "cred",
                "input_InitiatorIdentifier": "init", "input_ThirdPartyReference": new_ref("R"),
                "input_ServiceProviderCode": SHORTCODE, "input_ReversalAmount": amount,
                **fields}
        return self.http.put(self.base + REVERSAL, json=body, timeout=5,
                             headers=self.headers())

    def inspect(self, reference):
        return self.http.get(f"{self.base}/_sim/transactions/{reference}", timeout=5).json()

    def close(self):
        self.http.close()
