"""The product's Paystack adapter against the running simulators app (the ``simulator``
fixture of tests/fixtures_runtime.py, every provider mounted): the one place where the
adapter and the simulator, written apart from providers.md, meet over real HTTP."""
from dataclasses import replace

import pytest
import requests

from checkout.core.ids import new_id
from checkout.gateways import get_gateway
from checkout.gateways.base import Account, PaymentRequest
from checkout.gateways.errors import GatewayUnavailable, WebhookVerificationError
from checkout.gateways.paystack.wire import reference_for
from tests.waiting import wait_until

from .support import TEST_CARD, RawReceiver


@pytest.fixture
def gw():
    return get_gateway("paystack")


@pytest.fixture
def receiver():
    rec = RawReceiver()
    yield rec
    rec.stop()


@pytest.fixture
def account(gw, simulator, receiver):
    """A new test account, registered with the simulator as the product does it."""
    acct = Account(credentials=gw.test_credentials(), livemode=False,
                   base_url=simulator.url + gw.test_base_path, notify_url=receiver.url)
    assert gw.register_test_account(acct, (2, 3)).startswith("acct_")
    return acct


def pay(method="paystack_mtn_gh", phone="+233551234901", amount=2500, currency="GHS"):
    pay_id = new_id("pay")
    return PaymentRequest(payment_id=pay_id, method=method, amount=amount, currency=currency,
                          phone=phone, description="Order 7",
                          return_url=f"https://shop.test/c/cs_1/return?payment={pay_id}",
                          cancel_url=f"https://shop.test/c/cs_1/cancel?payment={pay_id}",
                          customer_email="ama@example.com")


def settle(gw, account, request, timeout=6):
    reference = reference_for(request.payment_id)
    return wait_until(lambda: (r := gw.fetch_status(account, reference, request.payment_id))
                      .status != "pending" and r, timeout, interval=0.1)


def notification(gw, account, receiver, reference, prefix="charge"):
    hook = wait_until(lambda: receiver.events(reference, prefix), timeout=6)[-1]
    return gw.parse_notification(account, hook["headers"], hook["body"])


def test_mtn_ghana_from_push_to_signed_webhook(gw, account, receiver):
    request = pay()
    started = gw.initiate(account, request)
    assert (started.status, started.next_action.type) == ("pending", "approve_on_phone")
    assert started.provider_reference == reference_for(request.payment_id)
    result = settle(gw, account, request)
    assert (result.status, result.amount, result.currency) == ("succeeded", 2500, "GHS")
    note = notification(gw, account, receiver, started.provider_reference)
    assert note.result.status == "succeeded" and note.result.amount == 2500
    assert note.payment_hint == request.payment_id


def test_vodafone_voucher_through_submit_step(gw, account):
    request = pay("paystack_vod_gh", phone="+233201234901")
    started = gw.initiate(account, request)
    assert started.next_action.type == "otp" and "*110#" in started.next_action.message
    wrong = gw.submit_step(account, started.provider_reference, {"otp": "111111"})
    assert (wrong.status, wrong.next_action.type, wrong.failure_code) == \
        ("pending", "otp", "invalid_otp")
    right = gw.submit_step(account, started.provider_reference, {"otp": "123456"})
    assert (right.status, right.next_action.type) == ("pending", "approve_on_phone")
    assert settle(gw, account, request).status == "succeeded"


@pytest.mark.parametrize("phone, status, code", [("+254712345602", "failed",
                                                  "insufficient_funds"),
                                                 ("+254712345603", "failed", "declined"),
                                                 ("+254712345609", "succeeded", None)])
def test_mpesa_kenya_magic_numbers(gw, account, phone, status, code):
    request = pay("paystack_mpesa_ke", phone=phone, currency="KES")
    gw.initiate(account, request)
    result = settle(gw, account, request)
    assert (result.status, result.failure_code) == (status, code)


def test_magic_06_is_an_outage_with_nothing_done(gw, account):
    with pytest.raises(GatewayUnavailable) as exc:
        gw.initiate(account, pay(phone="+233551234906"))
    assert exc.value.outcome_unknown is False and exc.value.http_status == 502


