"""Incoming FeexPay notifications over real HTTP: stored raw, de-duplicated, confirmed
only by the provider's status call, safe under concurrent delivery."""
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from sqlalchemy.exc import OperationalError

from checkout.extensions import db
from checkout.gateways.feexpay.adapter import FeexPay
from checkout.jobs import polling
from checkout.merchants.accounts import account_context
from checkout.models import GatewayAccount, GatewayNotification
from checkout.payments.refresh import refresh_payment
from checkout.webhooks_in import process, receive
from tests.factories import checkout, events, notifications, payment, start_attempt, timeline
from tests.waiting import wait_until

from .support import feexpay_webhook, notify_url


def _wait_final_at_provider(simulator, reference, timeout=5):
    wait_until(lambda: simulator.transaction(reference)["status"] in ("SUCCESSFUL", "FAILED"),
               timeout, what="the provider settling")


def test_unknown_endpoint_is_a_json_404(live_server, merchant):
    resp = requests.post(f"{live_server.url}/webhooks/feexpay/not-a-token", json={}, timeout=5)
    assert resp.status_code == 404
    assert resp.json()["error"]["code"] == "unknown_endpoint"


def test_token_of_another_gateway_is_a_404(live_server, merchant):
    token = db.session.execute(db.select(GatewayAccount.webhook_token).where(
        GatewayAccount.merchant_id == merchant.id, GatewayAccount.gateway == "cod")).scalar_one()
    resp = requests.post(f"{live_server.url}/webhooks/feexpay/{token}", json={}, timeout=5)
    assert resp.status_code == 404


def test_oversized_body_is_413_and_not_stored(live_server, merchant):
    _c, payment_id = start_attempt(merchant, "04")
    resp = requests.post(notify_url(payment_id), data=b"x" * (64 * 1024 + 1),
                         headers={"Content-Type": "application/json"}, timeout=5)
    assert resp.status_code == 413
    assert resp.json()["error"]["code"] == "payload_too_large"
    assert notifications() == []


def test_unreadable_body_is_400_and_stored_as_rejected(live_server, merchant):
    _c, payment_id = start_attempt(merchant, "04")
    resp = requests.post(notify_url(payment_id), data=b"not json", timeout=5)
    assert resp.status_code == 400
    [note] = notifications()
    assert note.outcome == "rejected" and note.body == b"not json"
    assert note.processed_at is not None


def test_forged_success_for_a_pending_payment_changes_nothing(live_server, merchant,
                                                              run_jobs_until):
    checkout_id, payment_id = start_attempt(merchant, "04")       # the provider never settles it
    body = feexpay_webhook(payment_id, status="SUCCESSFUL")
    resp = requests.post(notify_url(payment_id), json=body, timeout=5)
    assert resp.status_code == 200 and resp.json() == {"received": True, "duplicate": False}
    run_jobs_until(lambda: notifications()[0].processed_at, timeout=10)
    [note] = notifications()
    assert note.outcome == "pending"
    assert payment(payment_id).status == "pending"
    assert checkout(checkout_id).status == "processing"
    assert timeline(checkout_id, "status_changed") == []
    assert events(checkout_id) == []
    # Stored raw, as received, headers included (minus secrets).
    assert b'"SUCCESSFUL"' in note.body and note.headers.get("Content-Type")


def test_hint_with_a_reference_of_another_payment_is_rejected(live_server, merchant,
                                                              simulator, run_jobs_until):
    """Our attempt whose initiation outcome was unknown (no reference stored) is named by
    a notification carrying a real, successful reference that the provider ties to
    another payment: the status call exposes it, nothing is applied."""
    checkout_id, victim_id = start_attempt(merchant, "04")
    victim = payment(victim_id)
    victim.provider_reference = None
    account = db.session.get(GatewayAccount, victim.gateway_account_id)
    creds = account_context(account).credentials
    db.session.commit()
    other = requests.post(
        f"{simulator.url}/feexpay/api/transactions/public/requesttopay/mtn",
        json={"shop": creds["shop"], "amount": 5000, "phoneNumber": "2290190000005",
              "callback_info": "pay_somebodyelse"},
        headers={"Authorization": f"Bearer {creds['api_key']}"}, timeout=5).json()
    _wait_final_at_provider(simulator, other["reference"])
    forged = feexpay_webhook(victim_id, reference=other["reference"])
    requests.post(notify_url(victim_id), json=forged, timeout=5).raise_for_status()
    run_jobs_until(lambda: notifications()[0].processed_at, timeout=10)
    [note] = notifications()
    assert note.outcome == "rejected" and "reference_mismatch" in note.error
    assert payment(victim_id).status == "pending"
    assert timeline(checkout_id, "status_changed") == []


