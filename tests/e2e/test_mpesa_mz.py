"""M-Pesa Mozambique (Vodacom C2B single stage) end to end: the merchant's API makes the
checkout, the shopper picks M-Pesa on our page (no JavaScript) and types a Vodacom number;
the page answers at once ("approve on your phone") while a worker job holds the blocking
C2B call to the simulator over HTTP (Bearer = RSA of the API key, checked by the
simulator's private key); the answer, or the status query after a call left in doubt,
settles the attempt; page and API agree.

The number's last two digits choose the simulator's scenario
(``checkout/simulators/mpesa_mz/rules.py``; no callbacks exist in this API):

| ends in | Vodacom does | we end with |
|---|---|---|
| 01, 05, 08, other | INS-0 after the delay | succeeded, checkout paid |
| 02 | INS-2006 insufficient balance | failed ``insufficient_funds`` |
| 03 | INS-5 cancelled by the customer | failed ``canceled`` |
| 04 | holds the request, then INS-9 | failed ``timeout`` |
| 06 | INS-16 overload at once, nothing recorded | failed ``operator_unavailable`` |
| 07 | INS-0 only after our read timeout | succeeded through the status query |
| 09 | INS-0 at once | succeeded |
| 10 | INS-2051 MSISDN invalid | failed ``invalid_phone`` |
| 11 | INS-2001 wrong PIN | failed ``wrong_pin`` |
| 12 | INS-6 transaction failed | failed ``declined`` |
| 13 | INS-1 internal error (outcome unknown) | the query says Failed: failed |
"""
import dataclasses
import html
import os
import re
import signal
import subprocess
import sys

import pytest
import requests

from checkout.gateways import get_gateway
from checkout.gateways.mpesa_mz.wire import third_party_reference
from checkout.jobs.sweep import sweep
from tests.factories import checkout, events, payment, timeline
from tests.waiting import wait_until
from tests.worker.test_worker import worker_env

from .shopper import (
    WebhookReceiver,
    api_view,
    fresh,
    location,
    path_of,
    pay_by_phone,
    refund_events,
    refused_number,
    sim_transaction,
)

pytestmark = pytest.mark.usefixtures("live_server")
VODACOM = type(get_gateway("mpesa_mz"))
AMOUNT = 150000                        # MZN 1,500: whole meticais
METICAIS = AMOUNT // 100

PAID = "Payment received"
APPROVE = "Approve the payment on your phone"
NOT_ENOUGH = "There is not enough money on this mobile money account"
CANCELED = "The payment was canceled on the phone"
TOO_LATE = "The payment was not approved in time"
NETWORK_DOWN = "The mobile money network is not available right now"
UNKNOWN_NUMBER = "This number is not registered for mobile money with this operator"
WRONG_PIN = "The PIN entered on the phone was wrong"
DECLINED = "The payment was refused, on the phone or by the operator"


def mz_phone(ending):
    """A Vodacom number (+258 84 110 01 NN) whose last two digits pick the scenario."""
    return f"+2588411001{ending}"


@pytest.fixture(autouse=True)
def fast_polls(monkeypatch):
    monkeypatch.setattr(VODACOM, "poll_schedule", (1,))


def mozambique_checkout(api, shopper, ending, phone=None, **body):
    """The shopper pays an MZN checkout made through the API with M-Pesa from our page:
    our page answers at once (the C2B call is a worker's). -> (checkout id, payment id)."""
    checkout_id, payment_id, answer = pay_by_phone(
        api, shopper, "mpesa_mz", phone or mz_phone(ending), amount=AMOUNT, currency="MZN",
        country="MZ", **body)
    assert path_of(location(answer)) == f"/c/{checkout_id}/wait"
    assert payment(payment_id).status == "pending"
    return checkout_id, payment_id


def vodacom(simulator, payment_id):
    """What the Vodacom simulator holds about the attempt's C2B call (by our
    ThirdPartyReference), or None when nothing reached it."""
    resp = requests.get(f"{simulator.url}/mpesa-mz/_sim/transactions/"
                        f"{third_party_reference(payment_id)}", timeout=5)
    return None if resp.status_code == 404 else resp.json()


def all_held(simulator):
    return requests.get(f"{simulator.url}/mpesa-mz/_sim/transactions", timeout=5).json()


def finished(payment_id):
    return lambda: payment(payment_id).status != "pending" and payment(payment_id)


def shopper_sees(shopper, checkout_id, **kw):
    page = shopper.get(f"/c/{checkout_id}/wait", **kw)
    assert page.status_code == 200, page.status_code
    return html.unescape(page.text)


