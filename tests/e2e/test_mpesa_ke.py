"""M-Pesa Kenya (Safaricom Daraja STK push) end to end: the merchant's API makes the
checkout, the shopper picks M-Pesa on our page (no JavaScript) and types a Safaricom
number, the real adapter pushes to the Daraja simulator over HTTP, the simulator POSTs
its unsigned callback to the live app, the real worker confirms it with an STK query or
polls, and the page and the API tell the same outcome.

The number's last two digits choose the simulator's scenario
(``checkout/simulators/mpesa_ke/rules.py``):

| ends in | Daraja does | we end with |
|---|---|---|
| 01, other | ResultCode 0 after the delay, callback | succeeded, checkout paid |
| 02 | ResultCode 1 (balance insufficient) | failed ``insufficient_funds`` |
| 03 | ResultCode 1032 (cancelled by user) | failed ``canceled`` |
| 04 | never answers ("being processed") | expired at our deadline |
| 05 | ResultCode 0, no callback | succeeded by polling alone |
| 06 | the push itself fails (500.003.1001) | failed ``provider_error`` at once |
| 07 | ResultCode 0 late (after the checkout expired) | succeeded, ``paid_late`` |
| 08 | the callback three times | one transition, two duplicates |
| 09 | ResultCode 0 at once | succeeded |
"""
import dataclasses
import html
import re
from datetime import timedelta

import pytest
import requests

from checkout.core.timeutil import utcnow
from checkout.extensions import db
from checkout.gateways import get_gateway
from checkout.models import Checkout
from tests.factories import checkout, events, notifications, payment, timeline

from .shopper import (
    WebhookReceiver,
    api_view,
    changes,
    fresh,
    location,
    path_of,
    pay_by_phone,
    refund_events,
    refused_number,
    settled,
    sim_transaction,
)

pytestmark = pytest.mark.usefixtures("live_server")
DARAJA = type(get_gateway("mpesa_ke"))
AMOUNT = 150000                       # KES 1,500: M-Pesa takes whole shillings
SHILLINGS = AMOUNT // 100

PAID = "Payment received"
NOT_ENOUGH = "There is not enough money on this mobile money account"
CANCELED = "The payment was canceled on the phone"
TOO_LATE = "The payment was not approved in time"
NETWORK_DOWN = "The mobile money network is not available right now"
PHONE_BUSY = "A payment request is already open on this phone"
APPROVE = "Approve the payment on your phone"


def ke_phone(ending):
    """A Safaricom number (+254 708 0011 NN) whose last two digits pick the scenario."""
    return f"+2547080011{ending}"


@pytest.fixture
def polls(monkeypatch):
    """``polls(*schedule)``: Daraja's STK query schedule for this test."""
    def set_schedule(*schedule):
        monkeypatch.setattr(DARAJA, "poll_schedule", schedule)
    set_schedule(1)
    return set_schedule


def kenya_checkout(api, shopper, ending, **body):
    """The shopper pays a KES checkout made through the API with M-Pesa from our page:
    -> (checkout id, payment id), the shopper sent to the wait page."""
    checkout_id, payment_id, answer = pay_by_phone(
        api, shopper, "mpesa_ke", ke_phone(ending), amount=AMOUNT, currency="KES",
        country="KE", **body)
    assert path_of(location(answer)) == f"/c/{checkout_id}/wait"
    assert payment_id is not None
    return checkout_id, payment_id


def daraja(simulator, payment_id):
    """What the Daraja simulator holds about the attempt's STK push."""
    reference = payment(payment_id).provider_reference
    assert reference and reference.startswith("ws_CO_"), reference
    return sim_transaction(simulator, "daraja", reference)


def expire_soon(checkout_id, seconds):
    """The API takes at least five minutes of life: shorten it as time passing would."""
    row = db.session.get(Checkout, checkout_id)
    row.expires_at = utcnow() + timedelta(seconds=seconds)
    db.session.commit()


