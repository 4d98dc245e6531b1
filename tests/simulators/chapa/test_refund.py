"""Chapa simulator: POST /v1/refund/{tx_ref} (providers.md 2.6): queued, then done after
the delay, with a signed charge.refunded webhook; verify says refunded once the refunds
sum to the amount."""
import json

import pytest

from tests.waiting import wait_until

from .support import WEBHOOK_SECRET, ChapaClient, hmac_hex


def test_full_refund_is_queued_then_refunded_with_a_webhook(chapa, hooks):
    chapa.pay("pay_rf", amount="400.00")
    wait_until(lambda: hooks.posts("pay_rf"))
    resp = chapa.refund("pay_rf", amount="400.00", reason="Out of stock", reference="re_1")
    assert resp.status_code == 200
    body = resp.json()
    assert (body["message"], body["status"]) == ("Refund queued", "success")
    assert body["data"]["tx_ref"] == "pay_rf" and body["data"]["amount"] == "400.00"
    assert body["data"]["reference"] == "re_1"
    assert chapa.status_of("pay_rf") == "success"             # queued, not done yet
    chapa.wait_status("pay_rf", "refunded")
    refunds = wait_until(lambda: [c for c in hooks.posts("pay_rf")
                                  if json.loads(c["raw"])["event"] == "charge.refunded"])
    (call,) = refunds
    assert call["headers"]["X-Chapa-Signature"] == hmac_hex(WEBHOOK_SECRET, call["raw"])
    hook = json.loads(call["raw"])
    assert (hook["status"], hook["amount"], hook["currency"], hook["mode"]) == \
        ("refunded", "400.00", "ETB", "test")
    seen = chapa.inspect("pay_rf")
    assert seen["refunded"] == "400.00" and seen["refunds"][0]["reason"] == "Out of stock"


def test_refund_without_amount_is_the_whole_payment(chapa):
    chapa.pay("pay_all", amount="10.50")
    assert chapa.refund("pay_all").json()["data"]["amount"] == "10.50"
    chapa.wait_status("pay_all", "refunded")


def test_partial_refunds_until_the_amount_is_reached(chapa, hooks):
    chapa.pay("pay_part", amount="100.00")
    assert chapa.refund("pay_part", amount="30.00").status_code == 200
    wait_until(lambda: chapa.inspect("pay_part")["refunded"] == "30.00")
    assert chapa.status_of("pay_part") == "success"
    assert chapa.refund("pay_part", amount="70.01").status_code == 400     # too much
    assert chapa.refund("pay_part", amount="70").status_code == 200
    chapa.wait_status("pay_part", "refunded")
    amounts = wait_until(lambda: len(a := [json.loads(c["raw"])["amount"]
                                           for c in hooks.posts("pay_part")
                                           if json.loads(c["raw"])["event"]
                                           == "charge.refunded"]) == 2 and a)
    assert sorted(amounts) == ["30.00", "70.00"]
    assert chapa.refund("pay_part", amount="1").status_code == 400         # nothing left


@pytest.mark.parametrize("action", ["decline", "abandon"])
def test_only_successful_payments_are_refundable(chapa, action):
    chapa.pay("pay_nr", action)
    resp = chapa.refund("pay_nr", amount="1.00")
    assert resp.status_code == 400 and resp.json()["status"] == "failed"


@pytest.mark.parametrize("amount", ["0", "-1", "1.234", "abc"])
def test_bad_refund_amounts(chapa, amount):
    chapa.pay("pay_ba")
    assert chapa.refund("pay_ba", amount=amount).status_code == 400


def test_unknown_or_foreign_tx_ref_is_404(chapa, chapa_sim):
    assert chapa.refund("pay_nothing").status_code == 404
    other = ChapaClient(chapa_sim.url, key="CHASECK_TEST-someoneelse000000000")
    chapa.put_account("someone", secret_key=other.key)
    other.pay("pay_theirs")
    resp = chapa.refund("pay_theirs", amount="1.00")
    assert resp.status_code == 404
    assert resp.json()["message"] == "Invalid transaction or Transaction not found"
    other.close()


def test_refund_needs_the_key(chapa):
    chapa.pay("pay_key")
    assert chapa.refund("pay_key", key=None).status_code == 401
    assert chapa.refund("pay_key", key="CHASECK_TEST-nope").status_code == 401
