"""FeexPay simulator: webhooks to the shop's dashboard-configured URL (providers.md 1.7)."""
import time
from datetime import datetime

from tests.simulators.support import DELAY, FeexPayClient, Receiver, phone
from tests.waiting import wait_until

PAYLOAD_1_7 = {"reference", "order_id", "status", "amount", "callback_info", "first_name",
               "last_name", "email", "type", "phoneNumber", "date", "reseau", "ref_link",
               "description", "reason", "ref_operator"}


def test_final_status_posts_the_documented_payload_unsigned(feexpay, receiver):
    reference = feexpay.pay_ok("mtn_ci", first_name="Awa", last_name="Kone", email="a@b.ci",
                               description="Order 7", callback_info={"order": 7})
    (call,) = wait_until(lambda: receiver.for_ref(reference))
    body = call["json"]
    assert set(body) == PAYLOAD_1_7
    assert body["order_id"] == reference and body["status"] == "SUCCESSFUL"
    assert body["amount"] == 1000 and body["phoneNumber"] == phone("mtn_ci")
    assert body["type"] == "Paiement" and body["reseau"] == "MTN CI"
    assert body["callback_info"] == {"order": 7} and body["email"] == "a@b.ci"
    assert datetime.fromisoformat(body["date"].replace("Z", "+00:00")).utcoffset().seconds == 0
    assert call["path"] == "/webhooks/feexpay"
    headers = {k.lower() for k in call["headers"]}
    assert "authorization" not in headers and not any("signature" in h for h in headers)
    assert call["headers"]["Content-Type"] == "application/json"
    # The status endpoint already says final when the webhook arrives.
    assert feexpay.status_of(reference)["status"] == "SUCCESSFUL"


def test_failure_webhook_carries_the_reason(feexpay, receiver):
    reference = feexpay.pay_ok("moov", "02")
    (call,) = wait_until(lambda: receiver.for_ref(reference))
    assert call["json"]["status"] == "FAILED" and call["json"]["reason"] == "LOW_BALANCE"
    assert call["json"]["reseau"] == "MOOV"


def test_magic_05_succeeds_but_never_sends_a_webhook(feexpay, receiver):
    silent = feexpay.pay_ok("mtn", "05")
    control = feexpay.pay_ok("mtn", "01")
    assert feexpay.wait_final(silent)["status"] == "SUCCESSFUL"
    wait_until(lambda: receiver.for_ref(control))
    time.sleep(DELAY)
    assert receiver.for_ref(silent) == []


def test_magic_08_webhook_arrives_before_the_status_is_final_then_twice(make_sim, receiver):
    served = make_sim({"delay_seconds": 1.0})
    client = FeexPayClient(served.url)
    client.put_shop(webhook_url=receiver.url)
    receiver.on_request = lambda call: client.status_of(call["json"]["reference"])["status"]
    reference = client.pay_ok("mtn", "08")
    calls = wait_until(lambda: len(c := receiver.for_ref(reference)) >= 3 and c)
    assert [c["json"]["status"] for c in calls] == ["SUCCESSFUL"] * 3
    assert calls[0]["observed"] in ("PENDING", "IN PENDING STATE")
    assert [c["observed"] for c in calls[1:]] == ["SUCCESSFUL", "SUCCESSFUL"]
    time.sleep(0.3)
    assert len(receiver.for_ref(reference)) == 3
    client.close()


def test_magic_04_sends_no_webhook(feexpay, receiver):
    reference = feexpay.pay_ok("mtn", "04")
    control = feexpay.pay_ok("mtn", "01")
    wait_until(lambda: receiver.for_ref(control))
    assert receiver.for_ref(reference) == []


def test_undelivered_webhook_is_retried_a_couple_of_times_at_most(feexpay, receiver):
    receiver.status_code = 500
    reference = feexpay.pay_ok("mtn")
    wait_until(lambda: len(receiver.for_ref(reference)) == 3)
    time.sleep(0.4)  # retry delay is 0.1 s: a fourth attempt would have come
    assert len(receiver.for_ref(reference)) == 3
    log = feexpay.sim("GET", f"/transactions/{reference}").json()["webhooks"]
    assert [a["result"] for a in log[0]["attempts"]] == [500, 500, 500]


def test_unreachable_webhook_url_does_not_break_the_payment(feexpay):
    dead = Receiver()
    dead.stop()  # nothing listens on that port any more
    feexpay.put_shop(webhook_url=dead.url)
    reference = feexpay.pay_ok("mtn")
    assert feexpay.wait_final(reference)["status"] == "SUCCESSFUL"
    log = wait_until(lambda: (w := feexpay.sim("GET", f"/transactions/{reference}")
                              .json()["webhooks"]) and len(w[0]["attempts"]) == 3 and w)
    assert all(a["result"] == "ConnectionError" for a in log[0]["attempts"])


def test_shop_without_webhook_url_gets_none(feexpay, receiver):
    feexpay.put_shop(webhook_url=None)
    reference = feexpay.pay_ok("mtn")
    assert feexpay.wait_final(reference)["status"] == "SUCCESSFUL"
    time.sleep(0.1)
    assert receiver.calls == []