# -- every magic ending ----------------------------------------------------------------

# ending -> (payment status, failure code, simulator status, what the shopper reads)
ENDINGS = {
    "01": ("succeeded", None, "Completed", PAID),
    "02": ("failed", "insufficient_funds", "Failed", NOT_ENOUGH),
    "03": ("failed", "canceled", "Cancelled", CANCELED),
    "04": ("failed", "timeout", "Expired", TOO_LATE),
    "05": ("succeeded", None, "Completed", PAID),
    "08": ("succeeded", None, "Completed", PAID),
    "09": ("succeeded", None, "Completed", PAID),
    "10": ("failed", "invalid_phone", "Failed", UNKNOWN_NUMBER),
    "11": ("failed", "wrong_pin", "Failed", WRONG_PIN),
    "12": ("failed", "declined", "Failed", DECLINED),
    "13": ("failed", "declined", "Failed", DECLINED),
    "55": ("succeeded", None, "Completed", PAID),             # any other ending
}


@pytest.mark.parametrize("ending", sorted(ENDINGS))
def test_each_ending_on_the_page_and_in_the_api(ending, api, shopper, simulator, worker):
    status, failure, held_status, text = ENDINGS[ending]
    checkout_id, payment_id = mozambique_checkout(api, shopper, ending)
    # The page never waited for the C2B call: it shows the live status meanwhile.
    if payment(payment_id).status == "pending":
        assert APPROVE in shopper_sees(shopper, checkout_id)
    worker.run_jobs_until(finished(payment_id), timeout=12)
    assert text in shopper_sees(shopper, checkout_id)

    co, pay = api_view(api, checkout_id, payment_id)
    assert (co["status"], pay["status"], pay["failure_code"]) == \
        ("paid" if status == "succeeded" else "open", status, failure)
    assert (pay["gateway"], pay["method"], pay["amount"], pay["currency"]) == \
        ("mpesa_mz", "mpesa_mz", AMOUNT, "MZN")
    assert pay["provider_reference"] == third_party_reference(payment_id)
    assert pay["phone"].endswith(ending) and "*" in pay["phone"]
    kind = "checkout.paid" if status == "succeeded" else "payment.failed"
    assert len(events(checkout_id, kind)) == 1
    assert [e.to_status for e in timeline(checkout_id, "status_changed")] == [status]
    # Sent once, as Vodacom's fields: whole meticais, 258 8X..., ours references.
    held = vodacom(simulator, payment_id)
    assert (held["kind"], held["status"], held["requests"]) == ("c2b", held_status, 1)
    assert (held["amount"], held["msisdn"]) == (str(METICAIS), f"2588411001{ending}")
    assert len(held["transaction_reference"]) <= 20
    assert held["debited"] is (status == "succeeded")
    assert held["debits_with_same_transaction_reference"] == (status == "succeeded")
    if status == "succeeded":
        assert payment(payment_id).provider_receipt == held["transaction_id"]


def test_06_an_overloaded_platform_debits_nothing_and_the_shopper_may_retry(
        api, shopper, simulator, worker):
    checkout_id, payment_id = mozambique_checkout(api, shopper, "06")
    worker.run_jobs_until(finished(payment_id), timeout=20)
    assert NETWORK_DOWN in shopper_sees(shopper, checkout_id)
    co, pay = api_view(api, checkout_id, payment_id)
    assert (co["status"], pay["status"], pay["failure_code"]) == \
        ("open", "failed", "operator_unavailable")
    assert vodacom(simulator, payment_id) is None and all_held(simulator) == []
    assert 'value="mpesa_mz"' in shopper.picker(checkout_id)


def test_07_a_success_after_our_read_timeout_is_found_by_the_status_query(
        api, shopper, simulator, worker, monkeypatch):
    """The C2B answer comes after our client gave up (4 s > a 1 s read timeout here;
    120 s in production): the outcome is unknown, so the status query settles it; the
    call is never sent again."""
    monkeypatch.setattr(VODACOM, "c2b_timeout", (5, 1))
    checkout_id, payment_id = mozambique_checkout(api, shopper, "07")
    worker.run_jobs_until(lambda: timeline(checkout_id, "initiate_outcome_unknown"),
                          timeout=15, what="the C2B call cut off by our timeout")
    assert payment(payment_id).status == "pending"
    assert APPROVE in shopper_sees(shopper, checkout_id)
    worker.run_jobs_until(finished(payment_id), timeout=12)
    co, pay = api_view(api, checkout_id, payment_id)
    assert (co["status"], pay["status"]) == ("paid", "succeeded")
    assert [e.source for e in timeline(checkout_id, "status_changed")] == ["poll"]
    held = vodacom(simulator, payment_id)
    assert (held["status"], held["requests"], held["debits_with_same_transaction_reference"]) \
        == ("Completed", 1, 1)
    assert len(timeline(checkout_id, "initiate_sending")) == 1
    assert PAID in shopper_sees(shopper, checkout_id)


