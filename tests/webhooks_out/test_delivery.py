"""Delivery to a real HTTP receiver: Standard Webhooks headers and signature, the exact
bytes signed are the bytes sent, retries through failures, the attempt log."""
import json
import logging
from datetime import timedelta

import standardwebhooks

from checkout.core.timeutil import utcnow
from checkout.extensions import db
from checkout.models import Event, WebhookEndpoint
from checkout.webhooks_out import jobs
from checkout.webhooks_out.schedule import RETRY_SCHEDULE

from .support import (
    attempts,
    cancel,
    closed_port_url,
    create_endpoint,
    deliveries,
    pay,
    run_jobs,
    verify,
)


def test_a_paid_checkout_reaches_the_endpoint_signed(app, client, merchant, receiver,
                                                     fast, public_receiver):
    endpoint = create_endpoint(client, merchant, receiver.url)
    checkout_id = pay(merchant.id)
    run_jobs(app)

    assert len(receiver.requests) == 1
    req = receiver.requests[0]
    h, body = req["headers"], req["body"]
    event = db.session.execute(db.select(Event).where(Event.object_id == checkout_id,
                                                      Event.type == "checkout.paid")).scalar_one()
    assert h["webhook-id"] == event.id
    assert abs(int(h["webhook-timestamp"]) - utcnow().timestamp()) < 30
    assert h["content-type"] == "application/json"
    assert h["user-agent"].startswith("Checkout-Webhooks/")
    assert verify(endpoint["secret"], h, body)
    # A third-party verifier agrees (and checks the timestamp tolerance).
    payload = standardwebhooks.Webhook(endpoint["secret"]).verify(body, h)
    assert payload["type"] == "checkout.paid"
    assert payload["data"]["id"] == checkout_id and payload["data"]["status"] == "paid"
    assert payload["data"]["updated_at"] and payload["timestamp"].endswith("Z")
    assert payload["data"]["payment"]["status"] == "succeeded"
    assert not verify("whsec_" + "A" * 44, h, body)

    [d] = deliveries()
    assert (d.status, d.attempts, d.next_attempt_at, d.redelivery) == ("succeeded", 1, None, False)
    [a] = attempts(d.id)
    assert a.finished and a.succeeded and a.status_code == 200 and a.error is None
    assert a.duration_ms is not None and a.response_body == '{"ok":true}'


def test_the_signature_covers_the_exact_bytes(app, client, merchant, receiver, fast):
    endpoint = create_endpoint(client, merchant, receiver.url)
    pay(merchant.id)
    run_jobs(app)
    req = receiver.requests[0]
    tampered = req["body"].replace(b'"paid"', b'"open"', 1)
    assert tampered != req["body"]
    assert verify(endpoint["secret"], req["headers"], req["body"])
    assert not verify(endpoint["secret"], req["headers"], tampered)
    other_id = dict(req["headers"], **{"webhook-id": "evt_forged"})
    assert not verify(endpoint["secret"], other_id, req["body"])


def test_retries_through_500_timeout_and_redirect_then_succeeds(app, client, merchant,
                                                                receiver, fast):
    endpoint = create_endpoint(client, merchant, receiver.url)
    receiver.script = [500, ("sleep", 1.5), ("redirect", 302), 200]
    pay(merchant.id)
    run_jobs(app)

    assert len(receiver.requests) == 4
    assert len(set(receiver.ids())) == 1           # the same webhook-id on every retry
    assert len({r["body"] for r in receiver.requests}) == 1
    assert all(verify(endpoint["secret"], r["headers"], r["body"]) for r in receiver.requests)
    [d] = deliveries()
    assert d.status == "succeeded" and d.attempts == 4
    log = attempts(d.id)
    assert [a.status_code for a in log] == [500, None, 302, 200]
    assert [a.succeeded for a in log] == [False, False, False, True]
    assert log[1].error == "read timeout"
    assert "not followed" in log[2].error
    assert all(a.finished for a in log)


def test_connection_refused_until_the_schedule_ends(app, client, merchant, fast):
    create_endpoint(client, merchant, closed_port_url())
    pay(merchant.id)
    run_jobs(app)
    [d] = deliveries()
    assert d.status == "failed" and d.attempts == len(app.config["WEBHOOK_RETRY_SCHEDULE"])
    assert d.next_attempt_at is None and d.last_error == "connection refused"
    assert {a.error for a in attempts(d.id)} == {"connection refused"}
    ep = db.session.get(WebhookEndpoint, d.endpoint_id)
    assert ep.failing_since is not None and ep.enabled     # not yet three days


