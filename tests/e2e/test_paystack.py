"""Paystack end to end: our hosted page and API over real HTTP, the Paystack simulator's
hosted card page driven like a browser (GET it, POST the fields its form has), mobile
money charged from our own page (approve on the phone; Telecel/Vodafone's voucher typed
on our page), signed webhooks to the live app, the real worker.

The shopper's return (``/c/<id>/return?payment=…&trxref=…&reference=…``) proves nothing
by itself: our page asks Paystack (verify) before any change. The signed webhook and
polling are the other routes to the same single final state."""
import html
import json
import re

import pytest
import requests

from checkout.extensions import db
from checkout.gateways import get_gateway
from checkout.gateways.paystack.notifications import signature
from checkout.gateways.paystack.wire import reference_for
from checkout.jobs.payments import poll_pending_refunds
from checkout.merchants.accounts import account_context
from checkout.models import Refund
from tests.factories import checkout, events, notifications, payment, timeline
from tests.waiting import wait_until
from tests.webhooks_in.support import notify_url

from .shopper import (
    PAYSTACK_CARD,
    account_of,
    changes,
    fresh,
    location,
    lose_notifications,
    path_of,
    poll_planned,
    processed_notifications,
    refund_events,
    settled,
    sim_transaction,
    without_webhooks,
)

pytestmark = pytest.mark.usefixtures("live_server")
PAYSTACK = type(get_gateway("paystack"))
AMOUNT = 123450                      # NGN 1,234.50
EMAIL = "ama@example.com"


@pytest.fixture
def fast_polls(monkeypatch):
    monkeypatch.setattr(PAYSTACK, "poll_schedule", (1,))


@pytest.fixture
def slow_polls(monkeypatch):
    """The first poll far away: what happens is the webhook's doing."""
    monkeypatch.setattr(PAYSTACK, "poll_schedule", (30,))





def sim(simulator, payment_id):
    return sim_transaction(simulator, "paystack", reference_for(payment_id))


def paystack_says(simulator, payment_id):
    """Paystack's own verify answer about the payment (with the merchant's key)."""
    key = account_context(account_of(payment_id)).credentials["secret_key"]
    db.session.commit()
    resp = requests.get(f"{simulator.url}/paystack/transaction/verify/"
                        f"{reference_for(payment_id)}",
                        headers={"Authorization": f"Bearer {key}"}, timeout=5)
    assert resp.status_code == 200, resp.text
    return resp.json()["data"]


def to_paystack(api, shopper, simulator, amount=AMOUNT, currency="NGN", country="NG"):
    """A checkout without the shopper's email; the shopper picks "Card (Paystack)" on
    our page, types an email (the page asks for it) and is sent to Paystack's page.
    -> (checkout id, payment id, Paystack page URL)."""
    co = api.checkout(amount=amount, currency=currency, country=country)
    page = shopper.picker(co["id"])
    assert 'value="paystack_card"' in page and 'id="email"' in page
    url = location(shopper.choose(co["id"], "paystack_card", email=EMAIL))
    assert url.startswith(f"{simulator.url}/paystack/checkout/"), url
    fresh()
    payment_id = checkout(co["id"]).latest_payment_id
    assert payment(payment_id).status == "pending"
    assert checkout(co["id"]).customer == {"email": EMAIL}
    return co["id"], payment_id, url


def back_to_us(shopper, resp, checkout_id, payment_id):
    """Paystack's 303 back to our return page (with its trxref and reference), followed."""
    back = location(resp)
    reference = reference_for(payment_id)
    assert path_of(back) == (f"/c/{checkout_id}/return?payment={payment_id}"
                             f"&trxref={reference}&reference={reference}")
    return shopper.follow(resp)


# -- cards on Paystack's page -----------------------------------------------------------------

