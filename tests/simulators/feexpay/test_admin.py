"""FeexPay simulator controls under /feexpay/_sim (not part of FeexPay's API)."""
import pytest

from checkout.simulators import create_simulator_app
from tests.simulators.support import API_KEY, SHOP_ID, FeexPayClient, phone
from tests.waiting import wait_until


def test_shop_registration_round_trip(sim):
    client = FeexPayClient(sim.url)
    assert client.sim("GET", f"/shops/{SHOP_ID}").status_code == 404
    resp = client.put_shop(webhook_url="http://127.0.0.1:9/hook", networks=["mtn", "wave_ci"])
    assert resp.status_code == 201
    assert client.put_shop(networks=None).status_code == 200
    assert client.sim("GET", f"/shops/{SHOP_ID}").json() == {
        "shop": SHOP_ID, "api_key": API_KEY, "webhook_url": None, "networks": None}
    client.close()


@pytest.mark.parametrize("body", [
    {"webhook_url": None}, {"api_key": ""}, {"api_key": "k", "webhook_url": "ftp://x"},
    {"api_key": "k", "networks": ["celtiis"]}, {"api_key": "k", "networks": "mtn"},
])
def test_shop_registration_is_validated(sim, body):
    client = FeexPayClient(sim.url)
    resp = client.sim("PUT", "/shops/s1", json=body)
    assert resp.status_code == 400 and resp.json()["message"]
    client.close()


def test_inspect_shows_the_request_as_received(feexpay):
    reference = feexpay.pay_ok("mtn", "04", description="Order 3", callback_info={"id": 3})
    body = feexpay.sim("GET", f"/transactions/{reference}").json()
    assert body["scenario"] == "no_answer" and body["network"] == "mtn"
    assert body["request"] == {"shop": SHOP_ID, "amount": 1000, "phoneNumber": phone("mtn", "04"),
                               "description": "Order 3", "callback_info": {"id": 3}}
    assert feexpay.sim("GET", "/transactions/nope").status_code == 404


def test_complete_forces_an_outcome_and_sends_the_webhook(feexpay, receiver):
    reference = feexpay.pay_ok("mtn", "04")
    resp = feexpay.sim("POST", f"/transactions/{reference}/complete",
                       json={"status": "FAILED", "reason": "PAYER_NOT_FOUND"})
    assert resp.status_code == 200
    body = feexpay.status_of(reference)
    assert body["status"] == "FAILED" and body["reason"] == "PAYER_NOT_FOUND"
    (call,) = wait_until(lambda: receiver.for_ref(reference))
    assert call["json"]["reason"] == "PAYER_NOT_FOUND"
    again = feexpay.sim("POST", f"/transactions/{reference}/complete",
                        json={"status": "SUCCESSFUL"})
    assert again.status_code == 409


def test_complete_success_cancels_pending_timers(feexpay):
    reference = feexpay.pay_ok("mtn", "02")  # would fail with LOW_BALANCE after the delay
    feexpay.sim("POST", f"/transactions/{reference}/complete", json={"status": "SUCCESSFUL"})
    wait_until(lambda: feexpay.sim("GET", f"/transactions/{reference}").json()["webhooks"])
    body = feexpay.status_of(reference)
    assert body["status"] == "SUCCESSFUL" and body["reason"] is None


@pytest.mark.parametrize("body", [{"status": "PENDING"}, {}, {"status": "FAILED", "reason": 3}])
def test_complete_is_validated(feexpay, body):
    reference = feexpay.pay_ok("mtn", "04")
    resp = feexpay.sim("POST", f"/transactions/{reference}/complete", json=body)
    assert resp.status_code == 400


def test_reset_forgets_transactions_and_shops_but_keeps_configured_ones(make_sim):
    served = make_sim({"feexpay": {"shops": {"seeded": {"api_key": "fp_seed"}}}})
    seeded = FeexPayClient(served.url, shop="seeded", key="fp_seed")
    reference = seeded.pay_ok("mtn")
    seeded.put_shop("extra")
    assert seeded.sim("POST", "/reset").status_code == 200
    assert seeded.status(reference).status_code == 404
    assert seeded.sim("GET", "/shops/extra").status_code == 404
    assert seeded.sim("GET", "/shops/seeded").json()["api_key"] == "fp_seed"
    seeded.close()