def test_reference_differing_from_the_stored_one_is_rejected(live_server, merchant,
                                                             run_jobs_until):
    checkout_id, payment_id = start_attempt(merchant, "04")
    body = feexpay_webhook(payment_id, reference="4c1b1e2e-0000-4000-8000-000000000000")
    requests.post(notify_url(payment_id), json=body, timeout=5).raise_for_status()
    run_jobs_until(lambda: notifications()[0].processed_at, timeout=10)
    # Matched by hint to an attempt that has another reference: not believed.
    assert notifications()[0].outcome == "reference_mismatch"
    assert payment(payment_id).status == "pending"


def test_notification_for_another_merchants_payment_touches_nothing(live_server,
                                                                    make_merchant):
    alice, mallory = make_merchant(name="Alice"), make_merchant(name="Mallory")
    checkout_id, alice_payment = start_attempt(alice, "04")
    _c, mallory_payment = start_attempt(mallory, "04")
    body = feexpay_webhook(alice_payment)
    requests.post(notify_url(mallory_payment), json=body, timeout=5).raise_for_status()
    note = db.session.execute(db.select(GatewayNotification)).scalar_one()
    assert process.process_notification(note.id) == "retry_later"   # no such payment here
    db.session.rollback()
    assert payment(mallory_payment).status == "pending"
    assert timeline(checkout_id, "status_changed") == []


def test_fifty_concurrent_identical_deliveries_make_one_transition(live_server, merchant,
                                                                   simulator, worker,
                                                                   monkeypatch):
    monkeypatch.setattr(FeexPay, "poll_schedule", (30,))   # the webhooks settle it
    checkout_id, payment_id = start_attempt(merchant, "05")      # no webhook of its own
    reference = payment(payment_id).provider_reference
    _wait_final_at_provider(simulator, reference)
    url, body = notify_url(payment_id), feexpay_webhook(payment_id)
    barrier = threading.Barrier(50)

    def deliver(_):
        with requests.Session() as http:
            barrier.wait(5)
            return http.post(url, json=body, timeout=20)

    with ThreadPoolExecutor(50) as pool:
        answers = list(pool.map(deliver, range(50)))
    assert [r.status_code for r in answers] == [200] * 50
    assert sum(1 for r in answers if not r.json()["duplicate"]) == 1
    worker.run_jobs_until(lambda: payment(payment_id).status == "succeeded", timeout=10)
    worker.run_jobs_until(lambda: all(n.processed_at for n in notifications()), timeout=10)
    [note] = notifications()
    assert note.duplicates == 49 and note.outcome == "applied"
    assert len(timeline(checkout_id, "status_changed")) == 1
    assert len(events(checkout_id, "checkout.paid")) == 1
    assert checkout(checkout_id).status == "paid"


@pytest.mark.parametrize("round_", range(3))
def test_webhook_poll_and_return_together_leave_one_state(live_server, merchant, simulator,
                                                          round_):
    app = live_server.app
    checkout_id, payment_id = start_attempt(merchant, "05")
    reference = payment(payment_id).provider_reference
    _wait_final_at_provider(simulator, reference)
    resp = requests.post(notify_url(payment_id), json=feexpay_webhook(payment_id), timeout=5)
    note_id = db.session.execute(db.select(GatewayNotification.id)).scalar_one()
    assert resp.status_code == 200
    barrier = threading.Barrier(3)
    errors = []

    def run(fn):
        try:
            with app.app_context():
                barrier.wait(5)
                fn()
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    calls = [lambda: process.process_notification(note_id),
             lambda: polling.poll_once(payment_id),
             lambda: refresh_payment(payment_id, "return")]
    threads = [threading.Thread(target=run, args=(fn,)) for fn in calls]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == []
    db.session.rollback()
    assert payment(payment_id).status == "succeeded"
    assert checkout(checkout_id).status == "paid"
    changed = timeline(checkout_id, "status_changed")
    assert len(changed) == 1 and changed[0].to_status == "succeeded"
    assert len(events(checkout_id, "checkout.paid")) == 1
    assert {e.source for e in timeline(checkout_id, "report_repeated")} <= \
        {"webhook", "poll", "return"}


def test_a_database_outage_is_a_503_not_a_500(client, merchant, monkeypatch):
    token = db.session.execute(db.select(GatewayAccount.webhook_token).where(
        GatewayAccount.merchant_id == merchant.id,
        GatewayAccount.gateway == "feexpay")).scalar_one()

    def down(*_a, **_kw):
        raise OperationalError("INSERT", {}, Exception("connection refused"))

    monkeypatch.setattr(receive, "_store", down)
    resp = client.post(f"/webhooks/feexpay/{token}",
                       json={"reference": "4c1b1e2e-0000-4000-8000-000000000000",
                             "status": "SUCCESSFUL"})
    assert resp.status_code == 503
    assert resp.get_json()["error"]["code"] == "temporarily_unavailable"
