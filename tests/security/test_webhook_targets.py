"""Attack 1: a test key on a production install used to read internal services through
webhook endpoints (and the delivery log). Local targets are refused at creation and at
each send unless the install is a development one or the operator opted in; even then
nothing a local address answers is kept or shown."""
import pytest

from checkout.extensions import db
from checkout.webhooks_out import jobs
from tests.webhooks_out.support import Receiver, deliveries, pay


@pytest.fixture
def internal():
    """An internal service (or the simulators' /_sim/ controls) on this machine, with
    something worth stealing in its answers."""
    with Receiver() as service:
        service.script = [("body", 200, b'{"admin_token": "s3cret"}')] * 10
        yield service


def test_a_production_install_refuses_local_targets_at_creation(app, client, merchant,
                                                               internal):
    app.config.update(DEVELOPMENT=False, WEBHOOK_ALLOW_PRIVATE_TARGETS=False)
    for url in (internal.url, internal.base + "/feexpay/_sim/reset",
                "http://10.1.2.3/hooks", "http://[::1]:9/hooks"):
        r = client.post("/api/v1/webhook_endpoints", headers=merchant.auth, json={"url": url})
        assert r.status_code == 400, url
        assert r.json["error"]["code"] == "url_forbidden" and r.json["error"]["param"] == "url"
    assert internal.requests == []


def test_an_endpoint_saved_earlier_is_refused_again_at_send(app, client, merchant, internal):
    ep = client.post("/api/v1/webhook_endpoints", headers=merchant.auth,
                     json={"url": internal.url}).json          # allowed: a development install
    assert ep["url"] == internal.url
    app.config.update(DEVELOPMENT=False)                       # now it is production
    pay(merchant.id)
    [delivery] = deliveries()
    assert jobs.deliver(delivery.id) == "failed"
    assert internal.requests == []
    db.session.expire_all()      # the API reads the rows the job changed
    events = client.get("/api/v1/events", headers=merchant.auth).json["data"]
    log = client.get(f"/api/v1/events/{events[0]['id']}/deliveries",
                     headers=merchant.auth).json["data"]
    assert "not sent" in log[0]["last_error"] and "not sent" in log[0]["attempts"][0]["error"]


def test_what_a_local_target_answers_is_never_kept_or_shown(app, client, merchant, internal):
    app.config.update(DEVELOPMENT=False, WEBHOOK_ALLOW_PRIVATE_TARGETS=True)   # opted in
    client.post("/api/v1/webhook_endpoints", headers=merchant.auth, json={"url": internal.url})
    pay(merchant.id)
    [delivery] = deliveries()
    assert jobs.deliver(delivery.id) == "succeeded"
    assert len(internal.requests) == 1                          # it was delivered...
    db.session.expire_all()      # the API reads the rows the job changed
    event_id = client.get("/api/v1/events", headers=merchant.auth).json["data"][0]["id"]
    body = client.get(f"/api/v1/events/{event_id}/deliveries",
                      headers=merchant.auth).get_data(as_text=True)
    assert "s3cret" not in body and "admin_token" not in body  # ...and nothing it said kept
    assert '"status_code":200' in body.replace(" ", "")
