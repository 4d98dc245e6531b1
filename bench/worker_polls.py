"""Benchmark: status polls per second through the real worker, on PostgreSQL, against the
FeexPay simulator (its own process, over HTTP), at a chosen provider latency.

    .venv/bin/python -m bench.worker_polls [--payments 2000] [--processes 1]
        [--latency-ms 500] [--concurrency 256] [--seconds 10]

``--payments`` attempts are started through ``payments.flow.start_payment`` with a
"never answers" number (they stay pending), all due at once, and ``--processes`` worker
processes (``checkout.worker.run_worker``: what the supervisor runs, with its poller of
``--concurrency`` threads) poll them with a 1-second interval so there is always more
due than they can do. Then the simulator answers every status call ``--latency-ms``
late (``PUT /_sim/latency``). Polls/s = completed polls (sum of
``payments.poll_attempts``) over ``--seconds`` after a 3-second warm-up. Each poll is a
full one: the claim, two reads, a status call, the next poll's plan. The largest number
of database connections the bench database saw is printed too.

Needs PostgreSQL (database ``checkout_bench_polls`` is dropped and re-created) and Redis
(db 14 is flushed).
"""
import argparse
import cProfile
import os
import socket
import subprocess
import sys
import time
from datetime import timedelta
from urllib.request import urlopen

import psycopg
import redis
import requests
from flask_migrate import upgrade

from checkout.app import create_app
from checkout.core.ids import new_id
from checkout.core.timeutil import utcnow
from checkout.extensions import db
from checkout.gateways.feexpay.adapter import FeexPay
from checkout.merchants.accounts import create_merchant
from checkout.merchants.testmode import register_test_accounts
from checkout.models import Checkout, Merchant, Payment
from checkout.payments.flow import start_payment
from checkout.worker.process import run_worker

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))   # cwd of the children
PG_ADMIN = os.environ.get("BENCH_PG_ADMIN", "postgresql://postgres@127.0.0.1:5432/postgres")
DB_NAME = "checkout_bench_polls"
DB_URL = PG_ADMIN.rsplit("/", 1)[0] + "/" + DB_NAME
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _config(sim_url):
    return {"ENV": "test", "SQLALCHEMY_DATABASE_URI": DB_URL, "REDIS_URL": REDIS_URL,
            "SECRET_KEY": "bench", "SIMULATOR_URL": sim_url, "LOG_LEVEL": "WARNING",
            "CHECKOUT_PUBLIC_URL": "http://127.0.0.1:9",
            # Every payment of the bench pushes to one test number: no per-phone limit.
            "PUSHES_PER_PHONE": 10**9}


def child(sim_url, concurrency):
    """One worker process: the real worker, with a 1-second poll interval."""
    FeexPay.poll_schedule = (1,)
    FeexPay.deadline_seconds = 24 * 3600
    config = {**_config(sim_url), "POLL_CONCURRENCY": concurrency}
    profile = os.environ.get("BENCH_PROFILE")   # a path: write cProfile stats there
    if not profile:
        return run_worker(create_app(config))
    cProfile.runctx("run_worker(create_app(config))", globals(), locals(),
                    f"{profile}.{os.getpid()}")


def fresh_database(app):
    """Drop and re-create the bench database, migrate it, and add a merchant whose test
    accounts are registered with the simulators. Returns the merchant's id."""
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{DB_NAME}"')
    with app.app_context():
        upgrade()
        merchant, _key, _secret = create_merchant("Bench", "bench@example.com", "pw", (), "BJ")
        db.session.commit()
        register_test_accounts(merchant.id)
        merchant_id = merchant.id
        db.session.remove()
    return merchant_id


def start_simulators(env=None):
    """The simulators in their own process on a free port: (process, base URL)."""
    port = _free_port()
    sim_url = f"http://127.0.0.1:{port}"
    sim = subprocess.Popen([sys.executable, "-m", "checkout.simulators", "--port", str(port)],
                           cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                           env=dict(os.environ, **(env or {})))
    for _ in range(100):
        try:
            urlopen(f"{sim_url}/feexpay/_sim/shops/x", timeout=1)
        except Exception as exc:  # noqa: BLE001
            if getattr(exc, "code", None) == 404:
                break
            time.sleep(0.1)
    return sim, sim_url


def setup(app, payments):
    merchant_id = fresh_database(app)
    with app.app_context():
        merchant = db.session.get(Merchant, merchant_id)
        for i in range(payments):
            cid = new_id("cs")
            db.session.add(Checkout(id=cid, merchant_id=merchant.id, livemode=False,
                                    order_id=f"B-{i}", amount=5000, currency="XOF",
                                    country="BJ", status="open",
                                    expires_at=utcnow() + timedelta(hours=2)))
            db.session.commit()
            start_payment(cid, "mtn_bj", "+2290190000004")   # 04: never answers
        db.session.remove()


def connections():
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        return conn.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = %s",
                            (DB_NAME,)).fetchone()[0]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--payments", type=int, default=2000)
    parser.add_argument("--processes", type=int, default=1)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--latency-ms", type=float, default=0)
    parser.add_argument("--concurrency", type=int, default=256)
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args.child, args.concurrency)

    sim, sim_url = start_simulators()
    workers = []
    try:
        redis.Redis.from_url(REDIS_URL).flushdb()
        app = create_app(_config(sim_url))
        print(f"starting {args.payments} payments...", flush=True)
        setup(app, args.payments)
        with app.app_context():
            db.session.execute(db.update(Payment).values(next_poll_at=utcnow(),
                                                         poll_attempts=0))
            db.session.commit()
            db.session.remove()
        requests.put(f"{sim_url}/_sim/latency", json={"latency_ms": args.latency_ms},
                     timeout=5).raise_for_status()
        workers = [subprocess.Popen([sys.executable, "-m", "bench.worker_polls", "--child",
                                     sim_url, "--concurrency", str(args.concurrency)],
                                    cwd=ROOT) for _ in range(args.processes)]

        def polled():
            with app.app_context():
                total = db.session.execute(db.select(db.func.sum(Payment.poll_attempts)))
                value = total.scalar_one() or 0
                db.session.remove()
                return value

        time.sleep(3)
        start_count, started = polled(), time.monotonic()
        peak = 0
        while time.monotonic() - started < args.seconds:
            peak = max(peak, connections())
            time.sleep(0.5)
        done, elapsed = polled() - start_count, time.monotonic() - started
        print(f"{args.processes} worker process(es), {args.payments} pending payments, "
              f"{args.latency_ms:.0f} ms status latency, poller of {args.concurrency}: "
              f"{done / elapsed:.0f} polls/s ({done} polls in {elapsed:.1f} s); "
              f"peak database connections {peak} (this bench's own reader included)",
              flush=True)
    finally:
        for proc in workers:
            proc.terminate()
        for proc in workers:
            proc.wait(60)
        sim.terminate()
        sim.wait(10)


if __name__ == "__main__":
    main()