def card_round_trip(gw, account, request, form):
    started = gw.initiate(account, request)
    assert started.next_action.type == "redirect"
    # Verify says abandoned while the shopper is still on the page: not a failure.
    assert gw.fetch_status(account, started.provider_reference,
                           request.payment_id).status == "pending"
    back = requests.post(started.next_action.url, data=form, allow_redirects=False, timeout=5)
    assert back.status_code == 303
    return started, back.headers["Location"]


def test_card_on_the_hosted_page(gw, account, receiver):
    request = pay("paystack_card", phone=None, amount=150000, currency="NGN")
    started, location = card_round_trip(gw, account, request, {**TEST_CARD, "action": "succeed"})
    assert location == f"{request.return_url}&trxref={started.provider_reference}" \
                       f"&reference={started.provider_reference}"
    result = gw.fetch_status(account, started.provider_reference, request.payment_id)
    assert (result.status, result.amount, result.currency) == ("succeeded", 150000, "NGN")
    note = notification(gw, account, receiver, started.provider_reference)
    assert note.result.amount == 150000


def test_card_in_rand_is_sent_in_subunits_and_read_back(gw, account):
    request = pay("paystack_card", phone=None, amount=123450, currency="ZAR")
    started, _ = card_round_trip(gw, account, request, {**TEST_CARD, "action": "succeed"})
    result = gw.fetch_status(account, started.provider_reference, request.payment_id)
    assert (result.status, result.amount, result.currency) == ("succeeded", 123450, "ZAR")


def test_declined_card(gw, account):
    request = pay("paystack_card", phone=None, amount=150000, currency="NGN")
    card = {**TEST_CARD, "card_number": "4084080000005408", "cvv": "001", "action": "succeed"}
    started, _ = card_round_trip(gw, account, request, card)
    result = gw.fetch_status(account, started.provider_reference, request.payment_id)
    assert (result.status, result.failure_code) == ("failed", "declined")


def test_refunds_partial_then_full(gw, account, receiver):
    request = pay(phone="+233551234909")
    reference = gw.initiate(account, request).provider_reference
    assert settle(gw, account, request).status == "succeeded"
    first = gw.refund(account, reference, 1000, "GHS", "Damaged", "re_1")
    assert first.status == "pending" and first.provider_reference.isdigit()
    done = wait_until(lambda: (r := gw.fetch_refund(account, first.provider_reference,
                                                    reference, "re_1")).status != "pending"
                      and r, timeout=6, interval=0.1)
    assert done.status == "succeeded"
    updates = wait_until(lambda: len(h := receiver.events(reference, "refund.")) >= 2 and h,
                         timeout=6)
    parsed = [gw.parse_notification(account, h["headers"], h["body"]).refund for h in updates]
    assert [(u.status, u.amount, u.payment_reference) for u in parsed] == \
        [("pending", 1000, reference), ("succeeded", 1000, reference)]
    rest = gw.refund(account, reference, 1500, "GHS", None, "re_2")
    wait_until(lambda: gw.fetch_refund(account, rest.provider_reference, reference,
                                       "re_2").status == "succeeded", timeout=6, interval=0.1)
    # Fully refunded: verify says reversed, still a payment that succeeded.
    assert gw.fetch_status(account, reference, request.payment_id).status == "succeeded"
    refused = gw.refund(account, reference, 100, "GHS", None, "re_3")
    assert (refused.status, refused.failure_message) == \
        ("failed", "Transaction has been fully reversed")


def test_a_test_answer_for_a_live_account_is_refused(gw, account):
    request = pay(phone="+233551234909")
    gw.initiate(account, request)
    live = replace(account, livemode=True)
    with pytest.raises(WebhookVerificationError):
        gw.fetch_status(live, reference_for(request.payment_id), request.payment_id)


def test_a_webhook_checked_with_another_accounts_key_is_refused(gw, account, receiver):
    request = pay(phone="+233551234909")
    reference = gw.initiate(account, request).provider_reference
    hook = wait_until(lambda: receiver.events(reference), timeout=6)[-1]
    other = replace(account, credentials=gw.test_credentials())
    with pytest.raises(WebhookVerificationError):
        gw.parse_notification(other, hook["headers"], hook["body"])
