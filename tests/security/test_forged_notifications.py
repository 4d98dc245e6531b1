"""Forged, replayed and tampered incoming notifications, for every gateway that receives
them: each is recorded (stored raw, or counted as a duplicate), and none changes a
payment. Over real HTTP: the live app, the provider's simulator, the real worker code.

``GATEWAYS`` has one row per gateway whose adapter parses notifications (cash on
delivery sends none); ``test_every_notifying_gateway_has_a_row`` fails for a new one
until its row says how to make, for that provider:

- a payment that the provider keeps pending (never settles it) and one that it settles
  and notifies for real;
- a notification body as the provider sends it for a payment, with overrides (a claimed
  status, another amount);
- bodies the provider never sends (malformed).
"""
import json
from dataclasses import dataclass
from datetime import timedelta

import pytest
import requests

from checkout.extensions import db
from checkout.gateways import all_gateways
from checkout.gateways.base import Gateway
from checkout.merchants.accounts import account_context
from checkout.models import GatewayAccount, GatewayNotification
from checkout.webhooks_in import process
from tests.factories import checkout, events, notifications, payment, start_attempt, timeline
from tests.webhooks_in.support import feexpay_webhook, notify_url


@dataclass(frozen=True)
class NotifyingGateway:
    pending: object            # merchant -> (checkout id, payment id): the provider never settles
    paid: object               # merchant -> (checkout id, payment id): settled, and notified
    body: object               # (payment id, **overrides) -> bytes, as the provider sends it
    success: dict              # overrides: the notification claims success
    failure: dict              # overrides: the notification claims failure
    amount: str                # the body's amount field
    content_type: str
    malformed: tuple           # bodies the provider never sends


GATEWAYS = {
    "feexpay": NotifyingGateway(
        pending=lambda m: start_attempt(m, "04"),
        paid=lambda m: start_attempt(m, "01"),
        body=lambda pid, **o: json.dumps(feexpay_webhook(pid, **o)).encode(),
        success={"status": "SUCCESSFUL"}, failure={"status": "FAILED"}, amount="amount",
        content_type="application/json",
        malformed=(b"", b"not json", b"{", b"[]", b'"SUCCESSFUL"', b"null", b"{}",
                   b'{"status": "SUCCESSFUL"}', b'{"reference": 12, "status": "SUCCESSFUL"}',
                   b'{"reference": "../../etc", "status": "SUCCESSFUL"}',
                   b"\xff\xfe\x00garbage", b"reference=abc&status=SUCCESSFUL",
                   b'{"reference": "' + b"a" * 5000 + b'"}'),
    ),
}


def notifying_gateways():
    return sorted(name for name, gw in all_gateways().items()
                  if type(gw).parse_notification is not Gateway.parse_notification)


def test_every_notifying_gateway_has_a_row():
    assert notifying_gateways(), "no gateway receives notifications?"
    assert notifying_gateways() == sorted(GATEWAYS)


@pytest.fixture(params=sorted(GATEWAYS))
def gateway(request, live_server):
    """Each notifying gateway's name, with the app and the simulators on real ports."""
    return request.param


def _post(url, body, row, headers=None):
    return requests.post(url, data=body, timeout=10,
                         headers={"Content-Type": row.content_type, **(headers or {})})


def _snapshot(checkout_id, payment_id):
    pay, co = payment(payment_id), checkout(checkout_id)
    return {"payment": (pay.status, pay.amount, pay.failure_code, pay.completed_at),
            "checkout": (co.status, co.payment_id, co.paid_late),
            "timeline": [(e.type, e.to_status) for e in timeline(checkout_id)],
            "events": [e.type for e in events(checkout_id)]}


def _processed(note_id=None):
    def done():
        notes = notifications()
        return notes and all(n.processed_at for n in notes
                             if note_id is None or n.id == note_id)
    return done


def _token(merchant, gateway):
    return db.session.execute(db.select(GatewayAccount.webhook_token).where(
        GatewayAccount.merchant_id == merchant.id, GatewayAccount.gateway == gateway,
        GatewayAccount.livemode.is_(False))).scalar_one()


def _age(note_id, minutes):
    note = db.session.get(GatewayNotification, note_id)
    note.received_at -= timedelta(minutes=minutes)
    db.session.commit()


