"""A worker process started from a fresh interpreter (``python -m checkout.worker``, the
supervisor's own command) that never imports the API still sends merchant webhooks: the
event listener is wired by the factory every process is built on, not by an import."""
import json
import os
import signal
import subprocess
import sys
import threading
import time

import requests
from standardwebhooks import Webhook
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from checkout.payments.flow import start_payment
from checkout.worker.periodic import SchedulerThread
from checkout.worker.process import worker_connection

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class Endpoint:
    """A merchant's webhook endpoint on 127.0.0.1 that keeps what it receives."""

    def __init__(self):
        self.received = []
        self.server = make_server("127.0.0.1", 0, self.wsgi, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hooks"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @Request.application
    def wsgi(self, request):
        self.received.append((dict(request.headers), request.get_data()))
        return Response("ok")


def test_a_fresh_worker_process_pays_and_delivers_the_merchant_webhook(app, live_server,
                                                                       make_merchant, tmp_path):
    endpoint = Endpoint()
    merchant = make_merchant(return_hosts=("shop.example",))
    api = f"{live_server.url}/api/v1"
    hook = requests.post(f"{api}/webhook_endpoints", headers=merchant.auth, timeout=10,
                         json={"url": endpoint.url, "events": ["checkout.paid"]}).json()
    checkout = requests.post(f"{api}/checkouts", headers=merchant.auth, timeout=10,
                             json={"order_id": "FRESH-1", "amount": 5000, "currency": "XOF",
                                   "country": "BJ",
                                   "return_url": "https://shop.example/done"}).json()
    # Ends in 09: the provider succeeds at once; the poll that learns it is due in 1 s.
    payment = start_payment(checkout["id"], "mtn_bj", "+2290190000009")
    assert payment.status == "pending"

    env = dict(os.environ, CHECKOUT_ENV="test", SECRET_KEY="test-secret", LOG_LEVEL="WARNING",
               DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"],
               REDIS_URL=app.config["REDIS_URL"], SIMULATOR_URL=app.config["SIMULATOR_URL"],
               CHECKOUT_PUBLIC_URL=app.config["CHECKOUT_PUBLIC_URL"])
    # -X importtime lists on stderr every module the process imports.
    log = tmp_path / "worker.stderr"
    with log.open("w") as stderr:
        worker = subprocess.Popen([sys.executable, "-X", "importtime", "-m", "checkout.worker"],
                                  cwd=ROOT, env=env, stderr=stderr)
    scheduler = SchedulerThread(["default"], worker_connection(app.config["REDIS_URL"])).start()
    try:
        deadline = time.monotonic() + 30
        while not endpoint.received and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        scheduler.stop()
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=30)
        endpoint.server.shutdown()
    imports = log.read_text()

    errors = [line for line in imports.splitlines() if not line.startswith("import time:")]
    assert endpoint.received, f"no webhook reached the merchant: {errors[-20:]}"
    headers, body = endpoint.received[0]
    Webhook(hook["secret"]).verify(body, {k.lower(): v for k, v in headers.items()})
    event = json.loads(body)
    assert event["type"] == "checkout.paid"
    assert event["data"]["id"] == checkout["id"] and event["data"]["status"] == "paid"
    imported = {line.rsplit("|", 1)[-1].strip() for line in imports.splitlines()
                if line.startswith("import time:")}
    assert "checkout.worker.process" in imported and "checkout.factory" in imported
    assert not {m for m in imported if m.startswith(("checkout.api", "checkout.hosted"))}
