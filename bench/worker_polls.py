"""Benchmark: status polls per second through the real worker, on PostgreSQL, against the
FeexPay simulator (its own process, over HTTP).

    .venv/bin/python -m bench.worker_polls [--payments 1000] [--processes 1] [--seconds 10]

``--payments`` attempts are started through ``payments.flow.start_payment`` with a
"never answers" number (they stay pending), their polls are queued at once, and
``--processes`` worker processes (``checkout.worker.CheckoutWorker``, the class the
supervisor runs) poll them with a 1-second interval so the queue never runs dry; RQ's
scheduler runs here. Polls/s = completed polls (sum of ``payments.poll_attempts``) over
``--seconds`` after a 3-second warm-up. Each poll is a full one: two reads, a status call
to the simulator, ``apply_result`` under its row locks, the reschedule (``rq.Retry``).

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
from flask_migrate import upgrade

from checkout.app import create_app
from checkout.core.ids import new_id
from checkout.core.timeutil import utcnow
from checkout.extensions import db
from checkout.gateways.feexpay.adapter import FeexPay
from checkout.jobs.payments import poll_payment
from checkout.jobs.queue import ensure_job, get_queue, poll_job_id
from checkout.merchants.accounts import create_merchant
from checkout.merchants.testmode import register_test_accounts
from checkout.models import Checkout, Payment
from checkout.payments.flow import start_payment
from checkout.worker.periodic import SchedulerThread
from checkout.worker.process import run_worker, worker_connection

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


def child(sim_url):
    """One worker process: the real worker, with a 1-second poll interval."""
    FeexPay.poll_schedule = (1,)
    profile = os.environ.get("BENCH_PROFILE")   # a path: write cProfile stats there
    if not profile:
        return run_worker(create_app(_config(sim_url)))
    cProfile.runctx("run_worker(create_app(_config(sim_url)))", globals(), locals(),
                    f"{profile}.{os.getpid()}")


def setup(app, payments):

    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{DB_NAME}"')
    with app.app_context():
        upgrade()
        db.create_all()   # tables newer than the migration, if any
        merchant, _key, _secret = create_merchant("Bench", "bench@example.com", "pw", (), "BJ")
        db.session.commit()
        register_test_accounts(merchant.id)
        for i in range(payments):
            cid = new_id("cs")
            db.session.add(Checkout(id=cid, merchant_id=merchant.id, livemode=False,
                                    order_id=f"B-{i}", amount=5000, currency="XOF",
                                    country="BJ", status="open",
                                    expires_at=utcnow() + timedelta(hours=2)))
            db.session.commit()
            start_payment(cid, "mtn_bj", "+2290190000004")   # 04: never answers
        db.session.remove()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--payments", type=int, default=1000)
    parser.add_argument("--processes", type=int, default=1)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args.child)



    port = _free_port()
    sim_url = f"http://127.0.0.1:{port}"
    sim = subprocess.Popen([sys.executable, "-m", "checkout.simulators", "--port", str(port)],
                           cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    workers = []
    scheduler = None
    try:
        for _ in range(100):
            try:
                urlopen(f"{sim_url}/feexpay/_sim/shops/x", timeout=1)
            except Exception as exc:  # noqa: BLE001
                if getattr(exc, "code", None) == 404:
                    break
                time.sleep(0.1)
        redis.Redis.from_url(REDIS_URL).flushdb()
        app = create_app(_config(sim_url))
        print(f"starting {args.payments} payments...", flush=True)
        setup(app, args.payments)
        conn = worker_connection(REDIS_URL)
        conn.flushdb()                     # drop the flow's own first polls (3 s away)
        with app.app_context():
            ids = list(db.session.execute(db.select(Payment.id)).scalars())
            queue = get_queue(connection=conn)
            for pid in ids:
                ensure_job(poll_payment, pid, job_id=poll_job_id(pid), queue=queue)
            db.session.remove()
        scheduler = SchedulerThread(["default"], conn).start()
        workers = [subprocess.Popen([sys.executable, "-m", "bench.worker_polls", "--child",
                                     sim_url], cwd=ROOT) for _ in range(args.processes)]

        def polled():
            with app.app_context():
                total = db.session.execute(db.select(db.func.sum(Payment.poll_attempts)))
                value = total.scalar_one() or 0
                db.session.remove()
                return value

        time.sleep(3)
        start_count, started = polled(), time.monotonic()
        time.sleep(args.seconds)
        done, elapsed = polled() - start_count, time.monotonic() - started
        print(f"{args.processes} worker process(es), {args.payments} pending payments: "
              f"{done / elapsed:.0f} polls/s ({done} polls in {elapsed:.1f} s)", flush=True)
    finally:
        for proc in workers:
            proc.terminate()
        for proc in workers:
            proc.wait(30)
        if scheduler is not None:
            scheduler.stop()
        sim.terminate()
        sim.wait(10)


if __name__ == "__main__":
    main()
