"""Benchmark of issue #3: outgoing webhooks, on PostgreSQL, with the real worker supervisor
(``flask --app wsgi worker --processes 2``) and a local receiver that verifies every
Standard Webhooks signature.

    .venv/bin/python -m bench.webhooks [--events 3000] [--rate 50] [--duration 20]

1. Throughput: ``--events`` paid checkouts are committed while no worker runs (their
   deliveries wait in the queue), then the two worker processes start; events/s is
   measured between the first and the last arrival at the receiver.
2. Latency: with the workers running, checkouts are paid at ``--rate`` per second for
   ``--duration`` seconds; the delay from each payment's commit to the arrival of its
   ``checkout.paid`` webhook is reported (p50/p99; target p99 < 2 s).

Needs PostgreSQL (database ``checkout_bench_webhooks`` is dropped and re-created) and
Redis (db 13 is flushed).
"""
import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import threading
import time
from urllib.request import urlopen

import psycopg
import redis
from flask_migrate import upgrade

from checkout.app import create_app
from checkout.core.ids import new_id
from checkout.core.timeutil import utcnow
from checkout.events import add_listener
from checkout.extensions import db
from checkout.gateways.base import GatewayResult
from checkout.merchants.accounts import create_merchant
from checkout.models import Checkout, GatewayAccount, Payment
from checkout.payments import service
from checkout.webhooks_out.endpoints import create_endpoint

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))   # cwd of the children
PG_ADMIN = os.environ.get("BENCH_PG_ADMIN", "postgresql://postgres@127.0.0.1:5432/postgres")
DB_NAME = "checkout_bench_webhooks"
DB_URL = PG_ADMIN.rsplit("/", 1)[0] + "/" + DB_NAME
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/13")
RECEIVER_PORT = int(os.environ.get("BENCH_RECEIVER_PORT", "8078"))
ENV = dict(os.environ, DATABASE_URL=DB_URL, REDIS_URL=REDIS_URL, CHECKOUT_ENV="development",
           CHECKOUT_ENCRYPTION_KEY="bench-webhooks-key", LOG_LEVEL="WARNING")


def results():
    with urlopen(f"http://127.0.0.1:{RECEIVER_PORT}/results", timeout=10) as resp:
        return json.loads(resp.read())


# -- set-up ------------------------------------------------------------------------------

def setup():
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {DB_NAME}")
    os.environ.update(ENV)
    redis.Redis.from_url(REDIS_URL).flushdb()
    app = create_app()
    ctx = app.app_context()
    ctx.push()
    upgrade()
    db.metadata.create_all(db.engine, checkfirst=True)   # tables newer than the migration
    merchant, _, _ = create_merchant("Bench Shop", "bench@shop.example", "bench-password-1",
                                     ["shop.example"], "BJ")
    _, secret = create_endpoint(merchant.id, False, f"http://127.0.0.1:{RECEIVER_PORT}/hooks")
    db.session.commit()
    return app, merchant.id, secret


def paid_checkout(merchant_id, account_id):
    """One checkout paid through the payment services (cash on delivery), committed.
    Returns (event id, commit time)."""
    now = utcnow()
    checkout = Checkout(id=new_id("cs"), merchant_id=merchant_id, livemode=False,
                        order_id=new_id("ord", 12), amount=5000, currency="XOF", status="open",
                        expires_at=now.replace(year=now.year + 1), created_at=now,
                        updated_at=now)
    db.session.add(checkout)
    db.session.flush()
    payment = Payment(id=new_id("pay"), checkout_id=checkout.id, merchant_id=merchant_id,
                      livemode=False, gateway="cod", gateway_account_id=account_id,
                      method="cod", amount=5000, currency="XOF")
    service.begin_attempt(checkout.id, payment, source="bench")
    service.apply_result(payment.id, GatewayResult(status="succeeded", amount=5000,
                                                   currency="XOF"), "bench")
    event_id = _last_event.id
    db.session.commit()
    return event_id, time.time()


_last_event = threading.local()   # set by an event listener (add_listener), per driver thread


def wait_for(ids, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = results()
        if all(i in got["arrivals"] for i in ids):
            return got
        time.sleep(0.2)
    got = results()
    missing = [i for i in ids if i not in got["arrivals"]]
    raise SystemExit(f"{len(missing)} webhooks never arrived (e.g. {missing[:3]})")


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=3000)
    parser.add_argument("--rate", type=float, default=50)
    parser.add_argument("--duration", type=float, default=20)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--drivers", type=int, default=4)
    args = parser.parse_args()

    app, merchant_id, secret = setup()
    add_listener(app, lambda event: setattr(_last_event, "id", event.id))
    account_id = db.session.execute(db.select(GatewayAccount.id).where(
        GatewayAccount.merchant_id == merchant_id, GatewayAccount.gateway == "cod")).scalar_one()

    receiver = subprocess.Popen([sys.executable, "-m", "bench.webhook_receiver", secret],
                                cwd=ROOT)
    workers = None
    try:
        time.sleep(0.5)
        # 1. Throughput: a backlog, then the workers.
        t0 = time.monotonic()
        backlog = [paid_checkout(merchant_id, account_id)[0] for _ in range(args.events)]
        made = time.monotonic() - t0
        workers = subprocess.Popen(
            [os.path.join(ROOT, ".venv/bin/flask"), "--app", "wsgi", "worker", "--processes",
             str(args.processes)], cwd=ROOT, env=ENV, start_new_session=True)
        got = wait_for(backlog, timeout=600)
        times = sorted(got["arrivals"][i] for i in backlog)
        throughput = (len(times) - 1) / (times[-1] - times[0])

        # 2. Latency at a steady payment rate, workers running: payments are committed
        # by --drivers threads (one is not enough at 50/s on a small box), each taking
        # every --drivers-th slot of the schedule.
        sent = {}
        interval = 1 / args.rate
        n = int(args.rate * args.duration)
        start = time.monotonic() + 0.2

        def drive(first):
            with app.app_context():
                for k in range(first, n, args.drivers):
                    delay = start + k * interval - time.monotonic()
                    if delay > 0:
                        time.sleep(delay)
                    event_id, committed = paid_checkout(merchant_id, account_id)
                    sent[event_id] = committed
                db.session.remove()
        drivers = [threading.Thread(target=drive, args=(i,)) for i in range(args.drivers)]
        for t in drivers:
            t.start()
        for t in drivers:
            t.join()
        achieved = n / (time.monotonic() - start)
        got = wait_for(list(sent), timeout=120)
        lat = [got["arrivals"][i] - t for i, t in sent.items()]
        report = {
            "database": "postgresql", "worker_processes": args.processes,
            "cpus": os.cpu_count(), "load_average_1m": round(os.getloadavg()[0], 2),
            "throughput": {"events": args.events, "events_per_s": round(throughput, 1),
                           "backlog_created_per_s": round(args.events / made, 1)},
            "latency": {"payments": n, "target_rate_per_s": args.rate,
                        "achieved_rate_per_s": round(achieved, 1),
                        "p50_ms": round(statistics.median(lat) * 1000, 1),
                        "p99_ms": round(pct(lat, 99) * 1000, 1),
                        "max_ms": round(max(lat) * 1000, 1)},
            "bad_signatures": len(got["bad"]),
        }
        print(json.dumps(report, indent=2))
    finally:
        if workers is not None:
            os.killpg(workers.pid, signal.SIGTERM)
            workers.wait(60)
        receiver.terminate()
        receiver.wait(10)
        db.session.remove()
        db.engine.dispose()


if __name__ == "__main__":
    main()