def test_default_schedule_spaces_the_retries(app, client, merchant, receiver):
    create_endpoint(client, merchant, receiver.url)
    receiver.script = [503, 503, 503]
    pay(merchant.id)
    [d] = deliveries()
    assert jobs.deliver(d.id) == "failed"
    d = deliveries()[0]
    wait = (d.next_attempt_at - utcnow()).total_seconds()
    assert 3 < wait <= 5
    assert jobs.deliver(d.id) == "skipped"         # an early (duplicate) job does nothing
    assert len(receiver.requests) == 1
    # Pretend the wait passed: the third attempt comes five minutes (+ jitter) later.
    d.next_attempt_at = utcnow()
    db.session.commit()
    assert jobs.deliver(d.id) == "failed"
    d = deliveries()[0]
    wait = (d.next_attempt_at - utcnow()).total_seconds()
    assert 290 < wait <= 300 * 1.1 + 1
    assert d.attempts == 2 and d.last_error == "HTTP 503"
    assert RETRY_SCHEDULE[:3] == (0, 5, 300)
    assert 2.9 * 86400 < sum(RETRY_SCHEDULE) < 3.1 * 86400


def test_a_delivery_runs_once_even_if_its_job_runs_twice(app, client, merchant, receiver,
                                                         fast):
    create_endpoint(client, merchant, receiver.url)
    pay(merchant.id)
    [d] = deliveries()
    assert jobs.deliver(d.id) == "succeeded"
    assert jobs.deliver(d.id) == "skipped"
    run_jobs(app)   # the job queued at the commit finds it done
    assert len(receiver.requests) == 1


def test_response_body_is_capped(app, client, merchant, receiver, fast, public_receiver):
    create_endpoint(client, merchant, receiver.url)
    receiver.script = [("body", 500, b"x" * 200_000)]
    pay(merchant.id)
    [d] = deliveries()
    jobs.deliver(d.id)
    [a] = attempts(d.id)
    assert a.status_code == 500 and len(a.response_body.encode()) <= 1024
    assert a.response_body == "x" * 1024


def test_a_2xx_whose_body_stalls_is_a_success(app, client, merchant, receiver,
                                              fast, public_receiver):
    create_endpoint(client, merchant, receiver.url)
    receiver.script = [("stall", 2)]
    pay(merchant.id)
    [d] = deliveries()
    assert jobs.deliver(d.id) == "succeeded"
    [a] = attempts(d.id)
    assert a.status_code == 200 and a.response_body.startswith("a") and a.error is None
    assert a.duration_ms < 1900


def test_only_subscribed_enabled_endpoints_of_the_mode_receive(app, client, merchant,
                                                               make_merchant, receiver, fast):
    all_types = create_endpoint(client, merchant, receiver.url + "?all")
    paid_only = create_endpoint(client, merchant, receiver.url + "?paid",
                                events=["checkout.paid"])
    off = create_endpoint(client, merchant, receiver.url + "?off")
    client.post(f"/api/v1/webhook_endpoints/{off['id']}", json={"enabled": False},
                headers=merchant.auth)
    other = make_merchant(name="Other")
    create_endpoint(client, other, receiver.url + "?other")
    pay(merchant.id)
    cancel(merchant.id)
    run_jobs(app)
    got = sorted((r["path"].split("?")[1], json.loads(r["body"])["type"])
                 for r in receiver.requests)
    assert got == [("all", "checkout.canceled"), ("all", "checkout.paid"),
                   ("paid", "checkout.paid")]
    assert {d.endpoint_id for d in deliveries()} == {all_types["id"], paid_only["id"]}


def test_endpoint_failing_for_three_days_is_disabled(app, client, merchant, receiver, fast,
                                                     caplog):
    endpoint = create_endpoint(client, merchant, receiver.url)
    receiver.script = [500] * 10
    pay(merchant.id)
    [first] = deliveries()
    jobs.deliver(first.id)                                # fails: failing since now
    ep = db.session.get(WebhookEndpoint, endpoint["id"])
    ep.failing_since = utcnow() - timedelta(days=3, seconds=1)
    db.session.commit()
    cancel(merchant.id)                                   # another delivery, pending
    with caplog.at_level(logging.WARNING):
        jobs.deliver(first.id)
    ep = db.session.get(WebhookEndpoint, endpoint["id"])
    db.session.refresh(ep)
    assert not ep.enabled and ep.disabled_reason == "failing" and ep.disabled_at is not None
    assert {d.status for d in deliveries()} == {"failed"}
    assert any("disabled" in r.getMessage() for r in caplog.records)
    shown = client.get(f"/api/v1/webhook_endpoints/{ep.id}", headers=merchant.auth).get_json()
    assert shown["enabled"] is False and shown["disabled_reason"] == "failing"
    # Re-enabled by the merchant: the failure record is cleared, new events flow again.
    client.post(f"/api/v1/webhook_endpoints/{ep.id}", json={"enabled": True},
                headers=merchant.auth)
    receiver.script = []
    pay(merchant.id)
    run_jobs(app)
    assert deliveries()[-1].status == "succeeded"
    db.session.refresh(ep)
    assert ep.enabled and ep.failing_since is None and ep.disabled_reason is None


def test_a_success_clears_the_failure_record(app, client, merchant, receiver, fast):
    endpoint = create_endpoint(client, merchant, receiver.url)
    receiver.script = [500]
    pay(merchant.id)
    run_jobs(app)
    ep = db.session.get(WebhookEndpoint, endpoint["id"])
    assert ep.failing_since is None and ep.last_failure_at is not None
    assert ep.last_success_at is not None
