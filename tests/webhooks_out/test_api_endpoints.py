"""The webhook endpoints API: create, list, retrieve, update, delete, bad input and
isolation between merchants and modes."""
import pytest
from sqlalchemy import func

from checkout.events import EVENT_TYPES
from checkout.extensions import db
from checkout.models import IdempotencyRecord, WebhookEndpoint
from checkout.webhooks_out import jobs
from checkout.webhooks_out.endpoints import MAX_ENDPOINTS

from .support import cancel, deliveries

URL = "http://127.0.0.1:9/hooks"


def count():
    db.session.rollback()
    return db.session.execute(db.select(func.count()).select_from(WebhookEndpoint)).scalar_one()


def post(client, merchant, path, body=None, **kw):
    return client.post("/api/v1" + path, json=body, headers={**merchant.auth, **kw})


def test_create_returns_the_endpoint_with_its_secret(client, merchant):
    resp = post(client, merchant, "/webhook_endpoints",
                {"url": URL, "events": ["checkout.paid", "refund.failed", "checkout.paid"],
                 "description": "orders"})
    assert resp.status_code == 201
    body = resp.get_json()
    assert body["id"].startswith("we_") and body["object"] == "webhook_endpoint"
    assert body["url"] == URL and body["events"] == ["checkout.paid", "refund.failed"]
    assert body["enabled"] is True and body["livemode"] is False
    assert body["description"] == "orders" and body["disabled_reason"] is None
    assert body["created_at"].endswith("Z") and body["secret"].startswith("whsec_")
    default = post(client, merchant, "/webhook_endpoints", {"url": URL}).get_json()
    assert default["events"] == ["*"]
    star = post(client, merchant, "/webhook_endpoints", {"url": URL, "events": ["*"]})
    assert star.get_json()["events"] == ["*"]


@pytest.mark.parametrize("body, code, param", [
    ({"url": URL, "events": ["checkout.shipped"]}, "event_type_unknown", "events"),
    ({"url": URL, "events": []}, "parameter_invalid", "events"),
    ({"url": URL, "events": "checkout.paid"}, "parameter_invalid", "events"),
    ({"url": URL, "events": [1]}, "parameter_invalid", "events"),
    ({"events": ["checkout.paid"]}, "parameter_missing", "url"),
    ({"url": "ftp://127.0.0.1/x"}, "url_invalid", "url"),
    ({"url": None}, "url_invalid", "url"),
    ({"url": URL, "secret": "whsec_mine"}, "parameter_unknown", "secret"),
    ({"url": URL, "description": "x" * 501}, "parameter_invalid", "description"),
])
def test_create_refuses_bad_input(client, merchant, body, code, param):
    resp = post(client, merchant, "/webhook_endpoints", body)
    assert resp.status_code == 400
    err = resp.get_json()["error"]
    assert (err["type"], err["code"], err["param"]) == ("invalid_request_error", code, param)
    assert count() == 0


def test_create_needs_json_and_a_key(client, merchant):
    resp = client.post("/api/v1/webhook_endpoints", data="url=x", headers=merchant.auth)
    assert resp.status_code == 415
    assert client.post("/api/v1/webhook_endpoints", json={"url": URL}).status_code == 401
    assert count() == 0


def test_create_is_idempotent(client, merchant):
    first = post(client, merchant, "/webhook_endpoints", {"url": URL}, **{"Idempotency-Key": "k1"})
    again = post(client, merchant, "/webhook_endpoints", {"url": URL}, **{"Idempotency-Key": "k1"})
    assert first.status_code == again.status_code == 201
    assert first.get_json() == again.get_json()
    assert count() == 1


def test_the_secret_in_a_stored_replay_is_encrypted(client, merchant):
    first = post(client, merchant, "/webhook_endpoints", {"url": URL}, **{"Idempotency-Key": "k2"})
    secret = first.get_json()["secret"]
    [body] = db.session.execute(db.select(IdempotencyRecord.response_body)).scalars().all()
    assert secret not in body and "whsec_" not in body
    again = post(client, merchant, "/webhook_endpoints", {"url": URL}, **{"Idempotency-Key": "k2"})
    assert again.get_json()["secret"] == secret
    assert again.headers["Idempotent-Replayed"] == "true"


def test_an_endpoint_limit_per_mode(client, merchant):
    for _ in range(MAX_ENDPOINTS):
        assert post(client, merchant, "/webhook_endpoints", {"url": URL}).status_code == 201
    resp = post(client, merchant, "/webhook_endpoints", {"url": URL})
    assert resp.status_code == 400 and resp.get_json()["error"]["code"] == "too_many_endpoints"


