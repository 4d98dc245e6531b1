"""Helpers for the Daraja simulator tests: a callback receiver keeping exact bodies, a
client speaking Daraja's API, and request builders written from providers.md 4."""
from __future__ import annotations

import base64
import json
import threading
from datetime import datetime, timedelta, timezone

from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from tests.simulators.support import Served

EAT = timezone(timedelta(hours=3))
SHORTCODE = "174379"
PASSKEY = "bfb279f9aa9bdbcf158e97dd71a467cd2e0c893059b10f78e6b72ada1ed2c919"
KEY, SECRET = "ckSimTest0001", "secret-0001"
FAST = {"delay_seconds": 0.2, "late_delay_seconds": 0.8,
        "mpesa_ke": {"immediate_delay_seconds": 0.0, "callback_delay_seconds": 0.02,
                     "repeat_interval_seconds": 0.05, "reversal_delay_seconds": 0.1,
                     "callback_timeout_seconds": 2.0}}
STEM = "2547080011"                      # a valid Safaricom number minus its magic digits


def stamp(at: datetime | None = None) -> str:
    return (at or datetime.now(EAT)).astimezone(EAT).strftime("%Y%m%d%H%M%S")


def password(ts: str, shortcode: str = SHORTCODE, passkey: str = PASSKEY) -> str:
    return base64.b64encode(f"{shortcode}{passkey}{ts}".encode()).decode()


def basic(key: str = KEY, secret: str = SECRET) -> dict:
    return {"Authorization": "Basic " + base64.b64encode(f"{key}:{secret}".encode()).decode()}


def push_body(magic: str = "01", callback: str = "http://127.0.0.1:9/cb", **over) -> dict:
    ts = stamp()
    phone = STEM + magic
    body = {"BusinessShortCode": SHORTCODE, "Password": password(ts), "Timestamp": ts,
            "TransactionType": "CustomerPayBillOnline", "Amount": 10, "PartyA": phone,
            "PartyB": SHORTCODE, "PhoneNumber": phone, "CallBackURL": callback,
            "AccountReference": "Order42", "TransactionDesc": "Payment"}
    body.update(over)
    return body


def query_body(crid: str) -> dict:
    ts = stamp()
    return {"BusinessShortCode": SHORTCODE, "Password": password(ts), "Timestamp": ts,
            "CheckoutRequestID": crid}


class RawReceiver:
    """Records every POST (exact body bytes); answers 200."""

    def __init__(self):
        self.calls: list[dict] = []
        self._lock = threading.Lock()
        self._served = Served(make_server("127.0.0.1", 0, self._app, threaded=True))
        self.url = self._served.url + "/webhooks/mpesa_ke/tok"

    @Request.application
    def _app(self, request: Request) -> Response:
        body = request.get_data()
        with self._lock:
            self.calls.append({"body": body, "json": json.loads(body or b"null"),
                               "headers": dict(request.headers)})
        return Response("ok")

    def stk(self, crid: str) -> list[dict]:
        with self._lock:
            return [c for c in self.calls if "Body" in (c["json"] or {}) and
                    c["json"]["Body"]["stkCallback"]["CheckoutRequestID"] == crid]

    def results(self, ocid: str) -> list[dict]:
        with self._lock:
            return [c for c in self.calls if "Result" in (c["json"] or {}) and
                    c["json"]["Result"]["OriginatorConversationID"] == ocid]

    def stop(self) -> None:
        self._served.stop()
