"""Secret rotation: both secrets sign during the 24 h overlap, then only the new one."""
import base64
from datetime import timedelta

import standardwebhooks

from checkout.core.timeutil import utcnow
from checkout.extensions import db
from checkout.models import WebhookEndpoint

from .support import pay, run_jobs, verify


def test_secret_format_and_visibility(client, merchant):
    created = client.post("/api/v1/webhook_endpoints", json={"url": "http://127.0.0.1:9/h"},
                          headers=merchant.auth).get_json()
    secret = created["secret"]
    assert secret.startswith("whsec_") and len(base64.b64decode(secret[6:])) >= 24
    shown = client.get(f"/api/v1/webhook_endpoints/{created['id']}", headers=merchant.auth)
    assert "secret" not in shown.get_json()
    listed = client.get("/api/v1/webhook_endpoints", headers=merchant.auth).get_json()
    assert all("secret" not in e for e in listed["data"])
    row = db.session.get(WebhookEndpoint, created["id"])
    assert secret not in row.secret_encrypted and secret[6:] not in row.secret_encrypted


def test_rotation_signs_with_both_secrets_for_24_hours(app, client, merchant, receiver, fast):
    old = client.post("/api/v1/webhook_endpoints", json={"url": receiver.url},
                      headers=merchant.auth).get_json()
    resp = client.post(f"/api/v1/webhook_endpoints/{old['id']}/rotate_secret",
                       headers=merchant.auth)
    assert resp.status_code == 200
    rotated = resp.get_json()
    new_secret = rotated["secret"]
    assert new_secret != old["secret"] and rotated["id"] == old["id"]
    expires = rotated["previous_secret_expires_at"]
    assert expires is not None

    pay(merchant.id)
    run_jobs(app)
    req = receiver.requests[-1]
    assert len(req["headers"]["webhook-signature"].split(" ")) == 2
    assert verify(old["secret"], req["headers"], req["body"])
    assert verify(new_secret, req["headers"], req["body"])
    for secret in (old["secret"], new_secret):
        standardwebhooks.Webhook(secret).verify(req["body"], req["headers"])

    # 24 hours later the old secret no longer signs.
    row = db.session.get(WebhookEndpoint, old["id"])
    assert timedelta(hours=23, minutes=59) < row.previous_secret_expires_at - utcnow() \
        <= timedelta(hours=24)
    row.previous_secret_expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    pay(merchant.id)
    run_jobs(app)
    req = receiver.requests[-1]
    assert len(req["headers"]["webhook-signature"].split(" ")) == 1
    assert verify(new_secret, req["headers"], req["body"])
    assert not verify(old["secret"], req["headers"], req["body"])
    shown = client.get(f"/api/v1/webhook_endpoints/{old['id']}", headers=merchant.auth)
    assert shown.get_json()["previous_secret_expires_at"] is None


def test_a_second_rotation_drops_the_oldest_secret(app, client, merchant, receiver, fast):
    first = client.post("/api/v1/webhook_endpoints", json={"url": receiver.url},
                        headers=merchant.auth).get_json()
    path = f"/api/v1/webhook_endpoints/{first['id']}/rotate_secret"
    second = client.post(path, headers=merchant.auth).get_json()["secret"]
    third = client.post(path, headers=merchant.auth).get_json()["secret"]
    pay(merchant.id)
    run_jobs(app)
    req = receiver.requests[-1]
    assert verify(third, req["headers"], req["body"])
    assert verify(second, req["headers"], req["body"])
    assert not verify(first["secret"], req["headers"], req["body"])


def test_rotation_of_another_merchants_endpoint_is_a_404(client, merchant, make_merchant):
    other = make_merchant(name="Other")
    theirs = client.post("/api/v1/webhook_endpoints", json={"url": "http://127.0.0.1:9/h"},
                         headers=other.auth).get_json()
    resp = client.post(f"/api/v1/webhook_endpoints/{theirs['id']}/rotate_secret",
                       headers=merchant.auth)
    assert resp.status_code == 404
    row = db.session.get(WebhookEndpoint, theirs["id"])
    db.session.refresh(row)
    assert row.previous_secret_encrypted is None