def finished(payment_id):
    return lambda: payment(payment_id).status != "pending" and payment(payment_id)


def shopper_sees(shopper, checkout_id):
    page = shopper.get(f"/c/{checkout_id}/wait")
    assert page.status_code == 200, page.status_code
    return html.unescape(page.text)


# -- every magic ending ----------------------------------------------------------------

# ending -> (payment status, failure code, checkout status, who settled it, first poll,
#            what the shopper reads)
ENDINGS = {
    "01": ("succeeded", None, "paid", "webhook", 30, PAID),
    "02": ("failed", "insufficient_funds", "open", "webhook", 30, NOT_ENOUGH),
    "03": ("failed", "canceled", "open", "webhook", 30, CANCELED),
    "05": ("succeeded", None, "paid", "poll", 1, PAID),
    "09": ("succeeded", None, "paid", "webhook", 30, PAID),
    "55": ("succeeded", None, "paid", "webhook", 30, PAID),     # any other ending
}


@pytest.mark.parametrize("ending", sorted(ENDINGS))
def test_each_ending_on_the_page_and_in_the_api(ending, api, shopper, simulator, worker,
                                                polls):
    status, failure, co_status, source, first_poll, text = ENDINGS[ending]
    polls(first_poll)
    checkout_id, payment_id = kenya_checkout(api, shopper, ending)
    if payment(payment_id).status == "pending":
        assert APPROVE in shopper_sees(shopper, checkout_id)
    worker.run_jobs_until(finished(payment_id), timeout=15)
    worker.run_jobs_until(lambda: all(n.processed_at for n in notifications()), timeout=10)
    page = shopper_sees(shopper, checkout_id)
    assert text in page

    co, pay = api_view(api, checkout_id, payment_id)
    assert (co["status"], pay["status"], pay["failure_code"]) == (co_status, status, failure)
    assert (pay["gateway"], pay["method"], pay["amount"], pay["currency"]) == \
        ("mpesa_ke", "mpesa_ke", AMOUNT, "KES")
    assert pay["provider_reference"].startswith("ws_CO_")
    assert pay["phone"].endswith(ending) and "*" in pay["phone"]
    assert (co["payment"] or {}).get("id") == (payment_id if status == "succeeded" else None)
    assert changes(checkout_id) == [(source, status)]
    kind = "checkout.paid" if status == "succeeded" else "payment.failed"
    assert len(events(checkout_id, kind)) == 1

    held = daraja(simulator, payment_id)
    assert held["status"] == ("success" if status == "succeeded" else "failed")
    assert held["amount"] == SHILLINGS and held["msisdn"] == f"2547080011{ending}"
    assert held["TransactionType"] == "CustomerPayBillOnline" and held["PartyB"] == "174379"
    assert len(held["AccountReference"]) <= 12 and len(held["TransactionDesc"]) <= 13
    assert held["CallBackURL"].startswith(f"{shopper.base}/webhooks/mpesa_ke/")
    if ending == "05":
        assert held["callbacks"] == [] and notifications() == []
    else:
        assert held["callbacks"] == [{"attempt": 1, "result": 200}]
        [note] = notifications()               # recorded, confirmed by an STK query
        assert (note.gateway, note.outcome) == ("mpesa_ke", "applied")


def test_04_never_answers_and_expires_at_our_deadline(api, shopper, simulator, worker,
                                                     polls, monkeypatch):
    monkeypatch.setattr(DARAJA, "deadline_seconds", 3)
    checkout_id, payment_id = kenya_checkout(api, shopper, "04")
    assert APPROVE in shopper_sees(shopper, checkout_id)
    worker.run_jobs_until(finished(payment_id), timeout=15)
    assert TOO_LATE in shopper_sees(shopper, checkout_id)
    co, pay = api_view(api, checkout_id, payment_id)
    assert (co["status"], pay["status"], pay["failure_code"]) == ("open", "expired", "deadline")
    assert pay["provider_reference"].startswith("ws_CO_")
    held = daraja(simulator, payment_id)
    assert (held["status"], held["callbacks"]) == ("processing", [])
    assert notifications() == [] and events(checkout_id, "checkout.paid") == []
    [abandoned] = timeline(checkout_id, "attempt_abandoned")
    assert abandoned.source == "poll" and abandoned.data == {"reason": "deadline"}


