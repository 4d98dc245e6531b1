"""Helpers for the Paystack simulator tests: a client speaking Paystack's API (plus the
simulator's _sim controls) and a webhook receiver that keeps the exact bytes."""
from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time

import requests
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from tests.simulators.support import Served
from tests.waiting import wait_until

KEY, OTHER_KEY = "sk_test_simulator_key_1", "sk_test_simulator_key_2"
ACCOUNT = "acct_test_1"
DELAY = 0.2
FAST = {"delay_seconds": DELAY, "late_delay_seconds": 0.8, "webhook_timeout_seconds": 2.0,
        "webhook_retries": 2,
        "paystack": {"webhook_delay_seconds": 0.02, "refund_delay_seconds": 0.2,
                     "time_factor": 0.0005}}
GH, KE = "05512349", "+2547123456"            # a valid number minus its two magic digits
TEST_CARD = {"card_number": "4084 0840 8408 4081", "expiry": "12/30", "cvv": "408",
             "pin": "0000", "otp": "123456"}
FINAL = ("success", "failed", "reversed")


def hmac_sha512(key: str, body: bytes) -> str:
    return hmac.new(key.encode(), body, hashlib.sha512).hexdigest()


class RawReceiver:
    """Records every POST (exact body bytes, headers); answers ``status_code``, or runs
    ``on_request(call)`` first and keeps what it returns as ``observed``."""

    def __init__(self):
        self.calls: list[dict] = []
        self.status_code = 200
        self.on_request = None
        self._lock = threading.Lock()
        self._served = Served(make_server("127.0.0.1", 0, self._app, threaded=True))
        self.url = self._served.url + "/webhooks/paystack/tok"

    @Request.application
    def _app(self, request: Request) -> Response:
        body = request.get_data()
        call = {"path": request.path, "headers": dict(request.headers), "body": body,
                "json": json.loads(body or b"null"), "at": time.monotonic()}
        if self.on_request is not None:
            call["observed"] = self.on_request(call)
        with self._lock:
            self.calls.append(call)
        return Response("ok", status=self.status_code)

    def events(self, reference: str, prefix: str = "") -> list[dict]:
        """Calls about ``reference`` (a charge's reference or a refund's transaction)."""
        with self._lock:
            return [c for c in self.calls if c["json"]["event"].startswith(prefix) and reference
                    in (c["json"]["data"].get("reference"),
                        c["json"]["data"].get("transaction_reference"))]

    def stop(self) -> None:
        self._served.stop()


class PaystackClient:
    """Talks to ``<sim>/paystack`` as a client of ``https://api.paystack.co`` would."""

    def __init__(self, base: str, key: str = KEY):
        self.base, self.key = base + "/paystack", key
        self.http = requests.Session()
        self.http.trust_env = False

    def headers(self, key="default") -> dict:
        key = self.key if key == "default" else key
        return {} if key is None else {"Authorization": f"Bearer {key}"}

    def post(self, path: str, body=None, key="default", **kw):
        return self.http.post(self.base + path, json=body, headers=self.headers(key),
                              timeout=5, allow_redirects=False, **kw)

    def get(self, path: str, key="default", **kw):
        return self.http.get(self.base + path, headers=self.headers(key), timeout=5,
                             allow_redirects=False, **kw)

    def put_account(self, account_id: str = ACCOUNT, key: str = KEY, webhook_url=None):
        return self.http.put(f"{self.base}/_sim/accounts/{account_id}", timeout=5,
                             json={"secret_key": key, "webhook_url": webhook_url})

    def initialize(self, **fields):
        return self.post("/transaction/initialize",
                         {"email": "ama@example.com", "amount": 150000, **fields})

    def charge(self, provider: str = "mtn", phone: str | None = None, **fields):
        phone = phone if phone is not None else (KE if provider == "mpesa" else GH) + "01"
        return self.post("/charge", {"email": "ama@example.com", "amount": 2500,
                                     "mobile_money": {"phone": phone, "provider": provider},
                                     **fields})

    def charge_ok(self, provider: str = "mtn", magic: str = "01", **fields) -> str:
        resp = self.charge(provider, (KE if provider == "mpesa" else GH) + magic, **fields)
        assert resp.status_code == 200, resp.text
        return resp.json()["data"]["reference"]

    def verify(self, reference: str) -> dict:
        resp = self.get(f"/transaction/verify/{reference}")
        assert resp.status_code == 200, resp.text
        return resp.json()["data"]

    def wait_final(self, reference: str, timeout: float = 5.0) -> dict:
        return wait_until(lambda: (d := self.verify(reference))["status"] in FINAL and d,
                          timeout, what=f"{reference} final")

    def page(self, url: str, form: dict | None = None):
        if form is None:
            return self.http.get(url, timeout=5, allow_redirects=False)
        return self.http.post(url, data=form, timeout=5, allow_redirects=False)

    def sim(self, method: str, path: str, **kw):
        return self.http.request(method, f"{self.base}/_sim{path}", timeout=5, **kw)

    def close(self) -> None:
        self.http.close()
