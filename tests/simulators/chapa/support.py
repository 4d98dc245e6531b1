"""Helpers of the Chapa simulator tests, written from docs/providers.md section 2 alone: a
Chapa v1 client (plus the simulator's _sim controls) and a receiver that keeps the raw
bytes of every request (webhook signatures are checked on them)."""
from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from urllib.parse import urlsplit

import requests
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from tests.simulators.support import Served
from tests.waiting import wait_until

DELAY = 0.2
# 10 minutes x 0.0002 = 0.12 s between webhook retries.
FAST = {"delay_seconds": DELAY, "webhook_timeout_seconds": 2.0,
        "chapa": {"time_factor": 0.0002, "webhook_max_attempts": 4}}
ACCOUNT_ID = "k3yL4st12chr"
SECRET_KEY = "CHASECK_TEST-" + "a1B2c3D4e5F6g7H8i9J0" + ACCOUNT_ID
WEBHOOK_SECRET = "simulator-webhook-secret"
TEST_CARDS = ("4200 0000 0000 0000", "4242 4242 4242 4242")


def hmac_hex(secret: str, message: bytes) -> str:
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


class Receiver:
    """Records every request (method, path, query, headers, raw body); answers POSTs
    with ``status_codes`` in turn (the last one repeats), GETs with 200."""

    def __init__(self):
        self.calls: list[dict] = []
        self.status_codes = [200]
        self._lock = threading.Lock()
        self._served = Served(make_server("127.0.0.1", 0, self._app, threaded=True))
        self.url = self._served.url
        self.webhook_url = self.url + "/webhooks/chapa/tok"
        self.callback_url = self.url + "/callback?shop=7"

    @Request.application
    def _app(self, request: Request) -> Response:
        with self._lock:
            call = {"method": request.method, "path": request.path,
                    "query": request.args.to_dict(), "headers": dict(request.headers),
                    "raw": request.get_data(), "at": time.monotonic()}
            self.calls.append(call)
            status = 200
            if request.method == "POST":
                posts = sum(c["method"] == "POST" for c in self.calls)
                status = self.status_codes[min(posts, len(self.status_codes)) - 1]
        return Response("ok", status=status)

    def posts(self, tx_ref: str | None = None) -> list[dict]:
        with self._lock:
            found = [c for c in self.calls if c["method"] == "POST"]
        return [c for c in found if tx_ref is None or json.loads(c["raw"])["tx_ref"] == tx_ref]

    def gets(self, tx_ref: str | None = None) -> list[dict]:
        with self._lock:
            found = [c for c in self.calls if c["method"] == "GET"]
        return [c for c in found if tx_ref is None or c["query"].get("trx_ref") == tx_ref]

    def stop(self) -> None:
        self._served.stop()


class ChapaClient:
    """Talks to the simulator the way a Chapa v1 client would (base URL + ``/v1/...``)."""

    def __init__(self, base: str, key: str | None = SECRET_KEY):
        self.base, self.key = base + "/chapa", key
        self.http = requests.Session()
        self.http.trust_env = False

    def auth(self, key="default") -> dict:
        key = self.key if key == "default" else key
        return {} if key is None else {"Authorization": f"Bearer {key}"}

    def initialize(self, key="default", **fields):
        return self.http.post(f"{self.base}/v1/transaction/initialize", json=fields,
                              headers=self.auth(key), timeout=5)

    def init_ok(self, tx_ref: str, amount="100.50", currency="ETB", **fields) -> str:
        resp = self.initialize(amount=amount, currency=currency, tx_ref=tx_ref, **fields)
        assert resp.status_code == 200, resp.text
        return resp.json()["data"]["checkout_url"]

    def verify(self, tx_ref: str, key="default"):
        return self.http.get(f"{self.base}/v1/transaction/verify/{tx_ref}",
                             headers=self.auth(key), timeout=5)

    def status_of(self, tx_ref: str) -> str:
        return self.verify(tx_ref).json()["data"]["status"]

    def refund(self, tx_ref: str, key="default", **body):
        return self.http.post(f"{self.base}/v1/refund/{tx_ref}", json=body,
                              headers=self.auth(key), timeout=5)

    def page(self, url: str):
        return self.http.get(url, timeout=5)

    def choose(self, url: str, action: str, card: str = TEST_CARDS[0], expiry: str = "12/30",
               cvv: str = "123"):
        form = {"action": action, "card_number": card, "expiry": expiry, "cvv": cvv}
        return self.http.post(url, data=form, allow_redirects=False, timeout=5)

    def pay(self, tx_ref: str, action: str = "succeed", **fields) -> requests.Response:
        """Initialize, then act on the page; the browser is sent back (303)."""
        fields.setdefault("return_url", "https://shop.test/return")
        resp = self.choose(self.init_ok(tx_ref, **fields), action)
        assert resp.status_code == 303, resp.text
        return resp

    def sim(self, method: str, path: str, **kwargs):
        return self.http.request(method, f"{self.base}/_sim{path}", timeout=5, **kwargs)

    def inspect(self, tx_ref: str) -> dict:
        return self.sim("GET", f"/transactions/{tx_ref}").json()

    def put_account(self, account_id: str = ACCOUNT_ID, **fields):
        body = {"secret_key": SECRET_KEY, "webhook_secret": WEBHOOK_SECRET,
                "webhook_url": None, **fields}
        return self.sim("PUT", f"/accounts/{account_id}", json=body)

    def wait_status(self, tx_ref: str, status: str, timeout: float = 5.0) -> dict:
        return wait_until(lambda: (d := self.verify(tx_ref).json()["data"])["status"] == status
                          and d, timeout, what=f"{tx_ref} {status}")

    def close(self) -> None:
        self.http.close()


def path_of(url: str) -> str:
    return urlsplit(url).path
