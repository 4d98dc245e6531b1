"""Helpers for the simulator tests: servers in threads, a webhook receiver, a FeexPay client."""
from __future__ import annotations

import json
import threading
import time

import requests
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from tests.waiting import wait_until

DELAY = 0.2
FAST = {"delay_seconds": DELAY, "late_delay_seconds": 0.8, "webhook_timeout_seconds": 2.0,
        "webhook_retries": 2, "webhook_retry_delay_seconds": 0.1}
SHOP_ID, API_KEY = "nGLq7rMBFBVbpuc", "fp_test_key_1"
# One valid payer number per country, minus its last two (magic) digits: providers.md 1.8.
PHONE_STEM = {"BJ": "22901660000", "TG": "228900000", "CI": "22507000000", "CG": "2420600000",
              "SN": "2217700000", "BF": "226700000", "ML": "223700000"}
COUNTRY = {"mtn": "BJ", "moov": "BJ", "celtiis_bj": "BJ", "coris": "BJ", "togocom_tg": "TG",
           "moov_tg": "TG", "mtn_ci": "CI", "moov_ci": "CI", "orange_ci": "CI", "wave_ci": "CI",
           "mtn_cg": "CG", "orange_sn": "SN", "free_sn": "SN", "wave_sn": "SN", "moov_bf": "BF",
           "orange_bf": "BF", "wave_bf": "BF", "orange_ml": "ML", "mobicash_ml": "ML"}


def phone(network: str, magic: str = "01") -> str:
    return PHONE_STEM[COUNTRY[network]] + magic


class Served:
    """A WSGI app on a real 127.0.0.1 port, in a daemon thread."""

    def __init__(self, server):
        self.server = server
        self.url = f"http://127.0.0.1:{server.server_port}"
        self.thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)


class Receiver:
    """Records every POST it gets; answers ``status_code`` (or runs ``on_request`` first)."""

    def __init__(self):
        self.calls: list[dict] = []
        self.status_code = 200
        self.on_request = None
        self._lock = threading.Lock()
        self._served = Served(make_server("127.0.0.1", 0, self._app, threaded=True))
        self.url = self._served.url + "/webhooks/feexpay"

    @Request.application
    def _app(self, request: Request) -> Response:
        call = {"path": request.path, "headers": dict(request.headers),
                "json": json.loads(request.get_data() or b"null"), "at": time.monotonic()}
        if self.on_request is not None:
            call["observed"] = self.on_request(call)
        with self._lock:
            self.calls.append(call)
        return Response("ok", status=self.status_code)

    def for_ref(self, reference: str) -> list[dict]:
        with self._lock:
            return [c for c in self.calls if (c["json"] or {}).get("reference") == reference]

    def stop(self) -> None:
        self._served.stop()


class FeexPayClient:
    """Talks to the simulator the way a FeexPay v2 client would (plus the _sim controls)."""

    def __init__(self, base: str, shop: str = SHOP_ID, key: str | None = API_KEY):
        self.base, self.shop, self.key = base + "/feexpay", shop, key
        self.http = requests.Session()
        self.http.trust_env = False

    def auth(self, key: str | None = "default") -> dict:
        key = self.key if key == "default" else key
        return {} if key is None else {"Authorization": f"Bearer {key}"}

    def pay(self, network: str, number: str | None = None, amount=1000, key="default", **extra):
        body = {"shop": self.shop, "amount": amount,
                "phoneNumber": number if number is not None else phone(network), **extra}
        return self.http.post(f"{self.base}/api/transactions/public/requesttopay/{network}",
                              json=body, headers=self.auth(key), timeout=5)

    def pay_ok(self, network: str, magic: str = "01", **extra) -> str:
        resp = self.pay(network, phone(network, magic), **extra)
        assert resp.status_code == 200, resp.text
        return resp.json()["reference"]

    def status(self, reference: str, key="default"):
        return self.http.get(f"{self.base}/api/transactions/public/single/status/{reference}",
                             headers=self.auth(key), timeout=5)

    def status_of(self, reference: str) -> dict:
        body = self.status(reference).json()
        return body.get("data", body)

    def wait_final(self, reference: str, timeout: float = 5.0) -> dict:
        return wait_until(lambda: (s := self.status_of(reference))["status"]
                          in ("SUCCESSFUL", "FAILED") and s, timeout,
                          what=f"{reference} final")

    def sim(self, method: str, path: str, **kwargs):
        return self.http.request(method, f"{self.base}/_sim{path}", timeout=5, **kwargs)

    def put_shop(self, shop: str = SHOP_ID, **fields):
        body = {"api_key": API_KEY, "webhook_url": None, "networks": None, **fields}
        return self.sim("PUT", f"/shops/{shop}", json=body)

    def close(self) -> None:
        self.http.close()