def test_06_the_push_fails_at_once_and_nothing_is_held(api, shopper, simulator):
    checkout_id, payment_id = kenya_checkout(api, shopper, "06")
    # No worker: the web request made the push and recorded its refusal.
    assert NETWORK_DOWN in shopper_sees(shopper, checkout_id)
    co, pay = api_view(api, checkout_id, payment_id)
    assert (co["status"], pay["status"], pay["failure_code"]) == \
        ("open", "failed", "provider_error")
    assert pay["provider_reference"] is None
    held = requests.get(f"{simulator.url}/daraja/_sim/transactions", timeout=5).json()
    assert held == []
    assert len(events(checkout_id, "payment.failed")) == 1
    # The shopper may try again (another number, or the same later).
    assert 'value="mpesa_ke"' in shopper.picker(checkout_id)


def test_07_a_late_success_after_the_checkout_expired_is_paid_late(
        api, shopper, simulator, worker, polls, monkeypatch):
    # Our attempt gives up at 2 s, the checkout expires at 1 s, Daraja's success (and
    # its callback) comes at 4 s (SIM_CONFIG late_delay_seconds).
    monkeypatch.setattr(DARAJA, "deadline_seconds", 2)
    checkout_id, payment_id = kenya_checkout(api, shopper, "07")
    expire_soon(checkout_id, seconds=1)
    worker.run_jobs_until(lambda: checkout(checkout_id).status == "expired", timeout=15,
                          what="checkout expired")
    assert payment(payment_id).status == "expired"
    worker.run_jobs_until(lambda: checkout(checkout_id).status == "paid", timeout=15,
                          what="late success applied")
    co, pay = api_view(api, checkout_id, payment_id)
    assert (co["status"], co["paid_late"], pay["status"], pay["paid_late"]) == \
        ("paid", True, "succeeded", True)
    [late] = timeline(checkout_id, "paid_late")
    assert late.from_status == "expired"
    assert len(events(checkout_id, "checkout.expired")) == 1
    assert len(events(checkout_id, "checkout.paid")) == 1
    assert daraja(simulator, payment_id)["status"] == "success"
    assert PAID in shopper_sees(shopper, checkout_id)


def test_08_three_callbacks_make_one_transition(api, shopper, simulator, worker, polls):
    polls(30)                     # what happens is the callbacks' doing
    checkout_id, payment_id = kenya_checkout(api, shopper, "08")
    worker.run_jobs_until(finished(payment_id), timeout=15)
    worker.run_jobs_until(lambda: daraja(simulator, payment_id)["callbacks"] and
                          len(daraja(simulator, payment_id)["callbacks"]) == 3, timeout=10,
                          what="the three callbacks sent")
    worker.run_jobs_until(lambda: all(n.processed_at for n in notifications()), timeout=10)
    assert payment(payment_id).status == "succeeded"
    assert changes(checkout_id) == [("webhook", "succeeded")]
    assert len(events(checkout_id, "checkout.paid")) == 1
    [note] = notifications()                  # one CheckoutRequestID and ResultCode
    assert note.duplicates == 2 and note.outcome == "applied"
    assert [c["result"] for c in daraja(simulator, payment_id)["callbacks"]] == [200] * 3
    assert PAID in shopper_sees(shopper, checkout_id)


