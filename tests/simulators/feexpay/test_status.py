"""FeexPay simulator: GET /api/transactions/public/single/status/{reference} (providers.md 1.3)."""
import time

import pytest

from tests.simulators.support import DELAY, FeexPayClient, phone
from tests.waiting import wait_until

FIELDS_1_3 = {"reference", "amount", "phoneNumber", "status", "first_name", "last_name", "mode",
              "callback_info", "reason", "operator_status", "responsecode", "responsemsg",
              "transref", "serviceref", "description", "date"}


@pytest.mark.parametrize("key, code", [(None, 401), ("wrong-key", 401)])
def test_status_requires_the_bearer(feexpay, key, code):
    reference = feexpay.pay_ok("mtn")
    resp = feexpay.status(reference, key=key)
    assert resp.status_code == code
    assert resp.json()["message"] in ("UNAUTHORIZED", "ERR_INVALID_API_KEY")
    assert feexpay.status(reference).status_code == 200


def test_status_with_another_shops_key_does_not_find_it(feexpay):
    reference = feexpay.pay_ok("mtn")
    feexpay.put_shop("otherShop000001", api_key="fp_other")
    resp = feexpay.status(reference, key="fp_other")
    assert resp.status_code == 404


def test_unknown_reference_is_404(feexpay):
    resp = feexpay.status("1e636dff-6b81-499e-bf8b-64b4a07a02a8")
    assert resp.status_code == 404
    assert resp.json() == {"message": "Transaction not found"}


def test_success_timeline_passes_through_in_pending_state(make_sim):
    served = make_sim({"delay_seconds": 0.6})
    client = FeexPayClient(served.url)
    client.put_shop()
    reference = client.pay_ok("mtn", "01")
    seen = []
    while not seen or seen[-1] not in ("SUCCESSFUL", "FAILED"):
        status = client.status_of(reference)["status"]
        if not seen or seen[-1] != status:
            seen.append(status)
        time.sleep(0.02)
    assert seen == ["PENDING", "IN PENDING STATE", "SUCCESSFUL"]
    client.close()


def test_mtn_status_is_plain_with_the_documented_fields(feexpay):
    info = {"order": "A-1", "items": [1, 2]}
    reference = feexpay.pay_ok("mtn", first_name="Ada", last_name="Hounsou",
                               description="Order 1", callback_info=info)
    pending = feexpay.status(reference).json()
    assert FIELDS_1_3 <= set(pending)
    assert pending["status"] == "PENDING" and pending["reason"] is None
    body = feexpay.wait_final(reference)
    assert body == feexpay.status(reference).json()  # not wrapped
    assert body["amount"] == 1000 and body["phoneNumber"] == phone("mtn")
    assert body["mode"] == "MTN" and body["callback_info"] == info
    assert body["first_name"] == "Ada" and body["description"] == "Order 1"
    assert body["status"] == "SUCCESSFUL" and body["operator_status"] == "SUCCESSFUL"
    assert body["transref"] and body["date"].endswith("Z")


def test_string_callback_info_is_echoed_as_sent(feexpay):
    reference = feexpay.pay_ok("celtiis_bj", callback_info="order:42")
    assert feexpay.status_of(reference)["callback_info"] == "order:42"


@pytest.mark.parametrize("network", ["moov", "togocom_tg", "moov_tg", "moov_ci", "moov_bf"])
def test_some_networks_give_amount_as_string_and_phone_as_number(feexpay, network):
    reference = feexpay.pay_ok(network, amount=2500)
    body = feexpay.status(reference).json()
    assert "data" not in body
    assert body["amount"] == "2500" and body["phoneNumber"] == int(phone(network))


@pytest.mark.parametrize("network, stringy", [("coris", False), ("free_sn", True),
                                              ("mobicash_ml", True), ("wave_ci", False)])
def test_some_networks_wrap_the_status_in_data(feexpay, network, stringy):
    reference = feexpay.pay_ok(network)
    body = feexpay.status(reference).json()
    assert set(body) == {"data"} and body["data"]["reference"] == reference
    assert body["data"]["amount"] == ("1000" if stringy else 1000)


def test_magic_02_fails_with_low_balance_after_the_delay(feexpay):
    reference = feexpay.pay_ok("mtn_ci", "02")
    assert feexpay.status_of(reference)["status"] == "PENDING"
    body = feexpay.wait_final(reference)
    assert body["status"] == "FAILED" and body["reason"] == "LOW_BALANCE"
    assert body["responsemsg"] == "FAILED"


def test_magic_02_on_moov_bj_is_already_failed_on_the_status_endpoint(feexpay):
    reference = feexpay.pay_ok("moov", "02")
    body = feexpay.status_of(reference)
    assert body["status"] == "FAILED" and body["reason"] == "LOW_BALANCE"


def test_magic_03_is_a_cancel_and_operator_status_leads(make_sim):
    served = make_sim({"delay_seconds": 0.6})
    client = FeexPayClient(served.url)
    client.put_shop()
    reference = client.pay_ok("mtn", "03")
    lagging = wait_until(lambda: (s := client.status_of(reference))["status"] != "PENDING" and s)
    assert lagging["status"] == "IN PENDING STATE" and lagging["operator_status"] == "DECLINED"
    body = client.wait_final(reference)
    assert body["status"] == "FAILED" and body["reason"] == "DECLINED"
    client.close()


def test_magic_04_never_answers(feexpay):
    reference = feexpay.pay_ok("togocom_tg", "04")
    time.sleep(DELAY * 2.5)
    assert feexpay.status_of(reference)["status"] == "IN PENDING STATE"
    assert feexpay.sim("GET", f"/transactions/{reference}").json()["webhooks"] == []


def test_magic_07_succeeds_only_after_the_late_delay(feexpay):
    started = time.monotonic()
    reference = feexpay.pay_ok("mtn", "07")
    time.sleep(DELAY * 2)
    assert feexpay.status_of(reference)["status"] == "IN PENDING STATE"
    assert feexpay.wait_final(reference)["status"] == "SUCCESSFUL"
    assert time.monotonic() - started >= 0.8  # late_delay_seconds of the fast config


@pytest.mark.parametrize("magic", ["01", "55", "00", "10"])
def test_ordinary_numbers_succeed_after_the_delay(feexpay, magic):
    started = time.monotonic()
    reference = feexpay.pay_ok("orange_sn", magic)  # redirect network: shopper approves
    feexpay.sim("POST", f"/pay/{reference}", data={"decision": "approve"}, allow_redirects=False)
    assert feexpay.wait_final(reference)["status"] == "SUCCESSFUL"
    assert time.monotonic() - started >= DELAY


def test_balance_probe(feexpay):
    url = f"{feexpay.base}/api/balance/public/getByShop/{feexpay.shop}"
    assert feexpay.http.get(url, timeout=5).status_code == 401
    reference = feexpay.pay_ok("moov", "09")
    assert feexpay.status_of(reference)["status"] == "SUCCESSFUL"
    body = feexpay.http.get(url, headers=feexpay.auth(), timeout=5).json()
    assert body["success"] is True and body["balance"] == 1000
