"""What the interface added for redirect-and-refund providers, through the receiver and
the processing job: GET callbacks (unsigned, confirmed by a status call), events we do
not act on (kept, acknowledged), and refund notifications that settle a pending refund
once (confirmed with the provider when unsigned). The adapter is replaced here; the
Chapa and Paystack tests do the same against their simulators."""
import json

import pytest

from checkout.extensions import db
from checkout.gateways import get_gateway
from checkout.gateways.base import GatewayResult, Notification, RefundResult, RefundUpdate
from checkout.gateways.errors import GatewayNotSupported
from checkout.jobs import payments as payment_jobs
from checkout.models import Event, GatewayNotification, Payment, Refund
from checkout.payments.refunds import prepare_refund, send_refund
from checkout.webhooks_in import process
from tests.factories import add_payment, make_checkout

from .support import notify_url

FEEXPAY = type(get_gateway("feexpay"))


def _path(payment_id):
    return notify_url(payment_id).split("http://checkout.test", 1)[1]


@pytest.fixture
def paid(merchant):
    pay = add_payment(make_checkout(merchant), outcome="succeeded", provider_reference="tx-1")
    return db.session.get(Payment, pay)


@pytest.fixture
def queued_refund(paid, monkeypatch):
    """A refund of 2,000 the provider queued (pending, its reference rf-1)."""
    monkeypatch.setattr(FEEXPAY, "supports_refund", True)
    monkeypatch.setattr(FEEXPAY, "refund", lambda self, *a, **kw: RefundResult(
        status="pending", provider_reference="rf-1"))
    refund = prepare_refund(db.session.get(Payment, paid.id), 2000, "damaged")
    db.session.commit()
    send_refund(refund)
    db.session.commit()
    return refund.id


def _notify_refund(client, monkeypatch, payment_id, update, signed=True):
    monkeypatch.setattr(FEEXPAY, "notifications_need_confirmation", not signed)
    monkeypatch.setattr(FEEXPAY, "parse_notification", lambda self, account, headers, body:
                        Notification(provider_reference=update.payment_reference or "",
                                     dedup_key=json.loads(body)["id"], refund=update))
    resp = client.post(_path(payment_id), data=json.dumps({"id": update.status}),
                       content_type="application/json")
    assert resp.status_code == 200
    note = db.session.execute(db.select(GatewayNotification)
                              .order_by(GatewayNotification.id.desc())).scalars().first()
    return process.process_notification(note.id)


def _refund_events():
    return db.session.execute(db.select(Event.type).where(Event.type.like("refund.%"))
                              ).scalars().all()


def test_a_signed_refund_notification_settles_the_refund_once(client, paid, queued_refund,
                                                              monkeypatch):
    assert db.session.get(Refund, queued_refund).status == "pending"
    done = RefundUpdate("succeeded", "rf-1", "tx-1", 2000, "XOF")
    assert _notify_refund(client, monkeypatch, paid.id, done) == "refund_succeeded"
    db.session.expire_all()
    assert db.session.get(Refund, queued_refund).status == "succeeded"
    assert db.session.get(Payment, paid.id).refunded_amount == 2000
    assert _refund_events() == ["refund.succeeded"]
    # The same word again (a replay, or the provider's retry): nothing moves twice.
    again = RefundUpdate("succeeded", "rf-1", "tx-1", 2000, "XOF")
    monkeypatch.setattr(FEEXPAY, "parse_notification", lambda self, a, h, b: Notification(
        provider_reference="tx-1", dedup_key="other", refund=again))
    client.post(_path(paid.id), data=b'{"id": "x"}', content_type="application/json")
    note = db.session.execute(db.select(GatewayNotification)
                              .order_by(GatewayNotification.id.desc())).scalars().first()
    assert process.process_notification(note.id) == "refund_repeated"
    db.session.expire_all()
    assert db.session.get(Payment, paid.id).refunded_amount == 2000
    assert _refund_events() == ["refund.succeeded"]


