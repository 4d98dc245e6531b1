"""The worker: jobs in-process inside an app context, failures and hangs contained,
one database session per job."""
import os
import subprocess
import sys
import time

from rq.job import JobStatus
from rq.registry import FailedJobRegistry

from checkout.extensions import db
from checkout.jobs.queue import BLOCKING_QUEUE, get_queue
from checkout.models import Merchant
from tests import tasks
from tests.waiting import wait_until


def test_jobs_run_in_an_app_context(app, worker, redis_conn):
    get_queue().enqueue(tasks.record, 1)
    assert wait_until(lambda: tasks.ran(redis_conn)) == ["checkout:1"]


def test_a_crashing_job_does_not_stop_the_worker(app, worker, redis_conn):
    queue = get_queue()
    crashed = queue.enqueue(tasks.crash)
    queue.enqueue(tasks.record, "after")
    assert wait_until(lambda: tasks.ran(redis_conn)) == ["checkout:after"]
    assert crashed.id in FailedJobRegistry(queue=queue).get_job_ids()


def worker_env(app):
    """The environment of a worker process on this test's database and Redis."""
    env = dict(os.environ)
    env.update(CHECKOUT_ENV="test", DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"],
               REDIS_URL=app.config["REDIS_URL"], SECRET_KEY="test-secret",
               SIMULATOR_URL=app.config["SIMULATOR_URL"],
               CHECKOUT_PUBLIC_URL=app.config["CHECKOUT_PUBLIC_URL"], LOG_LEVEL="WARNING")
    return env


def test_a_hung_job_is_cut_by_its_timeout_in_a_worker_process(app, redis_conn):
    queue = get_queue()
    hung = queue.enqueue(tasks.sleep, 60, job_timeout=1)
    queue.enqueue(tasks.record, "next")
    started = time.monotonic()
    subprocess.run([sys.executable, "-m", "checkout.worker", "--burst"], env=worker_env(app),
                   timeout=30, check=True, capture_output=True)
    assert time.monotonic() - started < 20
    assert tasks.ran(redis_conn) == ["checkout:next"]
    hung.refresh()
    assert hung.get_status() == JobStatus.FAILED
    assert "JobTimeoutException" in hung.latest_result().exc_string


def test_each_job_gets_a_fresh_session(app, worker, redis_conn):
    queue = get_queue()
    queue.enqueue(tasks.leave_transaction_open, "mer_leftbehind")
    queue.enqueue(tasks.session_is_clean)
    assert wait_until(lambda: redis_conn.lrange("test:clean", 0, -1)) == [b"True"]
    db.session.rollback()
    assert db.session.execute(db.select(Merchant).where(
        Merchant.public_id == "mer_leftbehind")).first() is None


def test_one_process_serves_other_jobs_while_fifty_blocking_calls_are_open(app, redis_conn):
    """Fifty initiate calls that block (Vodacom's C2B holds its request ~2 minutes) fill
    the blocking queue's runners; polls and webhooks on the default queue still run at
    once in the same process."""
    blocking = get_queue(BLOCKING_QUEUE)
    for _ in range(50):
        blocking.enqueue(tasks.sleep, 20, job_timeout=60)
    env = worker_env(app) | {"WORKER_BLOCKING_THREADS": "50", "WORKER_THREADS": "2"}
    proc = subprocess.Popen([sys.executable, "-m", "checkout.worker"], env=env)
    try:
        wait_until(lambda: blocking.started_job_registry.count == 50, timeout=20,
                   what="fifty blocking calls open at once")
        queue = get_queue()
        started = time.monotonic()
        for i in range(20):
            queue.enqueue(tasks.record, i)
        wait_until(lambda: len(tasks.ran(redis_conn)) == 20, timeout=10,
                   what="twenty default-queue jobs run")
        took = time.monotonic() - started
        assert blocking.started_job_registry.count == 50    # still all open
        assert took < 5, took
        assert sorted(tasks.ran(redis_conn)) == sorted(f"checkout:{i}" for i in range(20))
    finally:
        proc.terminate()
        proc.kill()
        proc.wait(10)
