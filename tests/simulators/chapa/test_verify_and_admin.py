"""Chapa simulator: GET /v1/transaction/verify/{tx_ref} (providers.md 2.4) and the
simulator-only controls under /chapa/_sim (accounts, inspection, forced outcomes, reset)."""
import re

import pytest

from checkout.simulators.chapa import load_config

from .support import ACCOUNT_ID, SECRET_KEY, ChapaClient

VERIFY_2_4 = {"first_name", "last_name", "email", "currency", "amount", "charge", "mode",
              "method", "type", "status", "reference", "tx_ref", "customization", "meta",
              "created_at", "updated_at"}


def test_verify_of_a_fresh_transaction_is_pending(chapa):
    chapa.init_ok("pay_v", "10.50", "USD", email="a@b.et", first_name="Abebe")
    resp = chapa.verify("pay_v")
    assert resp.status_code == 200
    body = resp.json()
    assert body["status"] == "success" and body["message"]
    data = body["data"]
    assert set(data) == VERIFY_2_4
    assert (data["status"], data["amount"], data["currency"], data["mode"]) == \
        ("pending", 10.5, "USD", "test")
    assert re.fullmatch(r"AP[A-Za-z0-9]{10}", data["reference"])
    assert data["created_at"].endswith("Z") and (data["email"], data["first_name"]) == \
        ("a@b.et", "Abebe")


def test_verify_of_an_unknown_tx_ref_is_404(chapa):
    resp = chapa.verify("pay_never")
    assert resp.status_code == 404
    assert resp.json() == {"message": "Invalid transaction or Transaction not found",
                           "status": "failed", "data": None}


@pytest.mark.parametrize("key", [None, "CHASECK_TEST-bad"])
def test_verify_needs_the_key(chapa, key):
    chapa.init_ok("pay_k")
    assert chapa.verify("pay_k", key=key).status_code == 401


def test_live_key_answers_live_mode(chapa, chapa_sim):
    live = ChapaClient(chapa_sim.url, key="CHASECK-livekey00000000000000000000")
    assert chapa.put_account("live1", secret_key=live.key).json()["mode"] == "live"
    live.init_ok("pay_live")
    assert live.verify("pay_live").json()["data"]["mode"] == "live"
    live.close()


def test_account_registration(chapa):
    again = chapa.put_account(webhook_url="https://merchant.test/hook")
    assert again.status_code == 200
    got = chapa.sim("GET", f"/accounts/{ACCOUNT_ID}").json()
    assert got == {"id": ACCOUNT_ID, "secret_key": SECRET_KEY,
                   "webhook_secret": "simulator-webhook-secret",
                   "webhook_url": "https://merchant.test/hook", "mode": "test"}
    assert chapa.sim("GET", "/accounts/nobody").status_code == 404
    assert chapa.put_account("thief").status_code == 409          # the key is taken


@pytest.mark.parametrize("body", [None, [], {"secret_key": ""}, {"secret_key": 5},
                                  {"secret_key": "k", "webhook_url": "ftp://x"},
                                  {"secret_key": "k", "webhook_secret": ""}])
def test_bad_account_registrations(chapa, body):
    assert chapa.sim("PUT", "/accounts/acc2", json=body).status_code == 400


def test_complete_settles_like_the_page_and_reset_forgets_everything(chapa, hooks):
    chapa.init_ok("pay_c1", callback_url=hooks.callback_url)
    chapa.init_ok("pay_c2")
    done = chapa.sim("POST", "/transactions/pay_c1/complete", json={"status": "success"})
    assert done.status_code == 200 and done.json()["status"] == "success"
    assert chapa.sim("POST", "/transactions/pay_c1/complete",
                     json={"status": "failed"}).status_code == 409
    assert chapa.sim("POST", "/transactions/pay_c2/complete",
                     json={"status": "refunded"}).status_code == 400
    listed = chapa.sim("GET", "/transactions", params={"account": ACCOUNT_ID}).json()
    assert {t["tx_ref"] for t in listed} == {"pay_c1", "pay_c2"}
    assert chapa.sim("GET", "/transactions", params={"account": "x"}).json() == []
    assert chapa.sim("POST", "/reset").status_code == 200      # as FeexPay's: accounts too
    assert chapa.sim("GET", "/transactions").json() == []
    assert chapa.verify("pay_c1").status_code == 401
    chapa.put_account()
    assert chapa.verify("pay_c1").status_code == 404


def test_config_from_section_shared_keys_and_env(monkeypatch):
    monkeypatch.setenv("SIM_CHAPA_DELAY", "7")
    monkeypatch.setenv("SIM_CHAPA_TIME_FACTOR", "0.5")
    cfg = load_config({})
    assert (cfg.delay_seconds, cfg.retry_seconds) == (7, 300)
    cfg = load_config({"delay_seconds": 1, "webhook_retries": 2, "chapa": {"time_factor": 0.01}})
    assert (cfg.delay_seconds, cfg.retry_seconds) == (1, 6)
    with pytest.raises(ValueError):
        load_config({"chapa": {"no_such_key": 1}})
    with pytest.raises(ValueError):
        load_config({"chapa": {"time_factor": 0}})
