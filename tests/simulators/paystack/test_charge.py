"""Paystack simulator: mobile money through the Charge API (providers.md 3.4, 3.8) and the
magic phone numbers of the README."""
import time

import pytest

from tests.waiting import wait_until

from .support import DELAY, GH, KE


def test_mtn_is_pay_offline_then_succeeds(paystack, receiver):
    resp = paystack.charge("mtn", GH + "01", reference="mtn-1", currency="GHS")
    assert resp.status_code == 200
    body = resp.json()
    assert (body["status"], body["message"]) == (True, "Charge attempted")
    assert body["data"] == {"reference": "mtn-1", "status": "pay_offline",
                            "display_text": "Please complete authorization process on your "
                                            "mobile phone"}
    assert paystack.verify("mtn-1")["status"] == "ongoing"
    assert paystack.get("/charge/mtn-1").json()["data"]["status"] == "pay_offline"
    data = paystack.wait_final("mtn-1")
    assert (data["status"], data["amount"], data["currency"], data["channel"]) == \
        ("success", 2500, "GHS", "mobile_money")
    assert data["authorization"]["bank"] == "MTN Mobile Money"
    assert paystack.get("/charge/mtn-1").json()["data"]["status"] == "success"
    (hook,) = wait_until(lambda: receiver.events("mtn-1"))
    assert hook["json"]["event"] == "charge.success"


@pytest.mark.parametrize("provider, phone", [("atl", "0271234901"), ("atl", "+233271234901"),
                                             ("mtn", "233241234901")])
def test_ghana_numbers_local_or_international(paystack, provider, phone):
    resp = paystack.charge(provider, phone)
    assert resp.status_code == 200 and resp.json()["data"]["status"] == "pay_offline"


def test_vodafone_asks_for_the_voucher_then_pays(paystack):
    resp = paystack.charge("vod", GH + "01", reference="vod-1")
    data = resp.json()["data"]
    assert (data["status"], data["reference"]) == ("send_otp", "vod-1")
    assert "*110#" in data["display_text"]
    assert paystack.verify("vod-1")["status"] == "send_otp"
    wrong = paystack.post("/charge/submit_otp", {"otp": "654321", "reference": "vod-1"})
    assert wrong.status_code == 400
    assert wrong.json()["message"] == "Provided registration token is invalid"
    assert wrong.json()["data"]["status"] == "send_otp"
    right = paystack.post("/charge/submit_otp", {"otp": "123456", "reference": "vod-1"})
    assert right.status_code == 200 and right.json()["data"]["status"] == "pay_offline"
    assert paystack.wait_final("vod-1")["status"] == "success"
    again = paystack.post("/charge/submit_otp", {"otp": "123456", "reference": "vod-1"})
    assert again.status_code == 400


def test_three_wrong_vouchers_lock_the_charge(paystack):
    paystack.charge("vod", GH + "01", reference="vod-2")
    for _ in range(3):
        paystack.post("/charge/submit_otp", {"otp": "000000", "reference": "vod-2"})
    locked = paystack.post("/charge/submit_otp", {"otp": "123456", "reference": "vod-2"})
    assert locked.status_code == 400 and locked.json()["message"].startswith("Too many attempts")
    assert paystack.verify("vod-2")["status"] == "send_otp"


def test_mpesa_kenya(paystack):
    resp = paystack.charge("mpesa", KE + "01", reference="ke-1")
    assert resp.json()["data"]["status"] == "pay_offline"
    data = paystack.wait_final("ke-1")
    assert (data["status"], data["currency"]) == ("success", "KES")


@pytest.mark.parametrize("provider, currency", [("mtn", "GHS"), ("atl", "GHS"), ("vod", "GHS"),
                                                ("mpesa", "KES")])
def test_currency_defaults_to_the_providers(paystack, provider, currency):
    reference = paystack.charge_ok(provider)
    assert paystack.verify(reference)["currency"] == currency


