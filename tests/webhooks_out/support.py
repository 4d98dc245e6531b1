"""Helpers of the outgoing-webhook tests: a real HTTP receiver on 127.0.0.1, an
independent Standard Webhooks verifier, events made through the payment services (with
``tests.factories``), and a way to run the queued jobs with the real worker class."""
import base64
import hashlib
import hmac
import json
import socket
import threading
import time

from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from checkout.extensions import db
from checkout.jobs.queue import get_queue
from checkout.models import WebhookAttempt, WebhookDelivery
from checkout.payments import service
from checkout.worker.process import ThreadWorker, worker_connection
from tests.factories import add_payment, make_checkout

FAST = [0, 0, 0, 0, 0]  # five attempts, no waiting


def verify(secret, headers, body):
    """An independent Standard Webhooks verifier: True if any ``v1`` signature of the
    header matches HMAC-SHA256(base64-decoded secret, "{id}.{timestamp}.{body}")."""
    assert secret.startswith("whsec_")
    key = base64.b64decode(secret[len("whsec_"):])
    signed = headers["webhook-id"].encode() + b"." + headers["webhook-timestamp"].encode() + \
        b"." + body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest())
    given = [part.split(",", 1)[1].encode() for part in headers["webhook-signature"].split(" ")
             if part.startswith("v1,")]
    return any(hmac.compare_digest(expected, g) for g in given)


class Receiver:
    """A merchant endpoint: records every request and answers from ``script`` (one item
    per request: a status code, ``("sleep", seconds)``, ``("stall", seconds)``,
    ``("redirect", status)`` or ``("body", status, bytes)``); 200 once it is used up."""

    def __init__(self):
        self.requests, self.script = [], []
        self.lock = threading.Lock()
        self.server = make_server("127.0.0.1", 0, self.app, threaded=True)
        self.base = f"http://127.0.0.1:{self.server.server_port}"
        self.url = self.base + "/hooks"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.02,),
                                       daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)

    def app(self, environ, start_response):
        req = Request(environ)
        body = req.get_data()
        with self.lock:
            self.requests.append({"headers": {k.lower(): v for k, v in req.headers.items()},
                                  "body": body, "path": req.full_path, "at": time.time()})
            action = self.script.pop(0) if self.script else 200
        if isinstance(action, int):
            resp = Response(b'{"ok":true}', status=action, content_type="application/json")
        elif action[0] == "sleep":
            time.sleep(action[1])
            resp = Response(b"late", status=200)
        elif action[0] == "stall":        # 200 and a first byte, then nothing for a while
            def body(seconds=action[1]):
                yield b"a"
                time.sleep(seconds)
                yield b"b"
            resp = Response(body(), status=200)
        elif action[0] == "redirect":
            resp = Response(b"", status=action[1], headers={"Location": "http://elsewhere/"})
        else:
            resp = Response(action[2], status=action[1])
        return resp(environ, start_response)

    def ids(self):
        return [r["headers"]["webhook-id"] for r in self.requests]

    def payloads(self):
        return [json.loads(r["body"]) for r in self.requests]


def create_endpoint(client, merchant, url, **body):
    """A webhook endpoint created through the API -> its JSON (secret included)."""
    resp = client.post("/api/v1/webhook_endpoints", json={"url": url, **body},
                       headers=merchant.auth)
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()


def closed_port_url():
    """A URL on 127.0.0.1 where nothing listens (connection refused)."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return f"http://127.0.0.1:{port}/hooks"


def pay(merchant_id, livemode=False):
    """A checkout paid through the payment services (cash on delivery, confirmed), in
    one committed transaction: a ``checkout.paid`` event. Returns the checkout id."""
    checkout_id = make_checkout(merchant_id, livemode=livemode, commit=False)
    add_payment(checkout_id, "cod", outcome="succeeded")
    return checkout_id


def cancel(merchant_id, livemode=False):
    """A canceled checkout, in one committed transaction: a ``checkout.canceled`` event.
    Returns the checkout id."""
    checkout_id = make_checkout(merchant_id, livemode=livemode, commit=False)
    service.cancel_checkout(checkout_id, source="test")
    db.session.commit()
    return checkout_id


def deliveries(**filters):
    db.session.rollback()
    q = db.select(WebhookDelivery).order_by(WebhookDelivery.created_at, WebhookDelivery.id)
    for name, value in filters.items():
        q = q.where(getattr(WebhookDelivery, name) == value)
    # Rows other sessions changed: sessions keep loaded attributes after commit.
    return db.session.execute(q.execution_options(populate_existing=True)).scalars().all()


def attempts(delivery_id):
    db.session.rollback()
    return db.session.execute(
        db.select(WebhookAttempt).where(WebhookAttempt.delivery_id == delivery_id)
        .order_by(WebhookAttempt.number)).scalars().all()


def run_jobs(app, max_rounds=200):
    """Run every job queued in Redis, in this process (the worker engineer's
    ThreadWorker in burst mode: each job in its own app context, as in production)."""
    conn = worker_connection(app.config["REDIS_URL"])
    try:
        worker = ThreadWorker([get_queue(connection=conn)], app=app, connection=conn)
        worker.work(burst=True, max_jobs=max_rounds, with_scheduler=False)
    finally:
        conn.connection_pool.disconnect()
    db.session.rollback()