def test_list_newest_first_with_paging(client, merchant):
    ids = [post(client, merchant, "/webhook_endpoints", {"url": URL}).get_json()["id"]
           for _ in range(3)]
    page = client.get("/api/v1/webhook_endpoints?limit=2", headers=merchant.auth).get_json()
    assert page["object"] == "list" and page["has_more"] is True
    assert [e["id"] for e in page["data"]] == ids[::-1][:2]
    rest = client.get(f"/api/v1/webhook_endpoints?limit=2&starting_after={ids[1]}",
                      headers=merchant.auth).get_json()
    assert [e["id"] for e in rest["data"]] == [ids[0]] and rest["has_more"] is False
    assert client.get("/api/v1/webhook_endpoints?status=x",
                      headers=merchant.auth).status_code == 400


def test_update_url_events_enabled_description(client, merchant):
    ep = post(client, merchant, "/webhook_endpoints", {"url": URL}).get_json()
    resp = post(client, merchant, f"/webhook_endpoints/{ep['id']}",
                {"url": "http://127.0.0.1:10/new", "events": ["refund.succeeded"],
                 "enabled": False, "description": "d"})
    assert resp.status_code == 200
    body = resp.get_json()
    assert (body["url"], body["events"], body["enabled"], body["description"]) == \
        ("http://127.0.0.1:10/new", ["refund.succeeded"], False, "d")
    assert body["disabled_reason"] == "disabled_by_merchant" and "secret" not in body
    body = post(client, merchant, f"/webhook_endpoints/{ep['id']}", {"enabled": True}).get_json()
    assert body["enabled"] is True and body["disabled_reason"] is None


@pytest.mark.parametrize("body", [{"enabled": "yes"}, {"events": ["nope"]},
                                  {"url": "http://169.254.169.254/"}, {"colour": "red"},
                                  {"url": "http://127.0.0.1:10/new", "events": ["bad"]}])
def test_update_refuses_bad_input_and_changes_nothing(client, merchant, body):
    ep = post(client, merchant, "/webhook_endpoints", {"url": URL}).get_json()
    resp = post(client, merchant, f"/webhook_endpoints/{ep['id']}", body)
    assert resp.status_code == 400
    shown = client.get(f"/api/v1/webhook_endpoints/{ep['id']}", headers=merchant.auth).get_json()
    assert (shown["url"], shown["events"], shown["enabled"]) == (URL, ["*"], True)


def test_delete_hides_the_endpoint_and_cancels_its_pending_deliveries(app, client, merchant,
                                                                      receiver):
    ep = post(client, merchant, "/webhook_endpoints", {"url": receiver.url}).get_json()
    cancel(merchant.id)
    [d] = deliveries()
    assert d.status == "pending"
    resp = client.delete(f"/api/v1/webhook_endpoints/{ep['id']}", headers=merchant.auth)
    assert resp.status_code == 200
    assert resp.get_json() == {"id": ep["id"], "object": "webhook_endpoint", "deleted": True}
    [d] = deliveries()
    db.session.refresh(d)
    assert d.status == "canceled" and d.next_attempt_at is None
    assert jobs.deliver(d.id) == "skipped" and receiver.requests == []
    assert client.get(f"/api/v1/webhook_endpoints/{ep['id']}",
                      headers=merchant.auth).status_code == 404
    assert client.delete(f"/api/v1/webhook_endpoints/{ep['id']}",
                         headers=merchant.auth).status_code == 404
    listed = client.get("/api/v1/webhook_endpoints", headers=merchant.auth).get_json()
    assert listed["data"] == []
    cancel(merchant.id)                     # no new deliveries to a deleted endpoint
    assert len(deliveries()) == 1


def test_another_merchants_endpoint_is_a_404_everywhere(client, merchant, make_merchant):
    other = make_merchant(name="Other")
    theirs = post(client, other, "/webhook_endpoints", {"url": URL}).get_json()
    path = f"/webhook_endpoints/{theirs['id']}"
    for resp in (client.get("/api/v1" + path, headers=merchant.auth),
                 post(client, merchant, path, {"enabled": False}),
                 client.delete("/api/v1" + path, headers=merchant.auth),
                 post(client, merchant, path + "/rotate_secret"),
                 post(client, merchant, path + "/redeliver_failed",
                      {"since": "2020-01-01T00:00:00Z"})):
        assert resp.status_code == 404
        assert resp.get_json()["error"]["code"] == "resource_missing"
        assert theirs["id"] in resp.get_json()["error"]["message"]
    mine = client.get("/api/v1/webhook_endpoints", headers=merchant.auth).get_json()
    assert mine["data"] == []
    row = db.session.get(WebhookEndpoint, theirs["id"])
    db.session.refresh(row)
    assert row.enabled and row.deleted_at is None


def test_event_types_are_those_the_product_emits():
    assert {"checkout.paid", "checkout.expired", "checkout.canceled", "payment.failed",
            "payment.duplicate", "refund.succeeded", "refund.failed"} <= set(EVENT_TYPES)
