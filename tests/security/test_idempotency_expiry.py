"""Attack 7: idempotency records that never expire, and a key stuck forever. The worker's
sweeper purges records past 24 hours, and a reservation whose request died is released
so that a retry proceeds (without refunding twice)."""
import hashlib
import json
from datetime import timedelta

from checkout.core.timeutil import utcnow
from checkout.extensions import db
from checkout.gateways import get_gateway
from checkout.gateways.base import RefundResult
from checkout.jobs import sweep
from checkout.models import ApiKey, IdempotencyRecord, Refund
from tests.factories import add_payment, checkout_body


def test_the_sweeper_purges_records_past_a_day(app, api):
    api.post("/checkouts", checkout_body(), key="old")
    api.post("/checkouts", checkout_body(order_id="N-1"), key="new")
    db.session.execute(db.update(IdempotencyRecord).where(IdempotencyRecord.key == "old")
                       .values(created_at=utcnow() - timedelta(hours=25)))
    db.session.commit()
    report = sweep.sweep()
    assert report["purge_idempotency_hourly"] == 1
    assert db.session.execute(db.select(IdempotencyRecord.key)).scalars().all() == ["new"]
    assert sweep.sweep()["purge_idempotency_hourly"] == 0      # at most once an hour


def test_a_key_whose_request_died_is_released(app, api, monkeypatch):
    feexpay = type(get_gateway("feexpay"))
    monkeypatch.setattr(feexpay, "supports_refund", True)
    monkeypatch.setattr(feexpay, "refund",
                        lambda self, *a, **kw: RefundResult(status="succeeded",
                                                            provider_reference="r"))
    cs = api.post("/checkouts", checkout_body()).json["id"]
    pay = add_payment(cs, outcome="succeeded")
    # A refund request reserved its key, left a pending refund, and its process died.
    db.session.add(Refund(id="re_dead", payment_id=pay, merchant_id=api.merchant.id,
                          livemode=False, amount=5000, currency="XOF", status="pending"))
    body = json.dumps({"payment": pay}).encode()
    digest = hashlib.sha256(b"POST /api/v1/refunds\n" + body).hexdigest()
    key_id = db.session.execute(db.select(ApiKey.id).where(
        ApiKey.merchant_id == api.merchant.id)).scalar_one()
    db.session.add(IdempotencyRecord(api_key_id=key_id, key="k1", request_hash=digest,
                                     status_code=0, response_body="",
                                     created_at=utcnow() - timedelta(seconds=30)))
    db.session.commit()
    json_type = {"Content-Type": "application/json"}
    busy = api.post("/refunds", raw=body, key="k1", headers=json_type)
    assert busy.status_code == 409 and busy.json["error"]["code"] == "idempotency_key_in_use"
    db.session.execute(db.update(IdempotencyRecord).values(
        created_at=utcnow() - timedelta(minutes=10)))
    db.session.commit()
    retry = api.post("/refunds", raw=body, key="k1", headers=json_type)
    # The retry runs again, and the dead request's pending refund still counts: nothing
    # is left to refund, so nothing is refunded twice.
    assert retry.status_code == 400
    assert retry.json["error"]["code"] == "refund_amount_too_large"
