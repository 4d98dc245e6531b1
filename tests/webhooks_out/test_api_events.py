"""The events API: list, retrieve, the deliveries of an event with their attempts, and
redelivery (one event to one endpoint; every failed delivery of an endpoint)."""
from checkout.core.timeutil import isoformat, utcnow
from checkout.extensions import db
from checkout.models import Event
from tests.factories import live_auth

from .support import cancel, closed_port_url, deliveries, pay, run_jobs, verify


def events_of(checkout_id):
    db.session.rollback()
    return db.session.execute(db.select(Event).where(Event.object_id == checkout_id)
                              .order_by(Event.created_at)).scalars().all()


def test_list_filter_and_retrieve(client, merchant):
    paid = pay(merchant.id)
    canceled = cancel(merchant.id)
    listed = client.get("/api/v1/events", headers=merchant.auth).get_json()
    assert [e["type"] for e in listed["data"]] == ["checkout.canceled", "checkout.paid"]
    assert listed["has_more"] is False
    event = listed["data"][0]
    assert event["id"].startswith("evt_") and event["object"] == "event"
    assert event["data"]["id"] == canceled and event["livemode"] is False
    only = client.get("/api/v1/events?type=checkout.paid", headers=merchant.auth).get_json()
    assert [e["data"]["id"] for e in only["data"]] == [paid]
    family = client.get("/api/v1/events?type=checkout.*", headers=merchant.auth).get_json()
    assert len(family["data"]) == 2
    none = client.get("/api/v1/events?type=refund.*", headers=merchant.auth).get_json()
    assert none["data"] == []
    page = client.get("/api/v1/events?limit=1", headers=merchant.auth).get_json()
    assert page["has_more"] is True
    rest = client.get(f"/api/v1/events?limit=1&starting_after={page['data'][0]['id']}",
                      headers=merchant.auth).get_json()
    assert rest["data"][0]["type"] == "checkout.paid"
    one = client.get(f"/api/v1/events/{event['id']}", headers=merchant.auth)
    assert one.status_code == 200 and one.get_json() == event


def test_bad_filters_are_400(client, merchant):
    for query in ("type=checkout.shipped", "type=nothing.*", "limit=0", "starting_after=evt_x",
                  "colour=red"):
        resp = client.get(f"/api/v1/events?{query}", headers=merchant.auth)
        assert resp.status_code == 400, query


def test_events_of_others_and_of_the_other_mode_are_404(client, merchant, make_merchant):
    other = make_merchant(name="Other")
    cancel(other.id)
    live = cancel(merchant.id, livemode=True)
    theirs = client.get("/api/v1/events", headers=other.auth).get_json()["data"][0]["id"]
    live_id = events_of(live)[0].id
    assert client.get("/api/v1/events", headers=merchant.auth).get_json()["data"] == []
    for event_id in (theirs, live_id):
        for path in ("", "/deliveries"):
            resp = client.get(f"/api/v1/events/{event_id}{path}", headers=merchant.auth)
            assert resp.status_code == 404
        resp = client.post(f"/api/v1/events/{event_id}/redeliver", json={"endpoint": "we_x"},
                           headers=merchant.auth)
        assert resp.status_code == 404
    live_list = client.get("/api/v1/events", headers=live_auth(merchant.id)).get_json()
    assert [e["id"] for e in live_list["data"]] == [live_id]


def test_deliveries_show_every_attempt(app, client, merchant, receiver, fast, public_receiver):
    ep = client.post("/api/v1/webhook_endpoints", json={"url": receiver.url},
                     headers=merchant.auth).get_json()
    receiver.script = [("body", 500, b"database is down"), ("sleep", 1.5), 204]
    checkout_id = pay(merchant.id)
    run_jobs(app)
    event_id = events_of(checkout_id)[0].id
    resp = client.get(f"/api/v1/events/{event_id}/deliveries", headers=merchant.auth)
    assert resp.status_code == 200
    [d] = resp.get_json()["data"]
    assert d["object"] == "webhook_delivery" and d["id"].startswith("wd_")
    assert (d["event"], d["endpoint"], d["status"], d["redelivery"], d["attempt_count"]) == \
        (event_id, ep["id"], "succeeded", False, 3)
    assert d["next_attempt_at"] is None and d["completed_at"]
    first, second, third = d["attempts"]
    assert (first["status_code"], first["response_body"], first["error"]) == \
        (500, "database is down", None)
    assert (second["status_code"], second["error"]) == (None, "read timeout")
    assert second["duration_ms"] >= 400
    assert (third["status_code"], third["succeeded"]) == (204, True)
    assert all(a["sent_at"].endswith("Z") and a["duration_ms"] is not None
               for a in d["attempts"])


