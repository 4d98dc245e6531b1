"""The product's M-Pesa Kenya adapter against the running simulator over real HTTP: the
place where the adapter and the simulator, written apart from providers.md, meet. Every
magic number, the subscriber lock, the token retry, spike arrest and reversals."""
import time

import pytest
import requests

from checkout.core.ids import new_id
from checkout.gateways import get_gateway
from checkout.gateways.base import Account, PaymentRequest
from checkout.gateways.errors import GatewayDeclined, GatewayUnavailable
from checkout.gateways.mpesa_ke import client
from tests.waiting import wait_until

from .support import STEM


@pytest.fixture
def gw():
    return get_gateway("mpesa_ke")


@pytest.fixture
def account(gw, server, receiver):
    client._local.clear()
    acct = Account(credentials=gw.test_credentials(), livemode=False,
                   base_url=server.url + gw.test_base_path, notify_url=receiver.url)
    assert gw.register_test_account(acct, (2, 3)) == acct.credentials["consumer_key"]
    return acct


def pay(magic="01", amount=1000):
    return PaymentRequest(payment_id=new_id("pay"), method="mpesa_ke", amount=amount,
                          currency="KES", phone=f"+{STEM}{magic}", description="Order 7",
                          return_url="https://shop.test/r", cancel_url="https://shop.test/c")


def settle(gw, account, reference, payment_id, timeout=4):
    return wait_until(lambda: (r := gw.fetch_status(account, reference, payment_id))
                      .status != "pending" and r, timeout, interval=0.05)


def callbacks(receiver, reference, count=1, timeout=3):
    return wait_until(lambda: len(c := receiver.stk(reference)) >= count and c, timeout)


@pytest.mark.parametrize("magic,status,code", [
    ("01", "succeeded", None), ("02", "failed", "insufficient_funds"),
    ("03", "failed", "canceled"), ("09", "succeeded", None), ("47", "succeeded", None),
])
def test_magic_numbers_end_in_their_state_with_one_callback(gw, account, receiver, magic,
                                                            status, code):
    request = pay(magic)
    started = gw.initiate(account, request)
    assert started.status == "pending" and started.next_action.type == "approve_on_phone"
    result = settle(gw, account, started.provider_reference, request.payment_id)
    assert (result.status, result.failure_code, result.amount) == (status, code, None)
    hook = callbacks(receiver, started.provider_reference)[0]
    note = gw.parse_notification(account, hook["headers"], hook["body"])
    assert note.result.status == status and note.result.failure_code == code
    if status == "succeeded":
        assert (note.result.amount, note.result.phone) == (1000, request.phone)
        assert note.result.receipt
    time.sleep(0.15)
    assert len(receiver.stk(started.provider_reference)) == 1


def test_04_never_answers(gw, account, receiver):
    request = pay("04")
    ref = gw.initiate(account, request).provider_reference
    time.sleep(0.5)
    assert gw.fetch_status(account, ref, request.payment_id).status == "pending"
    assert receiver.stk(ref) == []


def test_05_succeeds_without_a_callback(gw, account, receiver):
    request = pay("05")
    ref = gw.initiate(account, request).provider_reference
    assert settle(gw, account, ref, request.payment_id).status == "succeeded"
    time.sleep(0.2)
    assert receiver.stk(ref) == []


def test_06_fails_at_the_push(gw, account):
    with pytest.raises(GatewayUnavailable) as err:
        gw.initiate(account, pay("06"))
    assert err.value.code == "provider_error" and not err.value.outcome_unknown


def test_07_succeeds_late(gw, account, receiver):
    request = pay("07")
    ref = gw.initiate(account, request).provider_reference
    time.sleep(0.4)
    assert gw.fetch_status(account, ref, request.payment_id).status == "pending"
    assert settle(gw, account, ref, request.payment_id).status == "succeeded"
    assert callbacks(receiver, ref)