# -- (a) forged -------------------------------------------------------------------------

def test_forged_success_for_a_pending_payment_is_recorded_and_changes_nothing(
        gateway, merchant, run_jobs_until):
    row = GATEWAYS[gateway]
    checkout_id, payment_id = row.pending(merchant)
    before = _snapshot(checkout_id, payment_id)
    body = row.body(payment_id, **row.success)
    r = _post(notify_url(payment_id), body, row)
    assert r.status_code == 200 and r.json() == {"received": True, "duplicate": False}
    run_jobs_until(_processed(), timeout=15, what="the notification processed")
    [note] = notifications()
    assert bytes(note.body) == body and note.gateway == gateway
    assert note.outcome == "pending"             # the provider was asked: still pending
    assert _snapshot(checkout_id, payment_id) == before
    assert payment(payment_id).status == "pending"


# -- (b) replayed -----------------------------------------------------------------------

def test_a_replayed_real_notification_is_deduplicated(gateway, merchant, run_jobs_until):
    row = GATEWAYS[gateway]
    checkout_id, payment_id = row.paid(merchant)
    run_jobs_until(lambda: payment(payment_id).status == "succeeded" and _processed()(),
                   timeout=20, what="paid, its real notification processed")
    [real] = notifications()
    after_real = _snapshot(checkout_id, payment_id)
    assert after_real["events"].count("checkout.paid") == 1
    headers = {k: v for k, v in real.headers.items()
               if k.lower() not in ("host", "content-length")}
    for _ in range(3):
        r = requests.post(notify_url(payment_id), data=bytes(real.body), headers=headers,
                          timeout=10)
        assert r.status_code == 200 and r.json() == {"received": True, "duplicate": True}
    run_jobs_until(_processed(), timeout=10)
    [note] = notifications()
    assert note.id == real.id and note.duplicates == 3
    assert _snapshot(checkout_id, payment_id) == after_real
    assert [e.to_status for e in timeline(checkout_id, "status_changed")] == ["succeeded"]


# -- (c) tampered -----------------------------------------------------------------------

def test_a_changed_amount_claiming_success_changes_nothing(gateway, merchant, run_jobs_until):
    row = GATEWAYS[gateway]
    checkout_id, payment_id = row.pending(merchant)
    before = _snapshot(checkout_id, payment_id)
    body = row.body(payment_id, **row.success, **{row.amount: 1})
    assert _post(notify_url(payment_id), body, row).status_code == 200
    run_jobs_until(_processed(), timeout=15)
    [note] = notifications()
    assert bytes(note.body) == body and note.outcome == "pending"
    assert _snapshot(checkout_id, payment_id) == before


def test_a_claimed_failure_of_a_paid_payment_changes_nothing(gateway, merchant,
                                                              run_jobs_until):
    row = GATEWAYS[gateway]
    checkout_id, payment_id = row.paid(merchant)
    run_jobs_until(lambda: payment(payment_id).status == "succeeded" and _processed()(),
                   timeout=20)
    before = _snapshot(checkout_id, payment_id)
    body = row.body(payment_id, **row.failure, **{row.amount: 1})
    r = _post(notify_url(payment_id), body, row)
    assert r.status_code == 200 and r.json()["duplicate"] is False
    run_jobs_until(_processed(), timeout=15)
    assert [bytes(n.body) for n in notifications()][-1] == body      # recorded
    after = _snapshot(checkout_id, payment_id)
    assert after["payment"] == before["payment"] and after["checkout"] == before["checkout"]
    assert after["events"] == before["events"]
    assert payment(payment_id).status == "succeeded"


def test_another_merchants_payment_named_at_my_endpoint_changes_nothing(
        gateway, merchant, make_merchant):
    """Mallory sends Alice's payment reference to Mallory's own endpoint (and Alice's
    to Alice's endpoint with Mallory's reference): neither account owns the other's
    payment, both stay pending."""
    row = GATEWAYS[gateway]
    mallory = make_merchant(name="Mallory")
    a_checkout, a_payment = row.pending(merchant)
    m_checkout, m_payment = row.pending(mallory)
    before = (_snapshot(a_checkout, a_payment), _snapshot(m_checkout, m_payment))
    for target, named in ((m_payment, a_payment), (a_payment, m_payment)):
        r = _post(notify_url(target), row.body(named, **row.success), row)
        assert r.status_code == 200 and r.json()["duplicate"] is False
    notes = notifications()
    assert len(notes) == 2                                           # both recorded
    for note in notes:
        assert process.process_notification(note.id) == "retry_later"    # no such payment
        _age(note.id, 11)                                            # past the patience
        assert process.process_notification(note.id) == "unknown_payment"
    db.session.rollback()
    assert (_snapshot(a_checkout, a_payment), _snapshot(m_checkout, m_payment)) == before