@pytest.mark.parametrize("fields, message", [
    ({"currency": "KES"}, "Currency not supported by merchant"),
    ({"mobile_money": None}, "One of Authorization code, card object, bank object, ussd "
     "object, mobile money object, qr object, or EFT object should be passed."),
    ({"mobile_money": {"phone": GH + "01", "provider": "glo"}}, None),
    ({"mobile_money": {"phone": "0551234", "provider": "mtn"}}, None),
    ({"mobile_money": {"phone": KE + "01", "provider": "mtn"}}, None),
    ({"email": None}, "Email address is required to create charge"),
    ({"amount": -5}, "You must specify a valid amount"),
    ({"reference": "bad ref"}, "Invalid character in transaction reference"),
])
def test_charge_validation(paystack, fields, message):
    body = {"email": "ama@example.com", "amount": 2500,
            "mobile_money": {"phone": GH + "01", "provider": "mtn"}, **fields}
    resp = paystack.post("/charge", {k: v for k, v in body.items() if v is not None})
    assert resp.status_code == 400
    assert resp.json()["status"] is False
    assert message is None or resp.json()["message"] == message
    assert paystack.sim("GET", "/transactions").json() == []


def test_duplicate_charge_reference(paystack):
    paystack.charge("mtn", reference="dup-1")
    resp = paystack.charge("mtn", reference="dup-1")
    assert resp.status_code == 400
    assert resp.json()["message"] == "Duplicate charge request for reference"


def test_magic_02_insufficient_funds(paystack, receiver):
    reference = paystack.charge_ok("mtn", "02")
    data = paystack.wait_final(reference)
    assert (data["status"], data["gateway_response"]) == \
        ("failed", "Insufficient funds in the wallet")
    time.sleep(0.1)
    assert receiver.events(reference) == []


def test_magic_03_declined_by_the_shopper(paystack):
    data = paystack.wait_final(paystack.charge_ok("mpesa", "03"))
    assert (data["status"], data["gateway_response"]) == \
        ("failed", "Transaction declined by the customer")


def test_magic_04_never_answers(paystack, receiver):
    silent, control = paystack.charge_ok("mtn", "04"), paystack.charge_ok("mtn", "01")
    paystack.wait_final(control)
    wait_until(lambda: receiver.events(control))
    time.sleep(DELAY)
    assert paystack.verify(silent)["status"] == "ongoing" and receiver.events(silent) == []


def test_magic_05_succeeds_without_webhook(paystack, receiver):
    silent, control = paystack.charge_ok("mtn", "05"), paystack.charge_ok("mtn", "01")
    assert paystack.wait_final(silent)["status"] == "success"
    wait_until(lambda: receiver.events(control))
    time.sleep(0.1)
    assert receiver.events(silent) == []


def test_magic_06_is_a_502_and_nothing_is_kept(paystack):
    resp = paystack.charge("mtn", GH + "06", reference="six-1")
    assert resp.status_code == 502 and resp.json()["status"] is False
    assert "Nothing was debited" in resp.json()["message"]
    assert paystack.get("/transaction/verify/six-1").status_code == 400
    assert paystack.charge("mtn", GH + "01", reference="six-1").status_code == 200  # retry ok


def test_magic_07_succeeds_late(paystack):
    reference = paystack.charge_ok("mtn", "07")
    time.sleep(DELAY * 2)
    assert paystack.verify(reference)["status"] == "ongoing"
    assert paystack.wait_final(reference)["status"] == "success"


def test_magic_09_succeeds_at_once(paystack, receiver):
    resp = paystack.charge("mtn", GH + "09", reference="nine-1")
    data = resp.json()["data"]
    assert (data["status"], data["amount"], data["domain"]) == ("success", 2500, "test")
    assert paystack.verify("nine-1")["status"] == "success"
    wait_until(lambda: receiver.events("nine-1"))


def test_vodafone_scenario_starts_after_the_voucher(paystack):
    paystack.charge("vod", GH + "09", reference="vod-9")
    assert paystack.verify("vod-9")["status"] == "send_otp"
    answer = paystack.post("/charge/submit_otp", {"otp": "123456", "reference": "vod-9"})
    assert answer.json()["data"]["status"] == "success"


def test_admin_can_force_an_outcome(paystack):
    reference = paystack.charge_ok("mtn", "04")
    forced = paystack.sim("POST", f"/transactions/{reference}/complete",
                          json={"status": "failed", "gateway_response": "Timeout"})
    assert forced.status_code == 200 and forced.json()["status"] == "failed"
    assert paystack.verify(reference)["gateway_response"] == "Timeout"
    again = paystack.sim("POST", f"/transactions/{reference}/complete",
                         json={"status": "success"})
    assert again.status_code == 409