def test_08_sends_the_callback_three_times(gw, account, receiver):
    request = pay("08")
    ref = gw.initiate(account, request).provider_reference
    hooks = callbacks(receiver, ref, count=3)
    notes = {gw.parse_notification(account, h["headers"], h["body"]).dedup_key for h in hooks}
    assert len(notes) == 1
    assert settle(gw, account, ref, request.payment_id).status == "succeeded"


def test_a_second_push_to_one_number_is_subscriber_busy(gw, account):
    gw.initiate(account, pay("01"))
    with pytest.raises(GatewayDeclined) as err:
        gw.initiate(account, pay("01", amount=2000))
    assert err.value.code == "subscriber_busy"


def test_one_retry_after_an_invalid_token(gw, account, server):
    gw.initiate(account, pay("02"))          # caches a token
    requests.post(f"{server.url}/daraja/_sim/faults", json={"invalid_token": 1}, timeout=5)
    assert gw.initiate(account, pay("03")).status == "pending"


def test_spike_arrest_on_query_is_rate_limited(gw, account, server):
    request = pay("01")
    ref = gw.initiate(account, request).provider_reference
    requests.post(f"{server.url}/daraja/_sim/faults", json={"spike_arrest": 1}, timeout=5)
    with pytest.raises(GatewayUnavailable) as err:
        gw.fetch_status(account, ref, request.payment_id)
    assert err.value.code == "rate_limited"


def test_reversal_of_a_paid_payment(gw, account, receiver):
    request = pay("09")
    ref = gw.initiate(account, request).provider_reference
    hook = callbacks(receiver, ref)[0]
    receipt = gw.parse_notification(account, hook["headers"], hook["body"]).result.receipt
    first = gw.refund(account, ref, 1000, "KES", "returned", "re_1", receipt=receipt)
    assert first.status == "pending"
    result = wait_until(lambda: receiver.results(first.provider_reference), 3)[0]
    update = gw.parse_notification(account, result["headers"], result["body"]).refund
    assert (update.status, update.provider_reference, update.amount) == \
        ("succeeded", first.provider_reference, 1000)
    again = gw.refund(account, ref, 1000, "KES", None, "re_2", receipt=receipt)
    result = wait_until(lambda: receiver.results(again.provider_reference), 3)[0]
    update = gw.parse_notification(account, result["headers"], result["body"]).refund
    assert update.status == "failed" and "already been reversed" in update.failure_message


def test_reversal_of_an_unknown_receipt_or_with_a_wrong_password(gw, account, receiver):
    unknown = gw.refund(account, "ws_CO_1", 1000, "KES", None, "re_1", receipt="SKE0000000")
    result = wait_until(lambda: receiver.results(unknown.provider_reference), 3)[0]
    assert result["json"]["Result"]["ResultCode"] == "R000002"
    assert gw.parse_notification(account, {}, result["body"]).refund.status == "failed"
    wrong = Account(credentials={**account.credentials, "initiator_password": "nope"},
                    livemode=False, base_url=account.base_url, notify_url=account.notify_url)
    bad = gw.refund(wrong, "ws_CO_1", 1000, "KES", None, "re_2", receipt="SKE0000000")
    result = wait_until(lambda: receiver.results(bad.provider_reference), 3)[0]
    assert result["json"]["Result"]["ResultCode"] == "2001"


def test_same_amount_to_same_number_within_two_minutes_is_rule_limited(gw, make_sim,
                                                                       receiver):
    served = make_sim({"delay_seconds": 0.1, "mpesa_ke": {"lock_seconds": 0.2,
                                                          "callback_delay_seconds": 0.01}})
    acct = Account(credentials=gw.test_credentials(), livemode=False,
                   base_url=served.url + "/daraja", notify_url=receiver.url)
    gw.register_test_account(acct, (2, 3))
    first = pay("01")
    ref = gw.initiate(acct, first).provider_reference
    assert settle(gw, acct, ref, first.payment_id).status == "succeeded"
    time.sleep(0.25)
    second = pay("01")
    ref = gw.initiate(acct, second).provider_reference
    result = settle(gw, acct, ref, second.payment_id)
    assert (result.status, result.failure_code) == ("failed", "repeat_too_soon")
