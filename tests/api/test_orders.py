"""The order rule: one live checkout per order, never paid twice, races decided by the
database (PostgreSQL's partial unique index)."""
import threading
from datetime import timedelta

import requests

from checkout.core.timeutil import utcnow
from checkout.extensions import db
from checkout.models import Checkout, Event
from tests.factories import add_payment, checkout_body
from tests.fixtures_runtime import ServerThread


def test_same_order_same_amount_returns_the_open_checkout(api, counts):
    first = api.post("/checkouts", checkout_body())
    before = counts()
    again = api.post("/checkouts", checkout_body(description="changed"))
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json["id"] == first.json["id"] and again.json["status"] == "open"
    assert counts() == before


def test_other_amount_cancels_the_open_checkout_and_creates_a_new_one(api):
    first = api.post("/checkouts", checkout_body()).json
    second = api.post("/checkouts", checkout_body(amount=7500))
    assert second.status_code == 201 and second.json["id"] != first["id"]
    assert db.session.get(Checkout, first["id"]).status == "canceled"
    events = db.session.execute(db.select(Event.type, Event.object_id)).all()
    assert [(e.type, e.object_id) for e in events] == [("checkout.canceled", first["id"])]


def test_other_currency_also_replaces_it(api):
    first = api.post("/checkouts", checkout_body()).json
    second = api.post("/checkouts", checkout_body(currency="XAF")).json
    assert second["id"] != first["id"] and second["currency"] == "XAF"
    assert db.session.get(Checkout, first["id"]).status == "canceled"


def test_expired_by_time_open_checkout_is_expired_and_replaced(api):
    first = api.post("/checkouts", checkout_body()).json
    db.session.execute(db.update(Checkout).where(Checkout.id == first["id"])
                       .values(expires_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    second = api.post("/checkouts", checkout_body())
    assert second.status_code == 201 and second.json["id"] != first["id"]
    assert db.session.get(Checkout, first["id"]).status == "expired"
    assert db.session.execute(db.select(Event.type)).scalars().all() == ["checkout.expired"]


def test_processing_order_is_409(api, counts):
    first = api.post("/checkouts", checkout_body()).json
    add_payment(first["id"])
    before = counts()
    for amount in (5000, 9000):
        r = api.post("/checkouts", checkout_body(amount=amount))
        assert r.status_code == 409
        assert r.json["error"]["code"] == "order_payment_in_progress"
        assert r.json["error"]["param"] == "order_id"
    assert counts() == before


def test_paid_order_is_409(api, counts):
    first = api.post("/checkouts", checkout_body()).json
    add_payment(first["id"], outcome="succeeded")
    before = counts()
    for amount in (5000, 9000):
        r = api.post("/checkouts", checkout_body(amount=amount))
        assert r.status_code == 409 and r.json["error"]["code"] == "order_already_paid"
    assert counts() == before


def test_failed_attempt_leaves_the_checkout_reusable(api):
    first = api.post("/checkouts", checkout_body()).json
    add_payment(first["id"], outcome="failed")
    again = api.post("/checkouts", checkout_body())
    assert again.status_code == 200 and again.json["id"] == first["id"]


def test_orders_are_per_merchant(api, other_api):
    a = api.post("/checkouts", checkout_body()).json
    b = other_api.post("/checkouts", checkout_body(return_url="https://other.example/x")).json
    assert a["id"] != b["id"]


def test_two_simultaneous_creates_of_one_order_make_one_checkout(app, merchant):
    """Real concurrency on PostgreSQL: threads on one real HTTP server."""
    results, barrier = [], threading.Barrier(6)

    def create(amount):
        barrier.wait()
        r = requests.post(server.url + "/api/v1/checkouts", timeout=20, headers=merchant.auth,
                          json=checkout_body(order_id="RACE-1", amount=amount))
        results.append((r.status_code, r.json()))

    for amounts in ([5000] * 6, [5000, 6000, 7000, 5000, 6000, 7000]):
        results.clear()
        with ServerThread(app) as server:
            threads = [threading.Thread(target=create, args=(a,)) for a in amounts]
            for t in threads:
                t.start()
            for t in threads:
                t.join(30)
        # Same order, other amounts, at once: each replaces the last; one that keeps losing
        # the race is told to retry. Never a 500, never two live checkouts.
        assert all(status in (200, 201) or body["error"]["code"] == "order_conflict"
                   for status, body in results), results
        assert sum(status == 201 for status, _ in results) >= 1
        db.session.rollback()
        live = db.session.execute(db.select(Checkout).where(
            Checkout.order_id == "RACE-1", Checkout.status.in_(("open", "processing")))
        ).scalars().all()
        assert len(live) == 1, results
        if len(set(amounts)) == 1:
            assert {body["id"] for _, body in results} == {live[0].id}
            assert sorted(s for s, _ in results) == [200] * 5 + [201]
        # Every checkout of the order but the live one was canceled, never left open.
        db.session.execute(db.update(Checkout).where(Checkout.order_id == "RACE-1")
                           .values(status="canceled"))
        db.session.commit()