def test_paid_on_paystacks_page_is_verified_on_return_and_the_webhook_agrees(
        api, shopper, simulator, start_worker, fast_polls, redis_conn):
    checkout_id, payment_id, url = to_paystack(api, shopper, simulator)
    page, form = shopper.provider_page(url)
    assert "1234.50 NGN" in page.text and EMAIL in page.text
    assert set(PAYSTACK_CARD) <= set(form["inputs"])
    back = shopper.fill_in(url, "succeed", PAYSTACK_CARD)
    fresh()
    assert payment(payment_id).status == "pending"     # paid at Paystack: nothing believed yet
    final = back_to_us(shopper, back, checkout_id, payment_id)
    # Nothing runs in the background: the return page asked Paystack, and that settled it.
    assert final.status_code == 200 and path_of(final.url) == f"/c/{checkout_id}/wait"
    assert "Payment received" in final.text
    fresh()
    assert changes(checkout_id) == [("return", "succeeded")]
    pay, co = payment(payment_id), checkout(checkout_id)
    assert (pay.status, pay.amount, pay.currency) == ("succeeded", AMOUNT, "NGN")
    assert (co.status, co.payment_id) == ("paid", payment_id)
    held = sim(simulator, payment_id)
    assert (held["status"], held["amount"], held["currency"], held["channel"]) == \
        ("success", AMOUNT, "NGN", "card")
    # The signed charge.success webhook, then a poll: the same single final state.
    assert not poll_planned(payment_id)                # settled: nothing left to poll
    worker = start_worker()
    worker.run_jobs_until(processed_notifications(1), timeout=15)
    [note] = notifications()
    assert note.outcome == "noop" and note.headers.get("X-Paystack-Signature")
    assert changes(checkout_id) == [("return", "succeeded")]
    assert len(events(checkout_id, "checkout.paid")) == 1
    got = api.get(f"/checkouts/{checkout_id}").json()
    assert (got["status"], got["amount"], got["currency"]) == ("paid", AMOUNT, "NGN")
    assert (got["payment"]["method"], got["payment"]["amount"]) == ("paystack_card", AMOUNT)


def test_a_shopper_who_never_comes_back_is_paid_by_the_signed_webhook(
        api, shopper, simulator, start_worker, slow_polls):
    checkout_id, payment_id, url = to_paystack(api, shopper, simulator)
    back = shopper.fill_in(url, "succeed", PAYSTACK_CARD)
    assert back.status_code == 303                       # the tab is closed right here
    worker = start_worker()
    worker.run_jobs_until(processed_notifications(1), timeout=15)
    assert payment(payment_id).status == "succeeded"
    assert changes(checkout_id) == [("webhook", "succeeded")]
    assert [n.outcome for n in notifications()] == ["applied"]
    assert len(events(checkout_id, "checkout.paid")) == 1
    final = shopper.follow(back)
    assert final.status_code == 200 and "Payment received" in final.text
    fresh()
    assert changes(checkout_id) == [("webhook", "succeeded")]


def test_when_no_webhook_reaches_us_polling_alone_settles_it(
        api, shopper, simulator, start_worker, fast_polls):
    checkout_id, payment_id, url = to_paystack(api, shopper, simulator)
    lose_notifications(payment_id)
    assert shopper.fill_in(url, "succeed", PAYSTACK_CARD).status_code == 303
    worker = start_worker()
    worker.run_jobs_until(lambda: payment(payment_id).status == "succeeded", timeout=15)
    assert changes(checkout_id) == [("poll", "succeeded")]
    assert notifications() == []
    assert checkout(checkout_id).status == "paid"
    assert len(events(checkout_id, "checkout.paid")) == 1


