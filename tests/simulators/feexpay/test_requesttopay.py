"""FeexPay simulator: POST /api/transactions/public/requesttopay/{network} (providers.md 1.2)."""
import re
import uuid

import pytest

from tests.simulators.support import COUNTRY, FeexPayClient, phone

REDIRECT = {"orange_ci", "wave_ci", "orange_sn", "wave_sn", "orange_bf", "wave_bf", "orange_ml"}


@pytest.mark.parametrize("network", sorted(COUNTRY))
def test_every_documented_network_accepts_a_payin(feexpay, network):
    resp = feexpay.pay(network, phone(network), description="Order 42")
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["status"] == "PENDING" and body["message"]
    if network == "celtiis_bj":
        assert re.fullmatch(r"AG_\d{8}_\d+", body["reference"])
    else:
        assert str(uuid.UUID(body["reference"])) == body["reference"]
    if network in REDIRECT:
        assert body["payment_url"] == f"{feexpay.base}/_sim/pay/{body['reference']}"
    else:
        assert "payment_url" not in body


@pytest.mark.parametrize("segment", ["celtiis", "MTN", "orange", "mtn_gh", "wave"])
def test_unknown_network_is_not_configured(feexpay, segment):
    resp = feexpay.pay(segment, phone("mtn"))
    assert resp.status_code == 404
    assert resp.json() == {"message": f"{segment} channel not configured"}


def test_network_not_enabled_for_the_shop_is_not_configured(feexpay):
    feexpay.put_shop(networks=["mtn"])
    assert feexpay.pay("mtn").status_code == 200
    resp = feexpay.pay("moov")
    assert resp.status_code == 404
    assert resp.json()["message"] == "moov channel not configured"


@pytest.mark.parametrize("key", [None, "wrong-key"])
def test_missing_or_wrong_bearer_is_401(feexpay, key):
    resp = feexpay.pay("mtn", key=key)
    assert resp.status_code == 401
    assert resp.json()["message"] in ("UNAUTHORIZED", "ERR_INVALID_API_KEY")
    assert feexpay.sim("GET", "/transactions").json() == []


def test_key_of_another_shop_is_401(feexpay):
    feexpay.put_shop("otherShop000001", api_key="fp_other")
    assert feexpay.pay("mtn", key="fp_other").status_code == 401


def test_unknown_shop_is_refused(sim):
    client = FeexPayClient(sim.url, shop="noSuchShop00000")
    resp = client.pay("mtn")
    assert resp.status_code == 404
    assert resp.json() == {"message": "Shop not found"}
    client.close()


def test_missing_shop_and_bad_json_are_400_json(feexpay):
    url = f"{feexpay.base}/api/transactions/public/requesttopay/mtn"
    resp = feexpay.http.post(url, json={"amount": 1000, "phoneNumber": phone("mtn")},
                             headers=feexpay.auth(), timeout=5)
    assert resp.status_code == 400 and resp.json()["message"] == "shop is required"
    resp = feexpay.http.post(url, data="{not json", headers={**feexpay.auth(),
                             "Content-Type": "application/json"}, timeout=5)
    assert resp.status_code == 400 and resp.json()["message"] == "Invalid JSON body"


@pytest.mark.parametrize("network, number", [
    ("mtn", "+2290166000001"),      # leading +
    ("mtn", "229 0166000001"),      # space
    ("mtn", "22966000001"),         # pre-2024 8-digit Benin number (no 01)
    ("mtn", "2290266000001"),       # 10 digits but not starting 01
    ("mtn", "0166000001"),          # no country code
    ("mtn", "22507000000001"),      # Ivorian number on a Benin network
    ("mtn_ci", "2290166000001"),    # Benin number on an Ivorian network
    ("togocom_tg", "22890000001"[:-1]),  # too short
    ("wave_sn", "22177000000011"),  # too long
])
def test_invalid_phone_numbers_are_refused(feexpay, network, number):
    resp = feexpay.pay(network, number)
    assert resp.status_code == 400
    assert resp.json()["message"] == "ERR_INVALID_PHONE"


def test_phone_number_must_be_a_string(feexpay):
    resp = feexpay.pay("mtn", int(phone("mtn")))
    assert resp.status_code == 400 and resp.json()["message"] == "ERR_INVALID_PHONE"


