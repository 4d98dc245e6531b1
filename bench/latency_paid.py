"""Benchmark: what a merchant sees at real provider latency. Payments started at a steady
pace on numbers that succeed without a webhook (FeexPay ``05``: only polling finds them),
every provider-API answer 500 ms late (``SIM_LATENCY_MS``), one worker process:
how long after the provider completed each payment do we call it paid?

    .venv/bin/python -m bench.latency_paid [--payments 300] [--within 60] [--latency-ms 500]

The simulator completes a ``05`` payment ``SIM_FEEXPAY_DELAY`` (3 s) after its push
arrived; the first poll is ``FeexPay.poll_schedule[0]`` (3 s) after the push was answered.
The target: 95 % of the payments are ``paid`` within their poll interval plus 5 seconds
of the simulator completing them, i.e. lag = (our completed_at) - (started + 3 s) <= 3 + 5
s (started: when our attempt row was written, before the push; so the lag is an upper
bound).

Needs PostgreSQL (database ``checkout_bench_polls`` is dropped and re-created) and Redis
(db 14 is flushed).
"""
import argparse
import os
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import redis

from checkout.app import create_app
from checkout.core.ids import new_id
from checkout.core.timeutil import utcnow
from checkout.extensions import db
from checkout.gateways.feexpay.adapter import FeexPay
from checkout.models import Checkout, Payment
from checkout.payments.flow import start_payment

from .worker_polls import REDIS_URL, ROOT, _config, fresh_database, start_simulators

SIM_DELAY = 3.0
FIRST_POLL = FeexPay.poll_schedule[0]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--payments", type=int, default=300)
    parser.add_argument("--within", type=float, default=60, help="seconds to start them in")
    parser.add_argument("--latency-ms", type=float, default=500)
    args = parser.parse_args()
    sim, sim_url = start_simulators({"SIM_LATENCY_MS": str(args.latency_ms),
                                     "SIM_FEEXPAY_DELAY": str(SIM_DELAY)})
    worker = None
    try:
        redis.Redis.from_url(REDIS_URL).flushdb()
        config = _config(sim_url)
        app = create_app(config)
        merchant_id = fresh_database(app)
        env = dict(os.environ, CHECKOUT_ENV="test", DATABASE_URL=config["SQLALCHEMY_DATABASE_URI"],
                   REDIS_URL=REDIS_URL, SECRET_KEY="bench", SIMULATOR_URL=sim_url,
                   LOG_LEVEL="WARNING", CHECKOUT_PUBLIC_URL="http://127.0.0.1:9")
        worker = subprocess.Popen([sys.executable, "-m", "checkout.worker"], cwd=ROOT, env=env)

        def start(i):
            with app.app_context():
                cid = new_id("cs")
                db.session.add(Checkout(id=cid, merchant_id=merchant_id, livemode=False,
                                        order_id=f"L-{i}", amount=5000, currency="XOF",
                                        country="BJ", status="open",
                                        expires_at=utcnow() + timedelta(hours=1)))
                db.session.commit()
                start_payment(cid, "mtn_bj", f"+2290190{i:04d}05")   # 05: polling only
                db.session.remove()

        print(f"starting {args.payments} payments over {args.within:.0f} s, provider "
              f"latency {args.latency_ms:.0f} ms...", flush=True)
        began = time.monotonic()
        with ThreadPoolExecutor(16) as pool:
            for i in range(args.payments):
                pool.submit(start, i)
                time.sleep(max(0.0, began + (i + 1) * args.within / args.payments
                               - time.monotonic()))
        deadline = time.monotonic() + 180
        with app.app_context():
            while time.monotonic() < deadline:
                pending = db.session.execute(db.select(db.func.count()).select_from(Payment)
                                             .where(Payment.status == "pending")).scalar_one()
                db.session.rollback()
                if not pending:
                    break
                time.sleep(1)
            rows = db.session.execute(db.select(Payment.status, Payment.created_at,
                                                Payment.completed_at)).all()
        lags = sorted((done - created).total_seconds() - SIM_DELAY
                      for status, created, done in rows if status == "succeeded" and done)
        within = sum(1 for lag in lags if lag <= FIRST_POLL + 5)
        p95 = lags[int(0.95 * (len(lags) - 1))] if lags else float("nan")
        print(f"{len(lags)}/{len(rows)} paid; lag after the provider completed them: "
              f"median {statistics.median(lags):.1f} s, p95 {p95:.1f} s, max {lags[-1]:.1f} s; "
              f"{100 * within / len(rows):.1f} % within poll interval + 5 s "
              f"({FIRST_POLL + 5:.0f} s) - target 95 %", flush=True)
    finally:
        if worker is not None:
            worker.terminate()
            worker.wait(60)
        sim.terminate()
        sim.wait(10)


if __name__ == "__main__":
    main()