# -- language ---------------------------------------------------------------------------

def lang_of(page):
    return re.search(r'<html lang="([^"]+)"', page).group(1)


@pytest.mark.parametrize("how", ["checkout", "header", "query"])
def test_the_mozambique_page_in_portuguese(how, api, shopper, simulator, worker):
    body = {"locale": "pt"} if how == "checkout" else {}
    headers = {"Accept-Language": "pt-MZ,pt;q=0.9" if how == "header" else "en-US"}
    co = api.checkout(amount=AMOUNT, currency="MZN", country="MZ", **body)
    url = f"/c/{co['id']}" + ("?lang=pt" if how == "query" else "")
    page = html.unescape(shopper.get(url, headers=headers).text)
    assert lang_of(page) == "pt"
    assert "Como quer pagar?" in page and "O seu número de dinheiro móvel" in page
    assert re.search(r"Pagar [^<]*1[\s.]?500", page), re.findall(r"Pagar [^<]*", page)
    assert 'value="mpesa_mz"' in page and "How do you want to pay?" not in page
    answer = shopper.choose(co["id"], "mpesa_mz", phone=mz_phone("02"))
    assert path_of(location(answer)) == f"/c/{co['id']}/wait"
    fresh()
    payment_id = checkout(co["id"]).latest_payment_id
    if payment(payment_id).status == "pending":
        wait = shopper_sees(shopper, co["id"], headers=headers)
        assert lang_of(wait) == "pt" and "Aprove o pagamento no seu telemóvel" in wait
    worker.run_jobs_until(finished(payment_id), timeout=20)
    failed = shopper_sees(shopper, co["id"], headers=headers)
    assert "O pagamento não foi concluído" in failed
    assert "Não há saldo suficiente nesta conta de dinheiro móvel" in failed


# -- refunds ----------------------------------------------------------------------------

@pytest.fixture
def merchant_hooks(api, live_server, monkeypatch):
    """The merchant's webhook endpoint (a local receiver, allowed for this test)."""
    monkeypatch.setitem(live_server.app.config, "WEBHOOK_ALLOW_PRIVATE_TARGETS", True)
    with WebhookReceiver() as receiver:
        made = api.post("/webhook_endpoints", {"url": receiver.url})
        assert made.status_code == 201, made.text
        yield receiver


def test_a_partial_then_the_rest_refunded_by_reversals(api, shopper, simulator, worker,
                                                        merchant_hooks):
    checkout_id, payment_id = mozambique_checkout(api, shopper, "01")
    worker.run_jobs_until(lambda: payment(payment_id).status == "succeeded", timeout=20)
    receipt = payment(payment_id).provider_receipt
    assert receipt

    part = api.refund(payment_id, amount=50000, reason="one item returned")
    assert part.status_code == 201, part.text
    got = worker.run_jobs_until(
        lambda: (r := api.get(f"/refunds/{part.json()['id']}").json())["status"] !=
        "pending" and r, timeout=15)
    assert (got["status"], got["amount"], got["currency"]) == ("succeeded", 50000, "MZN")
    assert [e.type for e in refund_events(part.json()["id"])] == ["refund.succeeded"]
    assert api.get(f"/payments/{payment_id}").json()["refunded_amount"] == 50000

    rest = api.refund(payment_id)
    assert rest.status_code == 201, rest.text
    assert rest.json()["amount"] == AMOUNT - 50000
    got = worker.run_jobs_until(
        lambda: (r := api.get(f"/refunds/{rest.json()['id']}").json())["status"] !=
        "pending" and r, timeout=15)
    assert got["status"] == "succeeded"
    assert api.get(f"/payments/{payment_id}").json()["refunded_amount"] == AMOUNT
    assert sorted(e["data"]["id"] for e in api.events("refund.succeeded")) == \
        sorted([part.json()["id"], rest.json()["id"]])
    assert api.events("refund.failed") == []
    worker.run_jobs_until(lambda: len(merchant_hooks.of_type("refund.succeeded")) == 2,
                          timeout=15, what="both refund.succeeded webhooks")
    assert sorted((h["data"]["id"], h["data"]["amount"]) for h in
                  merchant_hooks.of_type("refund.succeeded")) == \
        sorted([(part.json()["id"], 50000), (rest.json()["id"], AMOUNT - 50000)])
    # Vodacom reversed 500 then 1,000 meticais of that transaction, nothing more.
    original = sim_transaction(simulator, "mpesa-mz", receipt)
    assert original["reversed_amount"] == str(METICAIS)
    reversals = [t for t in all_held(simulator) if t["kind"] == "reversal"]
    assert sorted(t["amount"] for t in reversals) == ["1000", "500"]
    assert {t["reverses"] for t in reversals} == {receipt}
    assert api.refund(payment_id).status_code == 400         # nothing left
    assert checkout(checkout_id).status == "paid"


