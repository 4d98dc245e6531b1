"""Benchmark: one worker process keeps serving polls and webhooks while 50 Vodacom C2B
calls hold their requests open (issue 9: a C2B call blocks until the shopper answers).

    .venv/bin/python -m bench.blocking_calls [--blocking 50] [--others 20] [--hold 30]

50 M-Pesa Mozambique payments on numbers ending in ``07`` (the simulator holds each C2B
request ``--hold`` seconds, then succeeds) are started; once all 50 calls are open, 20
FeexPay payments (``01``: paid by webhook or poll) are started, with a merchant webhook
endpoint on this machine. Reported: how long those 20 took to be paid and their
``checkout.paid`` webhooks to arrive while the 50 calls stayed open, then whether the 50
ended paid. One worker process (``python -m checkout.worker``, its default runners).

Needs PostgreSQL (database ``checkout_bench_polls`` is dropped and re-created) and Redis
(db 14 is flushed).
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import redis

from checkout.app import create_app
from checkout.core.ids import new_id
from checkout.core.timeutil import utcnow
from checkout.extensions import db
from checkout.models import Checkout, Payment
from checkout.payments.flow import start_payment
from checkout.webhooks_out.endpoints import create_endpoint

from .worker_polls import REDIS_URL, ROOT, _config, _free_port, fresh_database, start_simulators


def receiver():
    """A merchant endpoint on this machine: the arrival time of each checkout.paid."""
    arrivals = {}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
            if body.get("type") == "checkout.paid":
                arrivals.setdefault(body["data"]["id"], time.monotonic())
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", _free_port()), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, arrivals


def checkout_row(merchant_id, currency, amount, country):
    cid = new_id("cs")
    db.session.add(Checkout(id=cid, merchant_id=merchant_id, livemode=False,
                            order_id=new_id("ord", 10), amount=amount, currency=currency,
                            country=country, status="open",
                            expires_at=utcnow() + timedelta(hours=1)))
    db.session.commit()
    return cid


def statuses(ids):
    rows = db.session.execute(db.select(Payment.status).where(Payment.id.in_(ids))).scalars()
    out = list(rows)
    db.session.rollback()
    return out


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--blocking", type=int, default=50)
    parser.add_argument("--others", type=int, default=20)
    parser.add_argument("--hold", type=float, default=30)
    args = parser.parse_args()
    sim, sim_url = start_simulators({"SIM_MPESA_MZ_LATE_DELAY": str(args.hold),
                                     "SIM_FEEXPAY_DELAY": "1"})
    server, arrivals = receiver()
    worker = None
    try:
        redis.Redis.from_url(REDIS_URL).flushdb()
        config = {**_config(sim_url), "PUSHES_PER_PHONE": 10**9}
        app = create_app(config)
        merchant_id = fresh_database(app)
        env = dict(os.environ, CHECKOUT_ENV="test", DATABASE_URL=config["SQLALCHEMY_DATABASE_URI"],
                   REDIS_URL=REDIS_URL, SECRET_KEY="bench", SIMULATOR_URL=sim_url,
                   LOG_LEVEL="WARNING", CHECKOUT_PUBLIC_URL="http://127.0.0.1:9")
        worker = subprocess.Popen([sys.executable, "-m", "checkout.worker"], cwd=ROOT, env=env)
        with app.app_context():
            create_endpoint(merchant_id, False, f"http://127.0.0.1:{server.server_port}/hook")
            db.session.commit()
            blocking = [start_payment(checkout_row(merchant_id, "MZN", 100000, "MZ"),
                                      "mpesa_mz", f"+25884110{i % 100:02d}07").id
                        for i in range(args.blocking)]
            began = time.monotonic()
            while time.monotonic() - began < 60:
                sent = db.session.execute(db.select(db.func.count()).select_from(Payment).where(
                    Payment.id.in_(blocking), Payment.provider_reference.is_not(None))
                ).scalar_one()
                db.session.rollback()
                if sent == len(blocking):
                    break
                time.sleep(0.2)
            open_after = time.monotonic() - began
            print(f"{sent} C2B calls open after {open_after:.1f} s", flush=True)
            started_at, others = {}, []
            for _ in range(args.others):
                cid = checkout_row(merchant_id, "XOF", 5000, "BJ")
                started_at[cid] = time.monotonic()
                others.append((cid, start_payment(cid, "mtn_bj", "+2290190000001").id))
            paid_at = {}
            while time.monotonic() - began < args.hold and len(paid_at) < len(others):
                for cid, pid in others:
                    if cid not in paid_at and statuses([pid]) == ["succeeded"]:
                        paid_at[cid] = time.monotonic()
                time.sleep(0.1)
            while time.monotonic() - began < args.hold and \
                    len([c for c in started_at if c in arrivals]) < len(others):
                time.sleep(0.1)
            still_open = statuses(blocking).count("pending")
            paid = sorted(paid_at[c] - started_at[c] for c in paid_at)
            hooks = sorted(arrivals[c] - started_at[c] for c in started_at if c in arrivals)
            print(f"while {still_open} C2B calls were still open: {len(paid)}/{len(others)} "
                  f"other payments paid, median {statistics.median(paid):.1f} s, max "
                  f"{paid[-1]:.1f} s after their start; their checkout.paid webhooks "
                  f"{len(hooks)}/{len(others)} delivered, max {hooks[-1]:.1f} s", flush=True)
            deadline = time.monotonic() + args.hold + 60
            while time.monotonic() < deadline and statuses(blocking).count("succeeded") < \
                    len(blocking):
                time.sleep(0.5)
            print(f"then the C2B calls answered: {statuses(blocking).count('succeeded')}/"
                  f"{len(blocking)} paid, {time.monotonic() - began:.0f} s after they were "
                  "sent", flush=True)
    finally:
        if worker is not None:
            worker.terminate()
            worker.wait(60)
        server.shutdown()
        sim.terminate()
        sim.wait(10)


if __name__ == "__main__":
    main()