def test_wave_payment_page_approve_redirects_to_return_url(feexpay, receiver):
    back = "https://shop.example/return?order=9"
    reference = feexpay.pay_ok("wave_ci", return_url=back, cancel_url="https://shop.example/x")
    page = feexpay.sim("GET", f"/pay/{reference}")
    assert page.status_code == 200 and 'value="approve"' in page.text
    wait_until(lambda: feexpay.status_of(reference)["status"] == "PENDING")
    resp = feexpay.sim("POST", f"/pay/{reference}", data={"decision": "approve"},
                       allow_redirects=False)
    assert resp.status_code == 303 and resp.headers["Location"] == back
    assert feexpay.wait_final(reference)["status"] == "SUCCESSFUL"
    assert wait_until(lambda: receiver.for_ref(reference))[0]["json"]["reseau"] == "WAVE CI"
    assert 'value="approve"' not in feexpay.sim("GET", f"/pay/{reference}").text


def test_wave_stays_pending_until_the_shopper_acts(feexpay, receiver):
    reference = feexpay.pay_ok("wave_sn")
    control = feexpay.pay_ok("mtn")
    wait_until(lambda: receiver.for_ref(control))
    assert feexpay.status_of(reference)["status"] == "PENDING"


def test_orange_payment_page_decline_redirects_to_cancel_url(feexpay, receiver):
    reference = feexpay.pay_ok("orange_ml", return_url="https://shop.example/ok",
                               cancel_url="https://shop.example/cancel")
    resp = feexpay.sim("POST", f"/pay/{reference}", data={"decision": "decline"},
                       allow_redirects=False)
    assert resp.headers["Location"] == "https://shop.example/cancel"
    body = feexpay.status_of(reference)
    assert body["status"] == "FAILED" and body["reason"] == "DECLINED"
    assert wait_until(lambda: receiver.for_ref(reference))[0]["json"]["status"] == "FAILED"


def test_payment_page_rejects_unknown_decisions_and_references(feexpay):
    reference = feexpay.pay_ok("wave_bf")
    assert feexpay.sim("POST", f"/pay/{reference}", data={"decision": "maybe"}).status_code == 400
    assert feexpay.sim("GET", "/pay/unknown").status_code == 404


def test_public_url_is_used_for_payment_url(make_sim):
    served = make_sim({"public_url": "https://sim.example/"})
    client = FeexPayClient(served.url)
    client.put_shop()
    body = client.pay("wave_ci").json()
    assert body["payment_url"] == f"https://sim.example/feexpay/_sim/pay/{body['reference']}"
    client.close()


def test_config_comes_from_env_unless_given(monkeypatch):
    monkeypatch.setenv("SIM_FEEXPAY_DELAY", "0.05")
    monkeypatch.setenv("SIM_FEEXPAY_LATE_DELAY", "7")
    cfg = create_simulator_app().extensions["simulators"]["feexpay"].cfg
    assert (cfg.delay_seconds, cfg.late_delay_seconds) == (0.05, 7.0)
    cfg = create_simulator_app({"delay_seconds": 1, "feexpay": {"late_delay_seconds": 2}}) \
        .extensions["simulators"]["feexpay"].cfg
    assert (cfg.delay_seconds, cfg.late_delay_seconds) == (1, 2)


def test_config_defaults_and_typos(monkeypatch):
    monkeypatch.delenv("SIM_FEEXPAY_DELAY", raising=False)
    monkeypatch.delenv("SIM_FEEXPAY_LATE_DELAY", raising=False)
    cfg = create_simulator_app().extensions["simulators"]["feexpay"].cfg
    assert (cfg.delay_seconds, cfg.late_delay_seconds) == (3.0, 1860.0)
    assert (cfg.min_amount, cfg.max_amount) == (100, 2_000_000)
    with pytest.raises(ValueError):
        create_simulator_app({"feexpay": {"delay": 1}})
    with pytest.raises(ValueError):
        create_simulator_app({"feexpay": {"amount_limits": {"celtiis": [1, 2]}}})
