"""Idempotency-Key on POST: replay, reuse with another body, scope, errors not stored,
concurrency, purge."""
import hashlib
import json
import threading
import time
from datetime import timedelta

import pytest
import requests

from checkout.core.timeutil import utcnow
from checkout.extensions import db
from checkout.gateways import get_gateway
from checkout.gateways.base import RefundResult
from checkout.jobs.retention import purge_idempotency_records
from checkout.models import ApiKey, Checkout, Event, IdempotencyRecord, Refund
from tests.factories import add_payment, checkout_body
from tests.fixtures_runtime import ServerThread


def test_same_key_same_body_replays_the_first_response(api, counts):
    first = api.post("/checkouts", checkout_body(), key="order-A-1001")
    assert first.status_code == 201 and "Idempotent-Replayed" not in first.headers
    before = counts()
    again = api.post("/checkouts", checkout_body(), key="order-A-1001")
    assert again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json == first.json
    assert counts() == before


def test_replay_even_after_the_order_was_paid(api):
    first = api.post("/checkouts", checkout_body(), key="k1")
    add_payment(first.json["id"], outcome="succeeded")
    again = api.post("/checkouts", checkout_body(), key="k1")
    assert again.status_code == 201 and again.json["id"] == first.json["id"]
    assert again.json["status"] == "open"  # the first response, as it was
    fresh = api.post("/checkouts", checkout_body(), key="k2")
    assert fresh.status_code == 409 and fresh.json["error"]["code"] == "order_already_paid"


@pytest.mark.parametrize("second", [
    checkout_body(amount=9999),                 # would create another checkout
    checkout_body(order_id="B-2"),
    checkout_body(currency="USD", amount=100),
])
def test_same_key_other_body_is_409_and_changes_nothing(api, counts, second):
    first = api.post("/checkouts", checkout_body(), key="dup")
    before = counts()
    r = api.post("/checkouts", second, key="dup")
    assert r.status_code == 409
    assert r.json["error"]["code"] == "idempotency_key_reused"
    assert r.json["error"]["param"] == "Idempotency-Key"
    assert counts() == before
    assert db.session.get(Checkout, first.json["id"]).status == "open"


def test_same_key_on_another_endpoint_is_409(api):
    cs = api.post("/checkouts", checkout_body(), key="k").json["id"]
    r = api.post(f"/checkouts/{cs}/cancel", key="k")
    assert r.status_code == 409 and r.json["error"]["code"] == "idempotency_key_reused"
    assert db.session.get(Checkout, cs).status == "open"


def test_errors_are_not_stored(api, counts):
    before = counts()
    bad = api.post("/checkouts", checkout_body(return_url="https://evil.example/"), key="fix-me")
    assert bad.status_code == 400
    assert counts() == before
    good = api.post("/checkouts", checkout_body(), key="fix-me")
    assert good.status_code == 201 and "Idempotent-Replayed" not in good.headers


def test_keys_are_scoped_per_api_key(api, other_api):
    a = api.post("/checkouts", checkout_body(), key="shared")
    b = other_api.post("/checkouts", checkout_body(return_url="https://other.example/x"),
                       key="shared")
    assert (a.status_code, b.status_code) == (201, 201)
    assert a.json["id"] != b.json["id"] and "Idempotent-Replayed" not in b.headers


@pytest.mark.parametrize("key", ["", "x" * 256, "clé"])
def test_invalid_key_is_400(api, counts, key):
    before = counts()
    r = api.post("/checkouts", checkout_body(), headers={"Idempotency-Key": key})
    assert r.status_code == 400 and r.json["error"]["code"] == "idempotency_key_invalid"
    assert counts() == before


def test_cancel_and_confirm_replay(api):
    cs = api.post("/checkouts", checkout_body()).json["id"]
    first = api.post(f"/checkouts/{cs}/cancel", key="c1")
    again = api.post(f"/checkouts/{cs}/cancel", key="c1")
    assert again.headers["Idempotent-Replayed"] == "true" and again.json == first.json
    cs2 = api.post("/checkouts", checkout_body(order_id="C-2")).json["id"]
    pay = add_payment(cs2, "cod")
    c1 = api.post(f"/payments/{pay}/confirm", key="p1")
    c2 = api.post(f"/payments/{pay}/confirm", key="p1")
    assert c2.headers["Idempotent-Replayed"] == "true" and c1.json == c2.json