def test_a_second_push_while_the_first_is_open_asks_the_shopper_to_wait(
        api, shopper, simulator, worker, polls, monkeypatch):
    """Daraja's "unable to lock subscriber": a prompt is already open on that phone."""
    sim = simulator.app.extensions["simulators"]["mpesa_ke"]
    monkeypatch.setattr(sim, "cfg", dataclasses.replace(sim.cfg, lock_seconds=60))
    first, first_payment = kenya_checkout(api, shopper, "04")
    second, second_payment = kenya_checkout(api, shopper, "04")
    assert payment(first_payment).status == "pending"
    pay = payment(second_payment)
    assert (pay.status, pay.failure_code) == ("failed", "subscriber_busy")
    assert PHONE_BUSY in shopper_sees(shopper, second)
    assert APPROVE in shopper_sees(shopper, first)


# -- languages --------------------------------------------------------------------------

def lang_of(page):
    return re.search(r'<html lang="([^"]+)"', page).group(1)


@pytest.mark.parametrize("how", ["query", "header", "checkout"])
def test_the_kenya_page_in_swahili_on_request(how, api, shopper):
    body = {"amount": AMOUNT, "currency": "KES", "country": "KE"}
    if how == "checkout":
        body["locale"] = "sw"
    co = api.checkout(**body)
    url, headers = f"/c/{co['id']}", {"Accept-Language": "en-US,en;q=0.8"}
    if how == "query":
        url += "?lang=sw"
    elif how == "header":
        headers = {"Accept-Language": "sw-KE,sw;q=0.9,en;q=0.5"}
    page = shopper.get(url, headers=headers)
    assert page.status_code == 200
    text = html.unescape(page.text)
    assert lang_of(text) == "sw"
    # Strings of checkout/translations/sw: "How do you want to pay?", "Your mobile money
    # number", "Pay %(amount)s".
    assert "Ungependa kulipa vipi?" in text and "Nambari yako ya simu ya kulipia" in text
    assert re.search(r"Lipa Ksh\s?1,500", text), re.findall(r"Lipa [^<]*", text)
    assert "How do you want to pay?" not in text
    assert 'value="mpesa_ke"' in text
    # The wait page too, once the shopper paid.
    answer = shopper.choose(co["id"], "mpesa_ke", phone=ke_phone("04"))
    assert path_of(location(answer)) == f"/c/{co['id']}/wait"
    wait = html.unescape(shopper.get(f"/c/{co['id']}/wait", headers=headers).text)
    assert lang_of(wait) == "sw" and "Idhinisha malipo kwenye simu yako" in wait
    assert "Tunasubiri uidhinishe" in wait


def test_a_kenyan_shopper_without_a_choice_reads_english(api, shopper):
    co = api.checkout(amount=AMOUNT, currency="KES", country="KE")
    page = shopper.get(f"/c/{co['id']}", headers={"Accept-Language": "en-GB"})
    assert lang_of(page.text) == "en" and "Pay " in page.text


# -- refunds ----------------------------------------------------------------------------

@pytest.fixture
def merchant_hooks(api, live_server, monkeypatch):
    """The merchant's webhook endpoint (a local receiver, allowed for this test)."""
    monkeypatch.setitem(live_server.app.config, "WEBHOOK_ALLOW_PRIVATE_TARGETS", True)
    with WebhookReceiver() as receiver:
        made = api.post("/webhook_endpoints", {"url": receiver.url})
        assert made.status_code == 201, made.text
        yield receiver


def paid_in_kenya(api, shopper, worker, ending="01"):
    checkout_id, payment_id = kenya_checkout(api, shopper, ending)
    worker.run_jobs_until(lambda: payment(payment_id).status == "succeeded", timeout=15)
    assert payment(payment_id).provider_receipt        # the MpesaReceiptNumber, kept
    return checkout_id, payment_id


