"""Chapa simulator: the GET callback (providers.md 2.3) and the signed flat webhook (2.5),
with its retries every 10 minutes (compressed here) while not answered 2xx."""
import json
import time

from tests.waiting import wait_until

from .support import DELAY, WEBHOOK_SECRET, ChapaClient, hmac_hex

PAYLOAD_2_5 = {"event", "first_name", "last_name", "email", "mobile", "currency", "amount",
               "charge", "status", "mode", "reference", "created_at", "updated_at", "type",
               "tx_ref", "payment_method", "customization", "meta"}


def test_callback_get_carries_trx_ref_ref_id_and_status(chapa, hooks):
    chapa.pay("pay_cb", callback_url=hooks.callback_url, return_url="https://shop.test/r")
    (call,) = wait_until(lambda: hooks.gets("pay_cb"))
    reference = chapa.verify("pay_cb").json()["data"]["reference"]
    assert call["path"] == "/callback" and call["raw"] == b""
    assert call["query"] == {"shop": "7", "trx_ref": "pay_cb", "ref_id": reference,
                             "status": "success"}


def test_decline_calls_back_with_failed(chapa, hooks):
    chapa.pay("pay_cbf", "decline", callback_url=hooks.callback_url)
    (call,) = wait_until(lambda: hooks.gets("pay_cbf"))
    assert call["query"]["status"] == "failed"


def test_webhook_is_flat_and_signed_over_the_exact_bytes(chapa, hooks):
    started = time.monotonic()
    chapa.pay("pay_wh", first_name="Abebe", last_name="Bikila", email="abebe@example.et",
              phone_number="0911000000", amount="400.00",
              **{"customization[title]": "Shop"})
    (call,) = wait_until(lambda: hooks.posts("pay_wh"))
    assert call["at"] - started >= DELAY * 0.9          # sent after the delay, not inline
    raw, headers = call["raw"], {k.lower(): v for k, v in call["headers"].items()}
    assert headers["x-chapa-signature"] == hmac_hex(WEBHOOK_SECRET, raw)
    assert headers["chapa-signature"] == hmac_hex(WEBHOOK_SECRET, WEBHOOK_SECRET.encode())
    assert headers["content-type"] == "application/json"
    assert call["path"] == "/webhooks/chapa/tok" and b", " not in raw    # compact JSON
    body = json.loads(raw)
    assert set(body) == PAYLOAD_2_5
    assert (body["event"], body["status"], body["mode"], body["type"]) == \
        ("charge.success", "success", "test", "API")
    assert (body["amount"], body["currency"], body["charge"]) == ("400.00", "ETB", "14.00")
    assert (body["mobile"], body["email"], body["tx_ref"]) == \
        ("251911000000", "abebe@example.et", "pay_wh")
    assert body["reference"] == chapa.verify("pay_wh").json()["data"]["reference"]
    assert body["customization"]["title"] == "Shop"


def test_decline_sends_a_failed_webhook(chapa, hooks):
    chapa.pay("pay_whf", "decline")
    (call,) = wait_until(lambda: hooks.posts("pay_whf"))
    body = json.loads(call["raw"])
    assert (body["event"], body["status"]) == ("charge.failed", "failed")


def test_undelivered_webhook_is_retried_then_given_up(chapa, hooks):
    hooks.status_codes = [500]
    chapa.pay("pay_retry")
    calls = wait_until(lambda: len(c := hooks.posts("pay_retry")) == 4 and c)
    gaps = [b["at"] - a["at"] for a, b in zip(calls, calls[1:], strict=False)]
    assert all(0.1 <= gap < 1.0 for gap in gaps), gaps      # 600 s x 0.0002 = 0.12 s
    assert len({c["raw"] for c in calls}) == 1              # the same event, the same bytes
    time.sleep(0.5)
    assert len(hooks.posts("pay_retry")) == 4               # webhook_max_attempts
    log = chapa.inspect("pay_retry")["webhooks"]
    assert [a["result"] for a in log[0]["attempts"]] == [500, 500, 500, 500]


def test_retries_stop_at_the_first_2xx(chapa, hooks):
    hooks.status_codes = [500, 503, 204]
    chapa.pay("pay_third")
    wait_until(lambda: len(hooks.posts("pay_third")) == 3)
    time.sleep(0.4)
    assert len(hooks.posts("pay_third")) == 3
    log = chapa.inspect("pay_third")["webhooks"][0]["attempts"]
    assert [a["result"] for a in log] == [500, 503, 204]


def test_default_policy_is_every_ten_minutes_up_to_ten_attempts(make_sim):
    cfg = make_sim({}).server.app.extensions["simulators"]["chapa"].cfg
    assert (cfg.retry_seconds, cfg.webhook_max_attempts) == (600, 10)
    assert 0 < cfg.delay_seconds <= 30


def test_unreachable_webhook_url_does_not_break_the_payment(chapa, hooks):
    dead_url = hooks.webhook_url
    hooks.stop()
    chapa.put_account(webhook_url=dead_url)
    chapa.pay("pay_dead")
    assert chapa.status_of("pay_dead") == "success"
    log = wait_until(lambda: len((w := chapa.inspect("pay_dead")["webhooks"])[0]["attempts"])
                     == 4 and w)
    assert all(a["result"] == "ConnectionError" for a in log[0]["attempts"])


def test_account_without_webhook_url_still_gets_the_callback(chapa, hooks):
    chapa.put_account(webhook_url=None)
    chapa.pay("pay_nowh", callback_url=hooks.callback_url)
    wait_until(lambda: hooks.gets("pay_nowh"))
    time.sleep(DELAY * 2)
    assert hooks.posts() == []


def test_account_without_secret_sends_unsigned_webhooks(chapa, hooks):
    chapa.put_account(webhook_url=hooks.webhook_url, webhook_secret=None)
    chapa.pay("pay_unsigned")
    (call,) = wait_until(lambda: hooks.posts("pay_unsigned"))
    assert not any("signature" in k.lower() for k in call["headers"])


def test_webhooks_go_to_the_account_of_the_transaction(chapa, chapa_sim, hooks):
    other = ChapaClient(chapa_sim.url, key="CHASECK_TEST-anotheraccount0000000")
    chapa.put_account("another", secret_key=other.key, webhook_url=None)
    other.pay("pay_other")
    chapa.pay("pay_mine")
    wait_until(lambda: hooks.posts("pay_mine"))
    time.sleep(DELAY)
    assert hooks.posts("pay_other") == []
    other.close()
