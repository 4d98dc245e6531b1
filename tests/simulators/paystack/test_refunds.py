"""Paystack simulator: refunds (providers.md 3.6) and their webhooks (3.5)."""
import time

import pytest

from tests.waiting import wait_until

from .support import KEY, OTHER_KEY, PaystackClient, hmac_sha512


@pytest.fixture
def paid(paystack):
    """The reference of a succeeded 2500-pesewa mobile-money payment."""
    reference = paystack.charge_ok("mtn", "09")
    assert paystack.verify(reference)["status"] == "success"
    return reference


def refund(paystack, reference, **fields):
    resp = paystack.post("/refund", {"transaction": reference, **fields})
    return resp


def wait_refund(paystack, refund_id, status):
    return wait_until(lambda: (d := paystack.get(f"/refund/{refund_id}").json()["data"])
                      ["status"] == status and d, what=f"refund {status}")


def test_a_refund_is_queued_then_processed_with_webhooks(paystack, receiver, paid):
    resp = refund(paystack, paid, amount=1000, merchant_note="Damaged")
    assert resp.status_code == 200
    body = resp.json()
    assert (body["status"], body["message"]) == (True, "Refund has been queued for processing")
    data = body["data"]
    assert (data["status"], data["amount"], data["currency"], data["merchant_note"]) == \
        ("pending", 1000, "GHS", "Damaged")
    assert data["transaction"]["reference"] == paid and isinstance(data["id"], int)
    fetched = wait_refund(paystack, data["id"], "processed")
    assert (fetched["transaction_reference"], fetched["amount"], fetched["domain"]) == \
        (paid, 1000, "test")
    assert fetched["refunded_at"] and fetched["refund_type"] == "partial"
    hooks = wait_until(lambda: len(h := receiver.events(paid, "refund.")) >= 2 and h)
    assert [h["json"]["event"] for h in hooks] == ["refund.pending", "refund.processed"]
    pending, processed = (h["json"]["data"] for h in hooks)
    assert (pending["status"], pending["amount"], pending["refund_reference"]) == \
        ("pending", "1000", None)
    assert (processed["status"], processed["amount"], processed["currency"]) == \
        ("processed", "1000", "GHS")
    assert processed["refund_reference"] and processed["domain"] == "test"
    assert {"transaction_reference", "processor", "customer", "integration"} <= set(processed)
    for hook in hooks:
        signature = {k.lower(): v for k, v in hook["headers"].items()}["x-paystack-signature"]
        assert signature == hmac_sha512(KEY, hook["body"])
    assert paystack.verify(paid)["status"] == "success"        # partially refunded


def test_a_full_refund_reverses_the_transaction(paystack, paid):
    data = refund(paystack, paid).json()["data"]                # no amount: all of it
    assert data["amount"] == 2500
    wait_refund(paystack, data["id"], "processed")
    assert paystack.verify(paid)["status"] == "reversed"
    again = refund(paystack, paid, amount=100)
    assert again.status_code == 400
    assert again.json() == {"status": False, "message": "Transaction has been fully reversed"}


def test_a_refund_beyond_what_is_left_fails_later(paystack, receiver, paid):
    first = refund(paystack, paid, amount=2000).json()["data"]["id"]
    second = refund(paystack, paid, amount=1000).json()["data"]["id"]
    wait_refund(paystack, first, "processed")
    failed = wait_refund(paystack, second, "failed")
    assert "exceeds" in failed["reason"]
    hook = wait_until(lambda: [h for h in receiver.events(paid, "refund.failed")])[0]
    data = hook["json"]["data"]
    assert (data["status"], data["amount"]) == ("failed", 1000)          # a number here
    assert data["refund_reference"].startswith("TRF_")
    assert paystack.verify(paid)["status"] == "success"


@pytest.mark.parametrize("fields, message", [
    ({"amount": 999999}, "Refund amount cannot be more than the transaction amount"),
    ({"amount": 0}, "You must specify a valid amount"),
    ({"currency": "NGN"}, "Currency does not match the transaction currency"),
    ({"transaction": "nope-1"}, "Transaction not found"),
    ({"transaction": ""}, "Transaction reference or id is required"),
])
def test_refund_refusals(paystack, paid, fields, message):
    resp = paystack.post("/refund", {"transaction": paid, **fields})
    assert resp.status_code == 400
    assert resp.json() == {"status": False, "message": message}


def test_an_unpaid_transaction_cannot_be_refunded(paystack):
    pending = paystack.charge_ok("mtn", "04")
    resp = refund(paystack, pending)
    assert resp.status_code == 400 and resp.json()["status"] is False


def test_a_transaction_may_be_named_by_id(paystack, paid):
    tx_id = paystack.verify(paid)["id"]
    resp = paystack.post("/refund", {"transaction": tx_id, "amount": 500})
    assert resp.status_code == 200 and resp.json()["data"]["transaction"]["reference"] == paid


def test_refund_listing_and_fetching(paystack, server, paid):
    ids = [refund(paystack, paid, amount=100).json()["data"]["id"] for _ in range(3)]
    listing = paystack.get("/refund", params={"perPage": 2, "page": 1}).json()
    assert (listing["status"], listing["message"]) == (True, "Refunds retrieved")
    assert [r["id"] for r in listing["data"]] == ids[::-1][:2]           # newest first
    assert listing["meta"] == {"total": 3, "skipped": 0, "perPage": 2, "page": 1,
                               "pageCount": 2}
    page2 = paystack.get("/refund", params={"perPage": 2, "page": 2}).json()
    assert [r["id"] for r in page2["data"]] == [ids[0]]
    assert paystack.get("/refund", params={"transaction": "other"}).json()["data"] == []
    one = paystack.get(f"/refund/{ids[0]}").json()
    assert (one["status"], one["data"]["id"], one["data"]["transaction_reference"]) == \
        (True, ids[0], paid)
    assert paystack.get("/refund/99999999").status_code == 404
    assert paystack.get("/refund/abc").status_code == 404
    other = PaystackClient(server.url, key=OTHER_KEY)
    other.put_account("acct_2", key=OTHER_KEY)
    assert other.get(f"/refund/{ids[0]}").status_code == 404            # another account's
    assert other.get("/refund").json()["data"] == []
    other.close()


def test_refunds_show_in_the_inspection(paystack, paid):
    refund_id = refund(paystack, paid, amount=100).json()["data"]["id"]
    wait_refund(paystack, refund_id, "processed")
    time.sleep(0.1)
    seen = paystack.sim("GET", f"/transactions/{paid}").json()["refunds"]
    assert [(r["id"], r["status"]) for r in seen] == [(refund_id, "processed")]
    assert [w["event"] for w in seen[0]["webhooks"]] == ["refund.pending", "refund.processed"]