def test_a_declined_card_fails_the_attempt_and_the_shopper_may_choose_again(
        api, shopper, simulator, start_worker, fast_polls, redis_conn):
    checkout_id, payment_id, url = to_paystack(api, shopper, simulator)
    refused = shopper.fill_in(url, "succeed", {**PAYSTACK_CARD, "cvv": "999"})
    assert refused.status_code == 422 and "Invalid CVV" in refused.text
    final = back_to_us(shopper, shopper.fill_in(url, "decline", {}), checkout_id, payment_id)
    assert final.status_code == 200 and "The payment did not go through" in final.text
    fresh()
    pay = payment(payment_id)
    assert (pay.status, pay.failure_code) == ("failed", "declined")
    assert changes(checkout_id) == [("return", "failed")]
    assert checkout(checkout_id).status == "open"
    assert len(events(checkout_id, "payment.failed")) == 1
    # Paystack sends no webhook for a failed charge, and nothing is left to poll.
    assert not poll_planned(payment_id)
    assert changes(checkout_id) == [("return", "failed")] and notifications() == []
    assert 'value="paystack_card"' in shopper.picker(checkout_id)


def test_an_abandoned_page_leaves_the_attempt_pending_then_paystack_calls_it_abandoned(
        api, shopper, simulator, start_worker, fast_polls, monkeypatch):
    monkeypatch.setattr(PAYSTACK, "deadline_seconds", 6)
    checkout_id, payment_id, url = to_paystack(api, shopper, simulator)
    # Abandon sends the shopper to metadata.cancel_action: our return page too.
    abandoned = shopper.fill_in(url, "abandon", {})
    assert path_of(location(abandoned)) == f"/c/{checkout_id}/return?payment={payment_id}"
    final = shopper.follow(abandoned)
    assert final.status_code == 200 and "Choose another way to pay" in final.text
    fresh()
    assert payment(payment_id).status == "pending" and changes(checkout_id) == []
    worker = start_worker()
    worker.run_jobs_until(lambda: payment(payment_id).status != "pending", timeout=15)
    pay = payment(payment_id)
    assert (pay.status, pay.failure_code) == ("failed", "abandoned")
    assert checkout(checkout_id).status == "open"
    assert events(checkout_id, "checkout.paid") == []


# -- mobile money on our own page ------------------------------------------------------------

def momo_checkout(api, shopper, currency, country, method, **body):
    co = api.checkout(amount=2500, currency=currency, country=country, **body)
    page = shopper.picker(co["id"])
    assert f'value="{method}"' in page and 'id="phone"' in page
    return co["id"], page


def test_mtn_ghana_approve_on_the_phone_then_paid(api, shopper, simulator, worker):
    checkout_id, page = momo_checkout(api, shopper, "GHS", "GH", "paystack_mtn_gh")
    assert 'id="email"' in page                   # Paystack needs it; the merchant gave none
    answer = shopper.choose(checkout_id, "paystack_mtn_gh", phone="0240000001", email=EMAIL)
    assert path_of(location(answer)) == f"/c/{checkout_id}/wait"
    fresh()
    payment_id = checkout(checkout_id).latest_payment_id
    wait = shopper.get(f"/c/{checkout_id}/wait")
    if payment(payment_id).status == "pending":
        assert "Approve the payment on your phone" in wait.text
    worker.run_jobs_until(lambda: payment(payment_id).status == "succeeded", timeout=15)
    assert "Payment received" in shopper.get(f"/c/{checkout_id}/wait").text
    held = sim(simulator, payment_id)
    assert (held["provider"], held["amount"], held["currency"]) == ("mtn", 2500, "GHS")
    assert checkout(checkout_id).customer == {"email": EMAIL}
    assert paystack_says(simulator, payment_id)["customer"]["email"] == EMAIL
    assert len(events(checkout_id, "checkout.paid")) == 1
    assert len(timeline(checkout_id, "status_changed")) == 1