def test_redeliver_one_event_to_one_endpoint(app, client, merchant, receiver, fast):
    ep = client.post("/api/v1/webhook_endpoints", json={"url": receiver.url},
                     headers=merchant.auth).get_json()
    checkout_id = pay(merchant.id)
    run_jobs(app)
    event_id = events_of(checkout_id)[0].id
    path = f"/api/v1/events/{event_id}/redeliver"
    resp = client.post(path, json={"endpoint": ep["id"]}, headers=merchant.auth)
    assert resp.status_code == 201
    body = resp.get_json()
    assert body["redelivery"] is True and body["status"] == "pending"
    again = client.post(path, json={"endpoint": ep["id"]}, headers=merchant.auth)
    assert again.status_code == 200 and again.get_json()["id"] == body["id"]  # still pending
    run_jobs(app)
    assert receiver.ids() == [event_id, event_id]        # the same webhook-id
    assert receiver.requests[0]["body"] == receiver.requests[1]["body"]
    assert verify(ep["secret"], receiver.requests[1]["headers"], receiver.requests[1]["body"])
    assert [d.status for d in deliveries()] == ["succeeded", "succeeded"]


def test_redeliver_bad_input(client, merchant, make_merchant):
    ep = client.post("/api/v1/webhook_endpoints", json={"url": "http://127.0.0.1:9/h"},
                     headers=merchant.auth).get_json()
    other = make_merchant(name="Other")
    theirs = client.post("/api/v1/webhook_endpoints", json={"url": "http://127.0.0.1:9/h"},
                         headers=other.auth).get_json()
    event_id = events_of(cancel(merchant.id))[0].id
    path = f"/api/v1/events/{event_id}/redeliver"
    cases = [({}, 400, "parameter_missing"), ({"endpoint": 5}, 400, "parameter_missing"),
             ({"endpoint": ep["id"], "x": 1}, 400, "parameter_unknown"),
             ({"endpoint": theirs["id"]}, 404, "resource_missing"),
             ({"endpoint": "we_nope"}, 404, "resource_missing")]
    for body, status, code in cases:
        resp = client.post(path, json=body, headers=merchant.auth)
        assert (resp.status_code, resp.get_json()["error"]["code"]) == (status, code), body
    client.post(f"/api/v1/webhook_endpoints/{ep['id']}", json={"enabled": False},
                headers=merchant.auth)
    resp = client.post(path, json={"endpoint": ep["id"]}, headers=merchant.auth)
    assert resp.status_code == 400 and resp.get_json()["error"]["code"] == "endpoint_disabled"
    assert len(deliveries(redelivery=True)) == 0


def test_redeliver_failed_since(app, client, merchant, receiver, fast):
    ep = client.post("/api/v1/webhook_endpoints", json={"url": closed_port_url()},
                     headers=merchant.auth).get_json()
    before = isoformat(utcnow())
    pay(merchant.id)
    cancel(merchant.id)
    run_jobs(app)
    assert [d.status for d in deliveries()] == ["failed", "failed"]
    # The merchant fixes the URL and asks for everything that failed.
    client.post(f"/api/v1/webhook_endpoints/{ep['id']}", json={"url": receiver.url},
                headers=merchant.auth)
    path = f"/api/v1/webhook_endpoints/{ep['id']}/redeliver_failed"
    resp = client.post(path, json={"since": before}, headers=merchant.auth)
    assert resp.status_code == 200
    assert resp.get_json() == {"object": "redelivery", "endpoint": ep["id"], "since": before,
                               "count": 2, "has_more": False}
    again = client.post(path, json={"since": before}, headers=merchant.auth).get_json()
    assert again["count"] == 0                            # already pending: nothing added
    run_jobs(app)
    assert sorted(receiver.ids()) == sorted(e.id for e in db.session.execute(
        db.select(Event)).scalars())
    third = client.post(path, json={"since": before}, headers=merchant.auth)
    assert third.get_json()["count"] == 0             # all succeeded now
    later = client.post(path, json={"since": "2999-01-01T00:00:00+01:00"}, headers=merchant.auth)
    assert later.get_json()["count"] == 0
    for body in ({}, {"since": "yesterday"}, {"since": 5}, {"since": before, "x": 1}):
        assert client.post(path, json=body, headers=merchant.auth).status_code == 400
