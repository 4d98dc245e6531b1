"""The jobs around deliveries: concurrent runs of one delivery, the sweeper, the purge of
old events."""
import threading
from datetime import timedelta

from checkout.core.timeutil import utcnow
from checkout.extensions import db
from checkout.jobs import sweep as sweeper
from checkout.models import Event, WebhookAttempt, WebhookDelivery
from checkout.redis_store import redis_connection
from checkout.webhooks_out import attempts, jobs
from checkout.webhooks_out.transport import SendResult

from .support import cancel, create_endpoint, deliveries, run_jobs


def test_two_jobs_for_one_delivery_at_once_send_once(app, client, merchant, receiver):
    create_endpoint(client, merchant, receiver.url)
    receiver.script = [("sleep", 0.5)]
    cancel(merchant.id)
    [d] = deliveries()
    results = []

    def run():
        with app.app_context():
            results.append(jobs.deliver(d.id))
            db.session.remove()
    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert sorted(results) == ["skipped", "succeeded"]
    assert len(receiver.requests) == 1


def test_the_sweeper_is_registered_and_leaves_live_jobs_alone(app, client, merchant, receiver):
    assert jobs.sweep_deliveries in app.extensions["checkout.sweepers"]
    assert jobs.purge_events_hourly in app.extensions["checkout.sweepers"]
    app.config["WEBHOOK_SWEEP_GRACE_SECONDS"] = 0
    create_endpoint(client, merchant, receiver.url)
    cancel(merchant.id)                        # its job is queued: the sweeper sees it alive
    assert jobs.sweep_deliveries() == 0
    [d] = deliveries()
    d.next_attempt_at = utcnow() + timedelta(hours=1)   # not due: not the sweeper's business
    db.session.commit()
    redis_connection().flushdb()
    assert jobs.sweep_deliveries() == 0
    d.next_attempt_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    report = sweeper.sweep()
    assert report[jobs.sweep_deliveries.__qualname__] == 1
    run_jobs(app)
    assert [d.status for d in deliveries()] == ["succeeded"] and len(receiver.requests) == 1


def test_the_sweeper_waits_for_the_grace_period(app, client, merchant, receiver, redis_conn):
    create_endpoint(client, merchant, receiver.url)
    cancel(merchant.id)
    redis_conn.flushdb()
    assert jobs.sweep_deliveries() == 0        # due for less than 30 s: its job may be coming
    [d] = deliveries()
    d.next_attempt_at = utcnow() - timedelta(seconds=31)
    db.session.commit()
    assert jobs.sweep_deliveries() == 1


def test_purge_keeps_30_days_and_pending_deliveries(app, client, merchant, receiver,
                                                    redis_conn):
    create_endpoint(client, merchant, receiver.url)
    for _ in range(4):
        cancel(merchant.id)
    run_jobs(app)
    events = db.session.execute(db.select(Event).order_by(Event.created_at)).scalars().all()
    old, old_pending, recent, edge = events
    now = utcnow()
    old.created_at = old_pending.created_at = now - timedelta(days=31)
    edge.created_at = now - timedelta(days=29, hours=23)
    db.session.execute(db.update(WebhookDelivery).where(WebhookDelivery.event_id == old_pending.id)
                       .values(status="pending"))
    db.session.commit()
    app.config["EVENT_RETENTION_DAYS"] = 7     # below the minimum: 30 days apply
    assert jobs.purge_events_hourly() == 1
    assert jobs.purge_events_hourly() == 0     # at most once an hour
    db.session.rollback()
    left = {e.id for e in db.session.execute(db.select(Event)).scalars()}
    assert left == {old_pending.id, recent.id, edge.id}
    assert {d.event_id for d in deliveries()} == left
    orphans = db.session.execute(
        db.select(WebhookAttempt).where(WebhookAttempt.delivery_id.not_in(
            db.select(WebhookDelivery.id)))).scalars().all()
    assert orphans == []
    redis_conn.flushdb()
    app.config["EVENT_RETENTION_DAYS"] = 60
    assert jobs.purge_events_hourly() == 0


def test_endpoint_deleted_or_disabled_during_a_send(app, client, merchant, receiver):
    ep = create_endpoint(client, merchant, receiver.url)
    cancel(merchant.id)
    cancel(merchant.id)
    first, second = deliveries()
    claimed = [attempts.claim(first.id), attempts.claim(second.id)]
    db.session.commit()
    # The merchant disables the endpoint while both are in flight: rows being sent are
    # skipped by the bulk change (no waiting on them), and settled by their attempt.
    resp = client.post(f"/api/v1/webhook_endpoints/{ep['id']}", json={"enabled": False},
                       headers=merchant.auth)
    assert resp.status_code == 200
    attempts.record(claimed[0], SendResult(duration_ms=5, status_code=200, body=""))
    attempts.record(claimed[1], SendResult(duration_ms=5, status_code=500, body=""))
    db.session.commit()
    done = {d.id: d for d in deliveries()}
    assert done[first.id].status == "succeeded"      # it did arrive
    assert (done[second.id].status, done[second.id].last_error) == ("failed",
                                                                    "endpoint disabled")
    cancel(merchant.id)                              # disabled: no new deliveries
    assert len(deliveries()) == 2
    client.post(f"/api/v1/webhook_endpoints/{ep['id']}", json={"enabled": True},
                headers=merchant.auth)
    cancel(merchant.id)
    third = deliveries()[-1]
    claim = attempts.claim(third.id)
    db.session.commit()
    assert client.delete(f"/api/v1/webhook_endpoints/{ep['id']}",
                         headers=merchant.auth).status_code == 200
    attempts.record(claim, SendResult(duration_ms=5, error="read timeout"))
    db.session.commit()
    assert deliveries()[-1].status == "canceled"
