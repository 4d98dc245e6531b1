"""Chapa end to end: our hosted page and API over real HTTP, the Chapa simulator's own
hosted page driven like a browser (GET it, POST the fields its form has), its signed
webhooks and GET callbacks to the live app, the real worker.

The shopper's return (``/c/<id>/return?payment=…``) proves nothing by itself: our page
asks Chapa (verify) before any change. The webhook, the callback and polling are the
other routes to the same single final state."""
import html
import re

import pytest
import requests

from checkout.extensions import db
from checkout.gateways import get_gateway
from checkout.gateways.chapa.notifications import signature
from checkout.jobs.payments import poll_pending_refunds
from checkout.merchants.accounts import account_context
from checkout.models import Refund
from tests.factories import checkout, events, notifications, payment
from tests.waiting import wait_until
from tests.webhooks_in.support import notify_url

from .shopper import (
    CHAPA_CARDS,
    Shopper,
    account_of,
    changes,
    chapa_card,
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
CHAPA = type(get_gateway("chapa"))
AMOUNT = 123450                      # ETB 1,234.50


@pytest.fixture
def fast_polls(monkeypatch):
    monkeypatch.setattr(CHAPA, "poll_schedule", (1,))



def to_chapa(api, shopper, simulator, amount=AMOUNT, **body):
    """A checkout in birr; the shopper picks Chapa on our page and is sent to Chapa's
    page. -> (checkout id, payment id, Chapa page URL)."""
    co = api.checkout(amount=amount, currency="ETB", country="ET", **body)
    page = shopper.picker(co["id"])
    assert 'value="chapa"' in page
    url = location(shopper.choose(co["id"], "chapa"))
    assert url.startswith(f"{simulator.url}/chapa/"), url
    fresh()
    payment_id = checkout(co["id"]).latest_payment_id
    assert payment(payment_id).status == "pending"
    return co["id"], payment_id, url


def back_to_us(shopper, resp, checkout_id, payment_id):
    """Chapa's 303 back to our return page, followed: -> our final page."""
    back = location(resp)
    assert path_of(back) == f"/c/{checkout_id}/return?payment={payment_id}"
    return shopper.follow(resp)




# -- paying ---------------------------------------------------------------------------------

def test_paid_on_chapas_page_is_verified_on_return_and_the_webhook_and_callback_agree(
        api, shopper, simulator, start_worker, fast_polls, redis_conn):
    checkout_id, payment_id, url = to_chapa(api, shopper, simulator)
    chapa_page, form = shopper.provider_page(url)
    assert html.unescape(re.search(r'<p id="amount">(.*?)</p>', chapa_page.text).group(1)) \
        == "1234.50 ETB"
    assert {"card_number", "expiry", "cvv"} <= set(form["inputs"])

    back = shopper.fill_in(url, "succeed", chapa_card())
    fresh()
    assert payment(payment_id).status == "pending"     # paid at Chapa: nothing believed yet
    final = back_to_us(shopper, back, checkout_id, payment_id)
    # Nothing runs in the background: the return page asked Chapa, and that settled it.
    assert final.status_code == 200 and path_of(final.url) == f"/c/{checkout_id}/wait"
    assert "Payment received" in final.text
    fresh()
    assert changes(checkout_id) == [("return", "succeeded")]
    pay, co = payment(payment_id), checkout(checkout_id)
    assert (pay.status, pay.amount, pay.currency) == ("succeeded", AMOUNT, "ETB")
    assert (co.status, co.payment_id) == ("paid", payment_id)
    sim = sim_transaction(simulator, "chapa", payment_id)
    assert (sim["status"], sim["amount"], sim["currency"], sim["mode"]) == \
        ("success", "1234.50", "ETB", "test")

    # Then Chapa's GET callback and signed webhook are processed, and a poll comes due:
    # the same single final state.
    assert not poll_planned(payment_id)                # settled: nothing left to poll
    worker = start_worker()
    worker.run_jobs_until(processed_notifications(2), timeout=15,
                          what="the callback and the webhook processed")
    assert changes(checkout_id) == [("return", "succeeded")]
    assert len(events(checkout_id, "checkout.paid")) == 1
    assert sorted(n.outcome for n in notifications()) == ["noop", "noop"]
    assert any(n.headers.get("X-Checkout-Callback") == "GET" for n in notifications())
    assert payment(payment_id).status == "succeeded"
    got = api.get(f"/checkouts/{checkout_id}").json()
    assert (got["status"], got["amount"], got["currency"]) == ("paid", AMOUNT, "ETB")
    assert (got["payment"]["id"], got["payment"]["method"], got["payment"]["amount"]) == \
        (payment_id, "chapa", AMOUNT)


def test_a_shopper_who_never_comes_back_is_paid_by_the_signed_webhook(
        api, shopper, simulator, start_worker):
    checkout_id, payment_id, url = to_chapa(api, shopper, simulator)
    back = shopper.fill_in(url, "succeed", chapa_card(CHAPA_CARDS[1]))
    assert back.status_code == 303                     # the tab is closed right here
    worker = start_worker()
    worker.run_jobs_until(processed_notifications(2), timeout=15)
    pay = payment(payment_id)
    assert (pay.status, pay.amount, pay.currency) == ("succeeded", AMOUNT, "ETB")
    assert changes(checkout_id) == [("webhook", "succeeded")]
    assert sorted(n.outcome for n in notifications()) == ["applied", "noop"]
    assert len(events(checkout_id, "checkout.paid")) == 1
    # The shopper comes back later: the page says paid, nothing changes again.
    final = shopper.follow(back)
    assert final.status_code == 200 and "Payment received" in final.text
    fresh()
    assert changes(checkout_id) == [("webhook", "succeeded")]
    assert len(events(checkout_id, "checkout.paid")) == 1


def test_when_no_notification_reaches_us_polling_alone_settles_it(
        api, shopper, simulator, start_worker, fast_polls):
    checkout_id, payment_id, url = to_chapa(api, shopper, simulator)
    lose_notifications(payment_id)
    assert shopper.fill_in(url, "succeed", chapa_card()).status_code == 303
    worker = start_worker()
    worker.run_jobs_until(lambda: payment(payment_id).status == "succeeded", timeout=15,
                          what="polling found the success")
    assert changes(checkout_id) == [("poll", "succeeded")]
    assert notifications() == []
    assert checkout(checkout_id).status == "paid"
    assert len(events(checkout_id, "checkout.paid")) == 1
    assert payment(payment_id).amount == AMOUNT


def test_a_declined_card_fails_the_attempt_and_the_shopper_may_choose_again(
        api, shopper, simulator, start_worker):
    checkout_id, payment_id, url = to_chapa(api, shopper, simulator)
    # A card Chapa does not take is refused on Chapa's page: nothing comes back to us.
    refused = shopper.fill_in(url, "succeed", {**chapa_card(), "card_number":
                                               "4000 0000 0000 0002"})
    assert refused.status_code == 422 and "declined" in refused.text
    final = back_to_us(shopper, shopper.fill_in(url, "decline", {}), checkout_id, payment_id)
    assert final.status_code == 200 and "The payment did not go through" in final.text
    fresh()
    pay = payment(payment_id)
    assert (pay.status, pay.failure_code) == ("failed", "declined")
    assert changes(checkout_id) == [("return", "failed")]
    assert checkout(checkout_id).status == "open"
    assert len(events(checkout_id, "payment.failed")) == 1
    # Chapa's charge.failed webhook and callback change nothing more.
    worker = start_worker()
    worker.run_jobs_until(processed_notifications(2), timeout=15)
    assert changes(checkout_id) == [("return", "failed")]
    assert len(events(checkout_id, "payment.failed")) == 1
    assert events(checkout_id, "checkout.paid") == []
    assert 'value="chapa"' in shopper.picker(checkout_id)        # choose again


def test_an_abandoned_page_leaves_the_attempt_pending_until_its_deadline(
        api, shopper, simulator, start_worker, fast_polls, monkeypatch):
    monkeypatch.setattr(CHAPA, "deadline_seconds", 4)
    checkout_id, payment_id, url = to_chapa(api, shopper, simulator)
    final = back_to_us(shopper, shopper.fill_in(url, "abandon", {}), checkout_id, payment_id)
    # Chapa still says pending: the shopper may go back to Chapa or choose another way.
    assert final.status_code == 200 and "Finish the payment" in final.text
    assert "Choose another way to pay" in final.text
    fresh()
    assert payment(payment_id).status == "pending" and changes(checkout_id) == []
    assert sim_transaction(simulator, "chapa", payment_id)["status"] == "pending"
    worker = start_worker()
    worker.run_jobs_until(lambda: payment(payment_id).status != "pending", timeout=15,
                          what="the attempt given up at its deadline")
    pay = payment(payment_id)
    assert (pay.status, pay.failure_code) == ("expired", "deadline")
    assert checkout(checkout_id).status == "open"
    assert events(checkout_id, "checkout.paid") == []
    assert shopper.get(f"/c/{checkout_id}").status_code == 200


# -- refunds --------------------------------------------------------------------------------

def paid(api, shopper, simulator, amount=AMOUNT):
    checkout_id, payment_id, url = to_chapa(api, shopper, simulator, amount=amount)
    shopper.follow(shopper.fill_in(url, "succeed", chapa_card()))
    fresh()
    assert payment(payment_id).status == "succeeded"
    return checkout_id, payment_id



def test_a_partial_then_a_full_refund_settle_by_chapas_webhook(
        api, shopper, simulator, start_worker):
    _checkout_id, payment_id = paid(api, shopper, simulator)
    worker = start_worker()
    part = api.refund(payment_id, amount=20000, reason="one shirt returned")
    assert part.status_code == 201, part.text
    assert (part.json()["status"], part.json()["amount"]) == ("pending", 20000)
    got = worker.run_jobs_until(settled(api, part.json()["id"]), timeout=15,
                                what="the partial refund settled")
    assert (got["status"], got["amount"], got["currency"]) == ("succeeded", 20000, "ETB")
    rest = api.refund(payment_id)                                  # all that is left
    assert rest.status_code == 201, rest.text
    assert (rest.json()["status"], rest.json()["amount"]) == ("pending", AMOUNT - 20000)
    got = worker.run_jobs_until(settled(api, rest.json()["id"]), timeout=15)
    assert got["status"] == "succeeded"
    refunded = api.get(f"/payments/{payment_id}").json()
    assert (refunded["status"], refunded["refunded_amount"]) == ("succeeded", AMOUNT)
    succeeded = {e["data"]["id"]: e["data"] for e in api.events("refund.succeeded")}
    assert set(succeeded) == {part.json()["id"], rest.json()["id"]}
    assert api.events("refund.failed") == []
    sim = sim_transaction(simulator, "chapa", payment_id)
    assert sim["status"] == "refunded" and sim["refunded"] == "1234.50"
    assert sorted(r["amount"] for r in sim["refunds"]) == ["1034.50", "200.00"]
    # Nothing more can be refunded.
    more = api.refund(payment_id, amount=1)
    assert more.status_code == 400
    assert more.json()["error"]["code"] == "refund_amount_too_large"


def test_a_full_refund_whose_webhook_never_comes_is_settled_by_the_sweepers_polling(
        api, shopper, simulator, merchant, redis_conn):
    _checkout_id, payment_id = paid(api, shopper, simulator)
    without_webhooks(merchant, "chapa")
    made = api.refund(payment_id)
    assert made.status_code == 201 and made.json()["status"] == "pending", made.text
    refund_id = made.json()["id"]
    # Once Chapa has done it, the sweeper's refund polling (for refunds pending longer
    # than its patience) finds it.
    row = db.session.get(Refund, refund_id)
    row.created_at = row.created_at.replace(year=row.created_at.year - 1)
    db.session.commit()

    def sweep():
        redis_conn.delete("every:poll-refunds")
        return poll_pending_refunds() or None

    assert wait_until(sweep, timeout=10, what="the refund polled to its end") == 1
    fresh()
    refund = db.session.get(Refund, refund_id)
    assert (refund.status, refund.amount) == ("succeeded", AMOUNT)
    assert [e.type for e in refund_events(refund_id)] == ["refund.succeeded"]
    assert payment(payment_id).refunded_amount == AMOUNT
    assert not any(b"charge.refunded" in bytes(n.body) for n in notifications())


def test_a_refund_chapa_refuses_ends_failed_with_its_reason(
        api, shopper, simulator, merchant):
    _checkout_id, payment_id = paid(api, shopper, simulator)
    # The merchant already refunded the whole payment on Chapa's dashboard.
    secret = account_context(account_of(payment_id)).credentials["secret_key"]
    db.session.commit()
    direct = requests.post(f"{simulator.url}/chapa/v1/refund/{payment_id}",
                           headers={"Authorization": f"Bearer {secret}"}, json={}, timeout=5)
    assert direct.status_code == 200, direct.text
    wait_until(lambda: sim_transaction(simulator, "chapa", payment_id)["status"] == "refunded",
               timeout=5)
    made = api.refund(payment_id, amount=10000)
    assert made.status_code == 201, made.text
    refund = made.json()
    assert refund["status"] == "failed"
    assert "Only successful transactions can be refunded" in refund["failure_message"]
    assert [e["data"]["id"] for e in api.events("refund.failed")] == [refund["id"]]
    assert api.events("refund.succeeded") == []
    assert api.get(f"/payments/{payment_id}").json()["refunded_amount"] == 0


# -- bad input ------------------------------------------------------------------------------

def test_a_forged_return_changes_nothing_and_the_shopper_sees_a_clear_page(
        api, shopper, simulator, redis_conn, live_server):
    checkout_id, payment_id, url = to_chapa(api, shopper, simulator)
    other_checkout, other_payment, _url = to_chapa(api, Shopper(live_server.url), simulator)
    before = (changes(checkout_id), [e.type for e in events(checkout_id)])
    forged = [
        f"payment={payment_id}&status=success&reference=forged",
        f"payment={payment_id}&status=success&tx_ref={payment_id}&trx_ref={payment_id}"
        "&amount=1&currency=ETB",
        "payment=pay_x&status=success&reference=forged",
        f"payment={other_payment}&status=success",
        "status=success&reference=forged", "payment=../../etc/passwd", "payment=pay_%00",
        "payment=" + "pay_" + "A" * 3000, "payment=%ff%fe&status=%00",
    ]
    answers = {}
    for query in forged:
        redis_conn.delete(f"return-refresh:{payment_id}")
        resp = shopper.get(f"/c/{checkout_id}/return?{query}")
        final = shopper.follow(resp) if resp.status_code == 303 else resp
        answers[query[:60]] = (resp.status_code, final.status_code,
                               "Finish the payment" in final.text)
    expected = {query[:60]: (303, 200, True) for query in forged}
    for bad in ("/c/cs_nope/return", f"/c/{checkout_id}%00/return"):
        resp = shopper.get(f"{bad}?payment={payment_id}&status=success")
        answers[bad] = (resp.status_code, "Page not found" in resp.text)
        expected[bad] = (404, True)
    # Every answer a clear page: our wait page (Chapa still says pending), or "not found".
    assert answers == expected
    fresh()
    assert (changes(checkout_id), [e.type for e in events(checkout_id)]) == before
    assert payment(payment_id).status == "pending"
    assert payment(other_payment).status == "pending"
    assert all(r.status_code < 500 for r in shopper.trail)
    # The real payment then goes through as usual.
    redis_conn.delete(f"return-refresh:{payment_id}")
    final = back_to_us(shopper, shopper.fill_in(url, "succeed", chapa_card()), checkout_id,
                       payment_id)
    assert "Payment received" in final.text
    fresh()
    assert changes(checkout_id) == [("return", "succeeded")]
    assert checkout(other_checkout).status == "processing"


def test_a_signed_success_for_another_amount_never_pays_the_checkout(
        api, shopper, simulator, start_worker):
    checkout_id, payment_id, _url = to_chapa(api, shopper, simulator)
    credentials = account_context(account_of(payment_id)).credentials
    db.session.commit()
    body = (
        '{"event":"charge.success","first_name":"Abebe","last_name":"Bikila",'
        '"email":"abebe@example.com","mobile":null,"currency":"ETB","amount":"1.00",'
        '"charge":"0.04","status":"success","mode":"test","reference":"APforged01",'
        '"created_at":"2026-01-01T00:00:00.000000Z","updated_at":"2026-01-01T00:00:00.000000Z",'
        f'"type":"API","tx_ref":"{payment_id}","payment_method":"card"}}').encode()
    headers = {"Content-Type": "application/json",
               "x-chapa-signature": signature(credentials["webhook_secret"], body)}
    r = requests.post(notify_url(payment_id), data=body, headers=headers, timeout=10)
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

@pytest.mark.parametrize(("amount", "shown"), [
    (123450, "ETB\u00a01,234.50"), (100, "ETB\u00a01.00"), (100000000, "ETB\u00a01,000,000.00"),
])
def test_birr_amounts_on_the_picker(api, shopper, amount, shown):
    co = api.checkout(amount=amount, currency="ETB", country="ET")
    page = shopper.picker(co["id"])
    assert html.unescape(re.search(r'<p class="amount">(.*?)</p>', page).group(1)) == shown
    assert f"Pay {shown}" in html.unescape(page)