def test_a_full_refund_is_a_reversal_settled_by_its_asynchronous_result(
        api, shopper, simulator, worker, polls, merchant_hooks):
    _checkout_id, payment_id = paid_in_kenya(api, shopper, worker)
    receipt = payment(payment_id).provider_receipt
    made = api.refund(payment_id, reason="order canceled")
    assert made.status_code == 201, made.text
    refund = made.json()
    assert (refund["status"], refund["amount"], refund["currency"]) == \
        ("pending", AMOUNT, "KES")
    got = worker.run_jobs_until(settled(api, refund["id"]), timeout=15)
    assert (got["status"], got["amount"], got["failure_message"]) == \
        ("succeeded", AMOUNT, None)
    assert api.get(f"/payments/{payment_id}").json()["refunded_amount"] == AMOUNT
    assert [e["data"]["id"] for e in api.events("refund.succeeded")] == [refund["id"]]
    assert api.events("refund.failed") == []
    assert [e.type for e in refund_events(refund["id"])] == ["refund.succeeded"]
    hooks = worker.run_jobs_until(lambda: merchant_hooks.of_type("refund.succeeded"),
                                  timeout=15, what="the refund.succeeded webhook")
    assert [(h["data"]["id"], h["data"]["status"], h["data"]["amount"]) for h in hooks] == \
        [(refund["id"], "succeeded", AMOUNT)]
    # Daraja reversed the M-Pesa receipt, and its Result reached our notify URL.
    held = daraja(simulator, payment_id)
    [reversal] = held["reversals"]
    assert (reversal["TransactionID"], reversal["amount"], reversal["credential_ok"],
            reversal["ResultCode"]) == (receipt, SHILLINGS, True, "0")
    assert reversal["deliveries"] == [{"attempt": 1, "result": 200}]
    assert reversal["ResultURL"].startswith(f"{shopper.base}/webhooks/mpesa_ke/")
    assert held["reversed_by"] == reversal["OriginatorConversationID"]
    result_notes = [n for n in notifications() if b'"Result"' in bytes(n.body)]
    assert [n.outcome for n in result_notes] == ["refund_succeeded"]
    # Nothing is left to refund.
    again = api.refund(payment_id)
    assert again.status_code == 400, again.text


def test_a_partial_refund_in_kenya_is_refused_clearly(api, shopper, simulator, worker,
                                                      polls):
    _checkout_id, payment_id = paid_in_kenya(api, shopper, worker)
    made = api.refund(payment_id, amount=50000)
    assert made.status_code == 400, made.text
    error = made.json()["error"]
    assert error["code"] == "partial_refund_not_supported"
    assert "whole" in error["message"].lower() or "full" in error["message"].lower()
    assert api.get("/refunds", payment=payment_id).json()["data"] == []
    assert daraja(simulator, payment_id)["reversals"] == []
    assert api.get(f"/payments/{payment_id}").json()["refunded_amount"] == 0


# -- bad input --------------------------------------------------------------------------

@pytest.mark.parametrize(("number", "says"), [
    ("+255712345601", "This number is not from the country of this way to pay"),  # Tanzania
    ("+258841100101", "This number is not from the country of this way to pay"),  # Mozambique
    ("0708 0011", "This number is not valid"),
    ("M-Pesa please", "This is not a phone number"),
])
def test_a_number_that_is_not_kenyan_gets_a_clear_message(number, says, api, shopper,
                                                           simulator):
    co = api.checkout(amount=AMOUNT, currency="KES", country="KE")
    answer = shopper.choose(co["id"], "mpesa_ke", phone=number)
    assert answer.status_code == 400, (answer.status_code, answer.headers.get("Location"))
    assert says in html.unescape(answer.text)
    fresh()
    assert checkout(co["id"]).latest_payment_id is None
    assert requests.get(f"{simulator.url}/daraja/_sim/transactions", timeout=5).json() == []


def test_a_number_of_another_kenyan_operator_gets_a_clear_message(api, shopper, simulator):
    """Airtel Kenya (0733...) cannot approve an M-Pesa prompt: the page says so at once,
    no STK push is sent, nothing is paid."""
    checkout_id, text = refused_number(api, shopper, "KES", "KE", "mpesa_ke", "+254733001101")
    assert "This number is not on M-Pesa." in text
    assert requests.get(f"{simulator.url}/daraja/_sim/transactions", timeout=5).json() == []
    fresh()
    assert checkout(checkout_id).status == "open"
    assert events(checkout_id, "checkout.paid") == []