@pytest.mark.parametrize("amount, ok", [
    (99, False), (100, True), (2_000_000, True), (2_000_001, False), (0, False), (-500, False),
    (1000.0, False), ("1000", False), (True, False), (None, False),
])
def test_amount_must_be_an_integer_within_default_limits(feexpay, amount, ok):
    resp = feexpay.pay("moov", amount=amount)
    assert resp.status_code == (200 if ok else 400), resp.text
    if not ok:
        assert resp.json()["message"] == "ERR_INVALID_AMOUNT"


def test_amount_limits_are_configurable_per_network(make_sim):
    served = make_sim({"delay_seconds": 0.2, "feexpay": {
        "amount_limits": {"mtn": [500, 1000]}, "min_amount": 50}})
    client = FeexPayClient(served.url)
    client.put_shop()
    assert client.pay("mtn", amount=499).json()["message"] == "ERR_INVALID_AMOUNT"
    assert client.pay("mtn", amount=1001).status_code == 400
    assert client.pay("mtn", amount=500).status_code == 200
    assert client.pay("moov", amount=50).status_code == 200
    assert client.pay("moov", amount=49).status_code == 400
    client.close()


@pytest.mark.parametrize("network", ["mtn", "mtn_ci", "mtn_cg"])
@pytest.mark.parametrize("description", ["Order-42", "Commande n°42", "Pay: shoes", "a_b"])
def test_mtn_refuses_special_characters_in_description(feexpay, network, description):
    resp = feexpay.pay(network, description=description)
    assert resp.status_code == 400
    assert resp.json()["message"] == "ERR_INVALID_DESCRIPTION"


@pytest.mark.parametrize("network", ["moov", "celtiis_bj", "wave_ci", "orange_sn"])
def test_other_networks_accept_special_characters(feexpay, network):
    assert feexpay.pay(network, description="Commande n°42 - chaussures").status_code == 200


def test_mtn_accepts_a_sanitised_description(feexpay):
    assert feexpay.pay("mtn", description="Order 42 shoes").status_code == 200


def test_magic_06_is_a_502_and_creates_nothing(feexpay):
    for network in ("mtn", "wave_ci"):
        resp = feexpay.pay(network, phone(network, "06"))
        assert resp.status_code == 502
        assert resp.json()["message"]
    resp = feexpay.pay("celtiis_bj", phone("celtiis_bj", "06"))
    assert resp.status_code == 502 and resp.json()["message"] == "Celtiis BJ API Error"
    assert feexpay.sim("GET", "/transactions").json() == []


def test_moov_bj_low_balance_is_final_in_the_init_response(feexpay):
    body = feexpay.pay("moov", phone("moov", "02")).json()
    assert body["status"] == "FAILED" and body["reason"] == "LOW_BALANCE"
    other = feexpay.pay("mtn", phone("mtn", "02")).json()
    assert other["status"] == "PENDING"


def test_magic_09_is_final_at_once_and_only_moov_says_so_in_the_init(feexpay):
    moov = feexpay.pay("moov", phone("moov", "09")).json()
    assert moov["status"] == "SUCCESSFUL"
    mtn = feexpay.pay("mtn", phone("mtn", "09")).json()
    assert mtn["status"] == "PENDING"
    assert feexpay.status_of(mtn["reference"])["status"] == "SUCCESSFUL"


def test_otp_can_be_required_per_network(make_sim):
    served = make_sim({"feexpay": {"otp_required_networks": ["orange_bf"]}})
    client = FeexPayClient(served.url)
    client.put_shop()
    resp = client.pay("orange_bf")
    assert resp.status_code == 400 and resp.json()["message"] == "ERR_OTP_REQUIRED"
    resp = client.pay("orange_bf", otp="123456")
    assert resp.status_code == 200 and "payment_url" not in resp.json()
    client.close()


def test_errors_are_json_never_html(feexpay):
    resp = feexpay.http.get(f"{feexpay.base}/api/transactions/public/requesttopay/mtn", timeout=5)
    assert resp.status_code == 405 and resp.json() == {"message": "Method Not Allowed"}
    resp = feexpay.http.get(f"{feexpay.base}/api/nothing/here", timeout=5)
    assert resp.status_code == 404 and resp.json() == {"message": "Not Found"}
    assert resp.headers["Content-Type"].startswith("application/json")