def test_vodafone_ghana_asks_for_the_voucher_on_our_page(api, shopper, simulator, worker):
    checkout_id, _page = momo_checkout(api, shopper, "GHS", "GH", "paystack_vod_gh",
                                       customer={"email": EMAIL})
    answer = shopper.choose(checkout_id, "paystack_vod_gh", phone="0200000001")
    assert path_of(location(answer)) == f"/c/{checkout_id}/wait"
    ask = shopper.get(f"/c/{checkout_id}/wait")
    assert ask.status_code == 200 and "Type the code you received" in ask.text
    assert "*110#" in html.unescape(ask.text)           # what Paystack's display_text says
    fresh()
    payment_id = checkout(checkout_id).latest_payment_id
    assert sim(simulator, payment_id)["status"] == "send_otp"

    wrong = shopper.type_code(checkout_id, "000000")
    assert wrong.status_code == 400, (wrong.status_code, wrong.headers.get("Location"))
    assert "This code was not accepted" in wrong.text
    fresh()
    assert payment(payment_id).status == "pending"
    assert sim(simulator, payment_id)["status"] == "send_otp"

    right = shopper.type_code(checkout_id, "123 456")
    assert path_of(location(right)) == f"/c/{checkout_id}/wait"
    fresh()
    if payment(payment_id).status == "pending":
        assert "Approve the payment on your phone" in shopper.get(f"/c/{checkout_id}/wait").text
    worker.run_jobs_until(lambda: payment(payment_id).status == "succeeded", timeout=15)
    assert "Payment received" in shopper.get(f"/c/{checkout_id}/wait").text
    assert len(events(checkout_id, "checkout.paid")) == 1


def test_mpesa_kenya_approve_on_the_phone_then_paid(api, shopper, simulator, worker):
    # Daraja's M-Pesa comes first in the catalog: the checkout names Paystack's.
    checkout_id, _page = momo_checkout(api, shopper, "KES", "KE", "paystack_mpesa_ke",
                                       methods=["paystack_mpesa_ke"])
    answer = shopper.choose(checkout_id, "paystack_mpesa_ke", phone="0712345601",
                            email=EMAIL)
    assert path_of(location(answer)) == f"/c/{checkout_id}/wait"
    fresh()
    payment_id = checkout(checkout_id).latest_payment_id
    worker.run_jobs_until(lambda: payment(payment_id).status == "succeeded", timeout=15)
    assert "Payment received" in shopper.get(f"/c/{checkout_id}/wait").text
    held = sim(simulator, payment_id)
    assert (held["provider"], held["amount"], held["currency"]) == ("mpesa", 2500, "KES")
    assert len(events(checkout_id, "checkout.paid")) == 1


def test_an_email_is_asked_only_when_the_checkout_has_none(api, shopper, simulator):
    checkout_id, page = momo_checkout(api, shopper, "GHS", "GH", "paystack_mtn_gh")
    assert 'id="email"' in page
    missing = shopper.choose(checkout_id, "paystack_mtn_gh", phone="0240000001")
    assert missing.status_code == 400 and "this way to pay needs it" in missing.text
    bad = shopper.choose(checkout_id, "paystack_mtn_gh", phone="0240000001", email="nope")
    assert bad.status_code == 400 and 'value="nope"' in bad.text
    fresh()
    assert checkout(checkout_id).latest_payment_id is None
    known, page = momo_checkout(api, shopper, "GHS", "GH", "paystack_mtn_gh",
                                customer={"email": "kofi@example.com"})
    assert 'id="email"' not in page
    answer = shopper.choose(known, "paystack_mtn_gh", phone="0240000001")
    assert path_of(location(answer)) == f"/c/{known}/wait"
    fresh()
    payment_id = checkout(known).latest_payment_id
    assert sim(simulator, payment_id)["provider"] == "mtn"
    assert paystack_says(simulator, payment_id)["customer"]["email"] == "kofi@example.com"


# -- refunds --------------------------------------------------------------------------------

def paid(api, shopper, simulator):
    checkout_id, payment_id, url = to_paystack(api, shopper, simulator)
    shopper.follow(shopper.fill_in(url, "succeed", PAYSTACK_CARD))
    fresh()
    assert payment(payment_id).status == "succeeded"
    return checkout_id, payment_id