def test_refund_replay_does_not_refund_twice(api, monkeypatch):
    calls = []

    def refund(self, account, ref, amount, currency, reason, refund_id, receipt=None):
        calls.append(refund_id)
        return RefundResult(status="succeeded")
    monkeypatch.setattr(type(get_gateway("feexpay")), "refund", refund)
    monkeypatch.setattr(type(get_gateway("feexpay")), "supports_refund", True)
    cs = api.post("/checkouts", checkout_body()).json["id"]
    pay = add_payment(cs, outcome="succeeded")
    first = api.post("/refunds", {"payment": pay, "amount": 1000}, key="r1")
    again = api.post("/refunds", {"payment": pay, "amount": 1000}, key="r1")
    assert first.status_code == again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true" and again.json == first.json
    assert len(calls) == 1 and db.session.query(Refund).count() == 1


def test_a_key_still_in_progress_is_409_in_use(api, counts):
    key_id = db.session.execute(db.select(ApiKey.id)).scalar_one()
    body = json.dumps({"payment": "pay_x"}).encode()
    digest = hashlib.sha256(b"POST /api/v1/refunds\n" + body).hexdigest()
    db.session.add(IdempotencyRecord(api_key_id=key_id, key="busy", request_hash=digest,
                                     status_code=0, response_body=""))
    db.session.commit()
    before = counts()
    r = api.post("/refunds", raw=body, key="busy", headers={"Content-Type": "application/json"})
    assert r.status_code == 409 and r.json["error"]["code"] == "idempotency_key_in_use"
    assert r.headers["Retry-After"] == "1"
    assert counts() == before


def test_concurrent_requests_with_one_key_have_one_effect(app, merchant):
    results, barrier = [], threading.Barrier(6)

    def create(i):
        barrier.wait()
        r = requests.post(server.url + "/api/v1/checkouts", timeout=20,
                          headers={**merchant.auth, "Idempotency-Key": "same"},
                          json=checkout_body(order_id="K-1"))
        results.append((r.status_code, r.headers.get("Idempotent-Replayed"), r.text))

    with ServerThread(app) as server:
        threads = [threading.Thread(target=create, args=(i,)) for i in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
    db.session.rollback()
    assert db.session.query(Checkout).count() == 1
    assert db.session.query(IdempotencyRecord).count() == 1
    statuses = sorted(s for s, _, _ in results)
    assert statuses == [201] * 6, results
    assert len({text for _, _, text in results}) == 1
    assert sum(1 for _, replayed, _ in results if replayed is None) == 1
    assert db.session.query(Event).count() == 0


def test_concurrent_refunds_with_one_key_call_the_gateway_once(app, merchant, monkeypatch):
    calls = []

    def refund(self, account, ref, amount, currency, reason, refund_id, receipt=None):
        calls.append(refund_id)
        time.sleep(0.3)
        return RefundResult(status="succeeded")
    monkeypatch.setattr(type(get_gateway("feexpay")), "refund", refund)
    monkeypatch.setattr(type(get_gateway("feexpay")), "supports_refund", True)
    client = app.test_client()
    cs = client.post("/api/v1/checkouts", json=checkout_body(), headers=merchant.auth).json["id"]
    pay = add_payment(cs, outcome="succeeded")
    results, barrier = [], threading.Barrier(4)

    def post():
        barrier.wait()
        r = requests.post(server.url + "/api/v1/refunds", timeout=20, json={"payment": pay},
                          headers={**merchant.auth, "Idempotency-Key": "refund-once"})
        results.append((r.status_code, r.json()))

    with ServerThread(app) as server:
        threads = [threading.Thread(target=post) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
    assert len(calls) == 1
    db.session.rollback()
    assert db.session.query(Refund).count() == 1
    codes = [body["error"]["code"] if status == 409 else status for status, body in results]
    assert codes.count(201) >= 1 and set(codes) <= {201, "idempotency_key_in_use"}, results


def test_purge_keeps_a_day_of_records(api):
    api.post("/checkouts", checkout_body(), key="old")
    api.post("/checkouts", checkout_body(order_id="N-1"), key="new")
    db.session.execute(db.update(IdempotencyRecord).where(IdempotencyRecord.key == "old")
                       .values(created_at=utcnow() - timedelta(hours=49)))
    db.session.commit()
    assert purge_idempotency_records() == 1
    assert db.session.execute(db.select(IdempotencyRecord.key)).scalars().all() == ["new"]
    assert purge_idempotency_records(older_than=timedelta(0)) == 1
