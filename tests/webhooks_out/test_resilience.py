"""Nothing is lost: with the real worker and scheduler, after Redis is flushed with
deliveries pending, and after a worker process is killed in the middle of a send."""
import collections
import os
import signal
import subprocess
import sys
import time
from datetime import timedelta

from checkout.core.timeutil import utcnow
from checkout.extensions import db
from checkout.models import Event, WebhookDelivery
from checkout.webhooks_out import jobs
from tests.waiting import wait_until

from .support import attempts, create_endpoint, deliveries, pay, run_jobs, verify

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def all_done():
    return all(d.status == "succeeded" for d in deliveries()) and deliveries()


def test_retries_go_through_the_real_worker_and_scheduler(app, client, merchant, receiver,
                                                          worker):
    app.config.update(WEBHOOK_RETRY_SCHEDULE=[0, 2, 2])
    ep = create_endpoint(client, merchant, receiver.url)
    receiver.script = [500, 502]
    pay(merchant.id)
    worker.run_jobs_until(all_done, timeout=15, what="delivered after two retries")
    assert len(receiver.requests) == 3 and len(set(receiver.ids())) == 1
    times = [r["at"] for r in receiver.requests]
    gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
    assert all(g >= 1 for g in gaps)   # the schedule was respected (RQ keeps whole seconds)
    assert all(verify(ep["secret"], r["headers"], r["body"]) for r in receiver.requests)


def test_redis_flushed_with_deliveries_pending(app, client, merchant, receiver, redis_conn,
                                               request):
    app.config.update(WEBHOOK_RETRY_SCHEDULE=[0, 3600], WEBHOOK_SWEEP_GRACE_SECONDS=0)
    ep = create_endpoint(client, merchant, receiver.url)
    # Two deliveries failed once and wait an hour for their retry...
    receiver.script = [500, 500]
    for _ in range(2):
        pay(merchant.id)
    for d in deliveries():
        assert jobs.deliver(d.id) == "failed"
    # ...four are due now, their jobs queued...
    due = [pay(merchant.id) for _ in range(4)]
    assert redis_conn.dbsize() > 0
    redis_conn.flushdb()                                  # ...and Redis loses everything.
    receiver.requests.clear()

    worker = request.getfixturevalue("worker")            # the sweeper runs every second
    worker.run_jobs_until(lambda: len(deliveries(status="succeeded")) == 4, timeout=15,
                          what="the due deliveries sent again")
    time.sleep(1.5)                                       # a few more sweeps: nothing else
    due_events = {e.id for e in db.session.execute(
        db.select(Event).where(Event.object_id.in_(due))).scalars()}
    assert sorted(receiver.ids()) == sorted(due_events)   # each once, exactly those due
    assert {d.status for d in deliveries()} == {"succeeded", "pending"}

    # An hour later the two retries are due: sent too, with no job left in Redis for them.
    db.session.execute(db.update(WebhookDelivery).where(WebhookDelivery.status == "pending")
                       .values(next_attempt_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    worker.run_jobs_until(all_done, timeout=15, what="the retries sent")
    every_event = {e.id for e in db.session.execute(db.select(Event)).scalars()}
    assert set(receiver.ids()) == every_event and len(every_event) == 6
    assert collections.Counter(receiver.ids()).most_common(1)[0][1] == 1
    assert all(verify(ep["secret"], r["headers"], r["body"]) for r in receiver.requests)


def test_a_worker_killed_mid_delivery(app, client, merchant, receiver, pg_database, redis_url):
    app.config.update(WEBHOOK_SWEEP_GRACE_SECONDS=0)
    ep = create_endpoint(client, merchant, receiver.url)
    receiver.script = [("sleep", 30)]                     # the first request hangs
    pay(merchant.id)
    [d] = deliveries()
    code = (
        "from checkout.app import create_app\n"
        f"app = create_app({{'ENV': 'test', 'SQLALCHEMY_DATABASE_URI': {pg_database!r},\n"
        f"                  'REDIS_URL': {redis_url!r}, 'WEBHOOK_LEASE_SECONDS': 1,\n"
        "                  'WEBHOOK_READ_TIMEOUT': 60})\n"
        "with app.app_context():\n"
        "    from checkout.webhooks_out.jobs import deliver\n"
        f"    deliver({d.id!r})\n")
    proc = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_until(lambda: receiver.requests, 20, what="the worker sending")
    finally:
        os.killpg(proc.pid, signal.SIGKILL)               # dies mid-send
        proc.wait(10)
    [d] = deliveries()
    assert d.status == "pending" and d.attempts == 1
    [a] = attempts(d.id)
    assert not a.finished
    time.sleep(1.1)                                       # its lease runs out

    assert jobs.sweep_deliveries() == 1
    assert jobs.sweep_deliveries() == 0                   # its job is queued: not twice
    run_jobs(app)
    [d] = deliveries()
    assert d.status == "succeeded" and d.attempts == 2
    first, second = attempts(d.id)
    assert first.finished and not first.succeeded and "worker stopped" in first.error
    assert second.succeeded and second.status_code == 200
    assert receiver.ids() == [receiver.ids()[0]] * 2      # at least once, same webhook-id
    assert verify(ep["secret"], receiver.requests[1]["headers"], receiver.requests[1]["body"])