def test_a_partial_then_a_full_refund_settle_by_paystacks_webhooks(
        api, shopper, simulator, start_worker):
    _checkout_id, payment_id = paid(api, shopper, simulator)
    worker = start_worker()
    part = api.refund(payment_id, amount=20000, reason="one shirt returned")
    assert part.status_code == 201, part.text
    assert (part.json()["status"], part.json()["amount"]) == ("pending", 20000)
    got = worker.run_jobs_until(settled(api, part.json()["id"]), timeout=15)
    assert (got["status"], got["amount"], got["currency"]) == ("succeeded", 20000, "NGN")
    rest = api.refund(payment_id)
    assert rest.status_code == 201, rest.text
    assert (rest.json()["status"], rest.json()["amount"]) == ("pending", AMOUNT - 20000)
    assert worker.run_jobs_until(settled(api, rest.json()["id"]), timeout=15)["status"] == \
        "succeeded"
    assert api.get(f"/payments/{payment_id}").json()["refunded_amount"] == AMOUNT
    assert {e["data"]["id"] for e in api.events("refund.succeeded")} == \
        {part.json()["id"], rest.json()["id"]}
    assert api.events("refund.failed") == []
    held = sim(simulator, payment_id)
    assert held["status"] == "reversed"
    assert sorted((r["amount"], r["status"]) for r in held["refunds"]) == \
        [(20000, "processed"), (AMOUNT - 20000, "processed")]
    # The refund.pending and refund.processed webhooks were all recorded and processed.
    worker.run_jobs_until(lambda: all(n.processed_at for n in notifications()), timeout=10)
    refund_notes = [n for n in notifications() if b'"refund.' in bytes(n.body)]
    assert sorted(n.outcome for n in refund_notes) == \
        ["refund_pending", "refund_pending", "refund_succeeded", "refund_succeeded"]


def test_refunds_whose_webhooks_never_come_are_settled_by_the_sweepers_polling(
        api, shopper, simulator, merchant, redis_conn):
    _checkout_id, payment_id = paid(api, shopper, simulator)
    without_webhooks(merchant, "paystack")
    made = [api.refund(payment_id, amount=30000), api.refund(payment_id)]
    assert [(r.status_code, r.json()["status"]) for r in made] == [(201, "pending")] * 2
    ids = [r.json()["id"] for r in made]
    for refund_id in ids:
        row = db.session.get(Refund, refund_id)
        row.created_at = row.created_at.replace(year=row.created_at.year - 1)
    db.session.commit()

    def sweep():
        redis_conn.delete("every:poll-refunds")
        poll_pending_refunds()
        fresh()
        return all(db.session.get(Refund, i).status != "pending" for i in ids)

    wait_until(sweep, timeout=10, what="the refunds polled to their end")
    got = [db.session.get(Refund, i) for i in ids]
    assert [(r.status, r.amount) for r in got] == [("succeeded", 30000),
                                                   ("succeeded", AMOUNT - 30000)]
    assert [[e.type for e in refund_events(i)] for i in ids] == [["refund.succeeded"]] * 2
    assert payment(payment_id).refunded_amount == AMOUNT


def test_a_refund_paystack_refuses_ends_failed_with_its_reason(api, shopper, simulator):
    _checkout_id, payment_id = paid(api, shopper, simulator)
    # The merchant already refunded it all on Paystack's dashboard.
    key = account_context(account_of(payment_id)).credentials["secret_key"]
    db.session.commit()
    direct = requests.post(f"{simulator.url}/paystack/refund", timeout=5,
                           headers={"Authorization": f"Bearer {key}"},
                           json={"transaction": reference_for(payment_id)})
    assert direct.status_code == 200, direct.text
    wait_until(lambda: sim(simulator, payment_id)["status"] == "reversed", timeout=5)
    made = api.refund(payment_id, amount=10000)
    assert made.status_code == 201, made.text
    refund = made.json()
    assert refund["status"] == "failed"
    assert "Transaction has been fully reversed" in refund["failure_message"]
    assert [e["data"]["id"] for e in api.events("refund.failed")] == [refund["id"]]
    assert api.get(f"/payments/{payment_id}").json()["refunded_amount"] == 0


# -- bad input ------------------------------------------------------------------------------

