"""Paystack simulator: signed webhooks and their retries (providers.md 3.5)."""
import time

from checkout.simulators.paystack.rules import PaystackConfig
from tests.waiting import wait_until

from .support import KEY, PaystackClient, RawReceiver, hmac_sha512

VERIFY_FIELDS = {"id", "domain", "status", "reference", "amount", "gateway_response",
                 "paid_at", "created_at", "channel", "currency", "fees", "customer",
                 "authorization", "metadata", "log"}


def test_charge_success_is_signed_over_the_exact_bytes(paystack, receiver):
    reference = paystack.charge_ok("mtn", metadata={"payment_id": "pay_1"})
    (hook,) = wait_until(lambda: receiver.events(reference))
    headers = {k.lower(): v for k, v in hook["headers"].items()}
    assert headers["x-paystack-signature"] == hmac_sha512(KEY, hook["body"])
    assert headers["content-type"] == "application/json"
    assert hook["path"] == "/webhooks/paystack/tok"
    event = hook["json"]
    assert set(event) == {"event", "data"} and event["event"] == "charge.success"
    data = event["data"]
    assert VERIFY_FIELDS <= set(data)
    assert (data["status"], data["reference"], data["amount"], data["currency"]) == \
        ("success", reference, 2500, "GHS")
    assert (data["domain"], data["metadata"]) == ("test", {"payment_id": "pay_1"})
    # The status call already says success when the webhook arrives.
    assert paystack.verify(reference)["status"] == "success"


def test_a_signature_with_another_key_would_not_match(paystack, receiver):
    reference = paystack.charge_ok("mtn", "09")
    (hook,) = wait_until(lambda: receiver.events(reference))
    signature = {k.lower(): v for k, v in hook["headers"].items()}["x-paystack-signature"]
    assert signature != hmac_sha512("sk_test_other", hook["body"])
    assert signature != hmac_sha512(KEY, hook["body"].replace(b"2500", b"25"))


def test_no_webhook_url_no_webhook(server, receiver):
    client = PaystackClient(server.url)
    client.put_account(webhook_url=None)
    reference = client.charge_ok("mtn", "09")
    assert client.verify(reference)["status"] == "success"
    time.sleep(0.1)
    assert receiver.calls == []
    client.close()


def test_magic_08_webhook_before_the_status_then_twice(make_sim, receiver):
    served = make_sim({"delay_seconds": 1.0, "paystack": {"webhook_delay_seconds": 0}})
    client = PaystackClient(served.url)
    client.put_account(webhook_url=receiver.url)
    receiver.on_request = lambda call: client.verify(call["json"]["data"]["reference"])["status"]
    reference = client.charge_ok("mtn", "08")
    calls = wait_until(lambda: len(c := receiver.events(reference)) >= 3 and c)
    assert [c["json"]["event"] for c in calls] == ["charge.success"] * 3
    assert [c["json"]["data"]["status"] for c in calls] == ["success"] * 3
    assert calls[0]["observed"] == "ongoing"
    assert [c["observed"] for c in calls[1:]] == ["success", "success"]
    time.sleep(0.3)
    assert len(receiver.events(reference)) == 3
    client.close()


def test_retries_four_times_every_3_min_then_hourly_compressed(make_sim):
    receiver = RawReceiver()
    receiver.status_code = 500
    served = make_sim({"delay_seconds": 0.05, "paystack": {
        "webhook_delay_seconds": 0, "time_factor": 0.0002, "webhook_retries": 6}})
    client = PaystackClient(served.url)
    client.put_account(webhook_url=receiver.url)
    reference = client.charge_ok("mtn", "09")
    calls = wait_until(lambda: len(c := receiver.events(reference)) >= 6 and c, timeout=10)
    receiver.status_code = 200
    calls = wait_until(lambda: len(c := receiver.events(reference)) >= 7 and c, timeout=10)
    gaps = [b["at"] - a["at"] for a, b in zip(calls, calls[1:], strict=False)]
    assert all(0.02 <= g < 0.4 for g in gaps[:4]), gaps          # 180 s x 0.0002 = 36 ms
    assert all(g >= 0.6 for g in gaps[4:]), gaps                 # 3600 s x 0.0002 = 720 ms
    assert len({c["body"] for c in calls}) == 1                   # the same bytes each time
    time.sleep(1.0)
    assert len(receiver.events(reference)) == 7                   # delivered: no more tries
    log = client.sim("GET", f"/transactions/{reference}").json()["webhooks"][0]["attempts"]
    assert [a["result"] for a in log] == [500] * 6 + [200]
    client.close()
    receiver.stop()


def test_retries_stop_after_the_configured_count(paystack, receiver):
    receiver.status_code = 503                                    # FAST: webhook_retries 2
    reference = paystack.charge_ok("mtn", "09")
    wait_until(lambda: len(receiver.events(reference)) == 3, timeout=5)
    time.sleep(0.5)
    assert len(receiver.events(reference)) == 3


def test_an_unreachable_webhook_url_does_not_break_the_payment(server):
    client = PaystackClient(server.url)
    client.put_account(webhook_url="http://127.0.0.1:9/nowhere")
    reference = client.charge_ok("mtn", "09")
    assert client.verify(reference)["status"] == "success"
    log = wait_until(lambda: (w := client.sim("GET", f"/transactions/{reference}").json()
                              ["webhooks"][0]["attempts"]) and w)
    assert log[0]["result"] == "ConnectionError"
    client.close()


def test_the_default_schedule_is_paystacks():
    delays = PaystackConfig().retry_delays()
    assert delays[:4] == [180.0] * 4 and set(delays[4:]) == {3600.0}
    assert 4 * 180 + 3600 * (len(delays) - 4) <= 72 * 3600
    assert PaystackConfig(time_factor=0.01, webhook_retries=5).retry_delays() == \
        [1.8, 1.8, 1.8, 1.8, 36.0]