def test_my_notification_sent_with_another_accounts_token_changes_nothing(
        gateway, merchant, make_merchant):
    row = GATEWAYS[gateway]
    other = make_merchant(name="Other")
    checkout_id, payment_id = row.pending(merchant)
    before = _snapshot(checkout_id, payment_id)
    other_account = db.session.execute(db.select(GatewayAccount).where(
        GatewayAccount.merchant_id == other.id, GatewayAccount.gateway == gateway,
        GatewayAccount.livemode.is_(False))).scalar_one()
    url = account_context(other_account).notify_url
    r = _post(url, row.body(payment_id, **row.success), row)
    assert r.status_code == 200
    [note] = notifications()
    assert note.gateway_account_id == other_account.id                # recorded there
    assert process.process_notification(note.id) == "retry_later"
    _age(note.id, 11)
    assert process.process_notification(note.id) == "unknown_payment"
    db.session.rollback()
    assert _snapshot(checkout_id, payment_id) == before


# -- (d) wrong token --------------------------------------------------------------------

def test_a_wrong_token_is_a_404_and_nothing_is_stored(gateway, merchant, live_server):
    row = GATEWAYS[gateway]
    checkout_id, payment_id = row.pending(merchant)
    before = _snapshot(checkout_id, payment_id)
    body = row.body(payment_id, **row.success)
    mine = _token(merchant, gateway)
    other_gateway = next(name for name in all_gateways() if name != gateway)
    urls = [f"{live_server.url}/webhooks/{gateway}/{t}" for t in (
        "not-a-token", mine[:-1], mine + "x", mine.upper() if mine.upper() != mine else "X",
        _token(merchant, other_gateway), "t" * 65)]
    urls.append(f"{live_server.url}/webhooks/no-such-gateway/{mine}")
    urls.append(f"{live_server.url}/webhooks/{other_gateway}/{mine}")
    for url in urls:
        r = _post(url, body, row)
        assert r.status_code == 404, url
        if r.headers.get("Content-Type", "").startswith("application/json"):
            assert r.json()["error"]["code"] == "unknown_endpoint"
    assert notifications() == []
    assert _snapshot(checkout_id, payment_id) == before


def test_a_token_or_gateway_with_a_nul_is_a_404_not_an_outage(gateway, merchant,
                                                               live_server):
    row = GATEWAYS[gateway]
    _c, payment_id = row.pending(merchant)
    body = row.body(payment_id, **row.success)
    mine = _token(merchant, gateway)
    for url in (f"{live_server.url}/webhooks/{gateway}/%00",
                f"{live_server.url}/webhooks/{gateway}/{mine}%00",
                f"{live_server.url}/webhooks/{gateway}%00/{mine}"):
        assert _post(url, body, row).status_code == 404, url
    assert notifications() == []


# -- (e) malformed ----------------------------------------------------------------------

def test_a_malformed_body_is_a_400_recorded_and_changes_nothing(gateway, merchant,
                                                                 run_jobs_until):
    row = GATEWAYS[gateway]
    checkout_id, payment_id = row.pending(merchant)
    before = _snapshot(checkout_id, payment_id)
    for body in row.malformed:
        r = _post(notify_url(payment_id), body, row)
        assert r.status_code == 400, body
        assert r.json()["error"]["code"] in ("verification_failed",
                                             "unprocessable_notification")
    notes = notifications()
    assert sorted(bytes(n.body) for n in notes) == sorted(set(row.malformed))
    assert all(n.outcome == "rejected" and n.processed_at for n in notes)
    run_jobs_until(lambda: True, timeout=5)
    assert _snapshot(checkout_id, payment_id) == before