def test_a_forged_return_changes_nothing_and_the_shopper_sees_a_clear_page(
        api, shopper, simulator, redis_conn):
    checkout_id, payment_id, url = to_paystack(api, shopper, simulator)
    reference = reference_for(payment_id)
    before = (changes(checkout_id), [e.type for e in events(checkout_id)])
    forged = [
        f"payment={payment_id}&status=success&reference=forged",
        f"payment={payment_id}&trxref={reference}&reference={reference}&status=success"
        "&amount=1&currency=NGN",
        f"payment={payment_id}&trxref=pay-forged&reference=pay-forged",
        "payment=pay_x&status=success&reference=forged",
        "status=success&reference=forged",
    ]
    answers = {}
    for query in forged:
        redis_conn.delete(f"return-refresh:{payment_id}")
        resp = shopper.get(f"/c/{checkout_id}/return?{query}")
        final = shopper.follow(resp) if resp.status_code == 303 else resp
        answers[query] = (resp.status_code, final.status_code,
                          "Finish the payment" in final.text)
    assert answers == {query: (303, 200, True) for query in forged}
    fresh()
    assert (changes(checkout_id), [e.type for e in events(checkout_id)]) == before
    assert payment(payment_id).status == "pending"
    redis_conn.delete(f"return-refresh:{payment_id}")
    final = back_to_us(shopper, shopper.fill_in(url, "succeed", PAYSTACK_CARD), checkout_id,
                       payment_id)
    assert "Payment received" in final.text


def test_a_signed_success_for_another_amount_never_pays_the_checkout(
        api, shopper, simulator, start_worker):
    checkout_id, payment_id, _url = to_paystack(api, shopper, simulator)
    key = account_context(account_of(payment_id)).credentials["secret_key"]
    db.session.commit()
    body = json.dumps({"event": "charge.success", "data": {
        "id": 4100009999, "domain": "test", "status": "success",
        "reference": reference_for(payment_id), "amount": 100, "currency": "NGN",
        "gateway_response": "Successful", "channel": "card",
        "paid_at": "2026-01-01T00:00:05.000Z", "created_at": "2026-01-01T00:00:00.000Z",
        "metadata": {"payment_id": payment_id}}}, separators=(",", ":")).encode()
    r = requests.post(notify_url(payment_id), data=body, timeout=10,
                      headers={"Content-Type": "application/json",
                               "x-paystack-signature": signature(key, body)})
    assert r.status_code == 200 and r.json() == {"received": True, "duplicate": False}
    worker = start_worker()
    worker.run_jobs_until(processed_notifications(1), timeout=10)
    [note] = notifications()
    assert bytes(note.body) == body                              # recorded
    pay, co = payment(payment_id), checkout(checkout_id)
    assert pay.status != "succeeded" and co.status != "paid"
    assert events(checkout_id, "checkout.paid") == []
    if pay.status == "failed":
        assert pay.failure_code == "amount_mismatch"


# -- money on the page ----------------------------------------------------------------------

# What CLDR says (Chromium's Intl.NumberFormat shows the same): a currency symbol that
# ends in a letter is kept apart from the digits by a no-break space ("Ksh 1,234.50").
@pytest.mark.parametrize(("currency", "country", "amount", "shown"), [
    ("NGN", "NG", 123450, "\u20a61,234.50"),
    ("NGN", "NG", 100000000, "\u20a61,000,000.00"),
    ("GHS", "GH", 123450, "GH\u20b51,234.50"),
    ("GHS", "GH", 5, "GH\u20b50.05"),
    ("KES", "KE", 123450, "Ksh\u00a01,234.50"),
    ("ZAR", "ZA", 123450, "R\u00a01\u00a0234,50"),
])
def test_amounts_on_the_picker(api, shopper, currency, country, amount, shown):
    co = api.checkout(amount=amount, currency=currency, country=country)
    page = shopper.picker(co["id"])
    assert 'value="paystack_card"' in page
    assert html.unescape(re.search(r'<p class="amount">(.*?)</p>', page).group(1)) == shown
    assert f"Pay {shown}" in html.unescape(page)