def test_an_unsigned_refund_notification_is_confirmed_with_the_provider(
        client, paid, queued_refund, monkeypatch):
    asked = []
    monkeypatch.setattr(FEEXPAY, "fetch_refund", lambda self, account, ref, pay_ref, rid: (
        asked.append((ref, pay_ref, rid)) or RefundResult(status="pending")))
    forged = RefundUpdate("succeeded", None, "tx-1", 2000, "XOF")
    assert _notify_refund(client, monkeypatch, paid.id, forged, signed=False) == \
        "refund_pending"
    assert asked == [("rf-1", "tx-1", queued_refund)]
    db.session.expire_all()
    assert db.session.get(Refund, queued_refund).status == "pending"
    assert _refund_events() == []


def test_a_refund_notification_for_no_refund_of_ours_changes_nothing(client, paid,
                                                                    monkeypatch):
    stray = RefundUpdate("succeeded", "rf-999", "tx-1", 5000, "XOF")
    assert _notify_refund(client, monkeypatch, paid.id, stray) == "unknown_refund"
    db.session.expire_all()
    assert db.session.get(Payment, paid.id).refunded_amount == 0


def test_a_failed_refund_ends_failed_with_the_reason(client, paid, queued_refund,
                                                     monkeypatch):
    failed = RefundUpdate("failed", "rf-1", "tx-1", 2000, "XOF", "balance too low")
    assert _notify_refund(client, monkeypatch, paid.id, failed) == "refund_failed"
    refund = db.session.get(Refund, queued_refund)
    db.session.refresh(refund)
    assert (refund.status, refund.failure_message) == ("failed", "balance too low")
    assert _refund_events() == ["refund.failed"]


def test_the_sweeper_polls_refunds_the_provider_queued(app, paid, queued_refund,
                                                       monkeypatch):
    monkeypatch.setattr(payment_jobs, "REFUND_POLL_AFTER", payment_jobs.timedelta(0))
    monkeypatch.setattr(FEEXPAY, "fetch_refund", lambda self, *a: RefundResult(
        status="succeeded", provider_reference="rf-1"))
    assert payment_jobs.poll_pending_refunds() == 1
    db.session.expire_all()
    assert db.session.get(Refund, queued_refund).status == "succeeded"
    assert payment_jobs.poll_pending_refunds() == 0          # at most every 30 s


def test_an_event_we_do_not_act_on_is_kept_and_acknowledged(client, paid, monkeypatch):
    def ignored(self, account, headers, body):
        raise GatewayNotSupported("ignored event transfer.success")
    monkeypatch.setattr(FEEXPAY, "parse_notification", ignored)
    resp = client.post(_path(paid.id), data=b'{"event": "transfer.success"}',
                       content_type="application/json")
    assert resp.status_code == 200 and resp.json == {"received": True, "ignored": True}
    note = db.session.execute(db.select(GatewayNotification)).scalar_one()
    assert note.outcome == "ignored" and note.processed_at is not None


def test_a_get_callback_is_stored_and_confirmed_by_a_status_call(client, merchant,
                                                                 monkeypatch):
    pay = add_payment(make_checkout(merchant), provider_reference="tx-9")
    monkeypatch.setattr(FEEXPAY, "parse_callback", lambda self, account, query: Notification(
        provider_reference=query["trx_ref"], dedup_key="cb:" + query["trx_ref"]))
    asked = []
    monkeypatch.setattr(FEEXPAY, "fetch_status", lambda self, account, ref, pid: (
        asked.append(ref) or GatewayResult(status="succeeded", provider_reference=ref,
                                           amount=5000, currency="XOF")))
    resp = client.get(_path(pay) + "?trx_ref=tx-9&ref_id=CH-1&status=success")
    assert resp.status_code == 200
    note = db.session.execute(db.select(GatewayNotification)).scalar_one()
    assert note.headers[process.CALLBACK_HEADER] == "GET"
    assert process.process_notification(note.id) == "applied"
    assert asked == ["tx-9"]
    db.session.expire_all()
    assert db.session.get(Payment, pay).status == "succeeded"


def test_a_gateway_without_get_callbacks_answers_405(client, paid):
    assert client.get(_path(paid.id) + "?trx_ref=tx-1").status_code == 405
    assert db.session.execute(db.select(GatewayNotification)).scalars().all() == []