# -- bad input --------------------------------------------------------------------------

@pytest.mark.parametrize(("number", "says"), [
    ("+254708001101", "This number is not from the country of this way to pay"),  # Kenya
    ("+27821234501", "This number is not from the country of this way to pay"),   # S. Africa
    ("84 110 01", "This number is not valid"),
    ("vodacom", "This is not a phone number"),
])
def test_a_number_that_is_not_mozambican_gets_a_clear_message(number, says, api, shopper,
                                                               simulator):
    co = api.checkout(amount=AMOUNT, currency="MZN", country="MZ")
    answer = shopper.choose(co["id"], "mpesa_mz", phone=number)
    assert answer.status_code == 400, (answer.status_code, answer.headers.get("Location"))
    assert says in html.unescape(answer.text)
    fresh()
    assert checkout(co["id"]).latest_payment_id is None
    assert all_held(simulator) == []


@pytest.mark.parametrize("number", ["+258821234501", "+258861234501"])   # tmcel, Movitel
def test_a_number_of_another_mozambican_operator_gets_a_clear_message(number, api, shopper,
                                                                      simulator):
    checkout_id, text = refused_number(api, shopper, "MZN", "MZ", "mpesa_mz", number)
    assert "This number is not on M-Pesa." in text
    assert all_held(simulator) == []                      # no C2B call was made
    fresh()
    assert checkout(checkout_id).status == "open"


# -- a worker killed in the middle of a C2B call ------------------------------------------

def test_a_worker_killed_mid_c2b_call_is_settled_by_the_query_never_sent_again(
        live_server, api, shopper, simulator, monkeypatch):
    app = live_server.app
    # The simulator holds a success ending's request 6 s (the shopper typing the PIN).
    sim = simulator.app.extensions["simulators"]["mpesa_mz"]
    monkeypatch.setattr(sim, "cfg", dataclasses.replace(sim.cfg, delay_seconds=6))
    monkeypatch.setitem(app.config, "SWEEP_GRACE_SECONDS", 0)
    checkout_id, payment_id = mozambique_checkout(api, shopper, "01")
    env = worker_env(app) | {"WORKER_THREADS": "2", "WORKER_BLOCKING_THREADS": "2"}
    first = subprocess.Popen([sys.executable, "-m", "checkout.worker"], env=env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    second = None
    try:
        held = wait_until(lambda: vodacom(simulator, payment_id), timeout=30, interval=0.1,
                          what="the C2B request held by the simulator")
        assert held["status"] == "Pending"
        os.kill(first.pid, signal.SIGKILL)                   # mid-call
        first.wait(10)
        fresh()
        assert payment(payment_id).status == "pending"
        assert vodacom(simulator, payment_id)["requests"] == 1
        # A new worker process, and the sweeper (what the supervisor runs periodically).
        second = subprocess.Popen([sys.executable, "-m", "checkout.worker"], env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

        def swept_and_paid():
            sweep()
            fresh()
            return payment(payment_id).status != "pending" and payment(payment_id)

        pay = wait_until(swept_and_paid, timeout=45, interval=0.5,
                         what="the cut-off call settled after the restart")
        assert pay.status == "succeeded" and checkout(checkout_id).status == "paid"
    finally:
        for proc in (first, second):
            if proc is not None and proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(30)
                except subprocess.TimeoutExpired:
                    proc.kill()
    held = vodacom(simulator, payment_id)
    assert (held["status"], held["requests"], held["debits_with_same_transaction_reference"]) \
        == ("Completed", 1, 1)
    assert [t["kind"] for t in all_held(simulator)] == ["c2b"]      # never sent again
    assert len(timeline(checkout_id, "initiate_sending")) == 1
    assert len(events(checkout_id, "checkout.paid")) == 1
    assert payment(payment_id).provider_receipt == held["transaction_id"]
    assert PAID in shopper_sees(shopper, checkout_id)
