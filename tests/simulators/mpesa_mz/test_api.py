"""The simulator's wire API (providers.md 5): auth, Origin, validation with the INS codes
and HTTP statuses of 5.6, the magic endings, query, reversal, B2C, B2B."""
import threading
import time

import pytest
import requests
from werkzeug.test import Client

from checkout.simulators.mpesa_mz import load_config, port_apps
from tests.waiting import wait_until

from .support import B2B, C2B, DELAY, HOLD, LATE, QUERY, SHORTCODE, new_ref


def code(resp):
    return resp.status_code, resp.json()["output_ResponseCode"]


def test_success_holds_then_answers_ins0(mz):
    started = time.monotonic()
    resp = mz.c2b("01")
    assert code(resp) == (201, "INS-0")
    assert time.monotonic() - started >= DELAY * 0.9
    body = resp.json()
    assert body["output_TransactionID"] != "N/A" and body["output_ConversationID"]
    assert mz.status_of(body["output_ThirdPartyReference"]) == "Completed"


@pytest.mark.parametrize("magic,expected,status", [
    ("01", (201, "INS-0"), "Completed"), ("02", (422, "INS-2006"), "Failed"),
    ("03", (401, "INS-5"), "Cancelled"), ("05", (201, "INS-0"), "Completed"),
    ("08", (201, "INS-0"), "Completed"), ("09", (201, "INS-0"), "Completed"),
    ("10", (400, "INS-2051"), "Failed"), ("11", (400, "INS-2001"), "Failed"),
    ("12", (401, "INS-6"), "Failed"), ("13", (500, "INS-1"), "Failed"),
    ("77", (201, "INS-0"), "Completed"),
])
def test_magic_endings(mz, magic, expected, status):
    tpr = new_ref("C")
    assert code(mz.c2b(magic, input_ThirdPartyReference=tpr)) == expected
    assert mz.status_of(tpr) == status


def test_04_never_answers_within_the_hold_then_ins9(mz):
    started = time.monotonic()
    assert code(mz.c2b("04")) == (408, "INS-9")
    assert time.monotonic() - started >= HOLD * 0.9


def test_06_is_refused_at_once_and_records_nothing(mz):
    tpr = new_ref("C")
    assert code(mz.c2b("06", input_ThirdPartyReference=tpr)) == (503, "INS-16")
    assert mz.status_of(tpr) == "N/A"
    assert code(mz.c2b("01", input_ThirdPartyReference=tpr)) == (201, "INS-0")


def test_07_is_pending_until_the_late_success(mz):
    tpr = new_ref("C")
    done = {}
    thread = threading.Thread(target=lambda: done.setdefault(
        "resp", mz.c2b("07", input_ThirdPartyReference=tpr)))
    thread.start()
    wait_until(lambda: mz.status_of(tpr) == "Pending", timeout=2)
    thread.join(LATE + 3)
    assert code(done["resp"]) == (201, "INS-0")
    assert mz.status_of(tpr) == "Completed"


def test_a_client_that_hangs_up_mid_hold_is_still_debited_once(mz):
    tpr, ref = new_ref("C"), new_ref()
    with pytest.raises(requests.ReadTimeout):
        mz.c2b("07", timeout=0.3, input_ThirdPartyReference=tpr,
               input_TransactionReference=ref)
    assert mz.status_of(tpr) == "Pending"
    wait_until(lambda: mz.status_of(tpr) == "Completed", timeout=LATE + 2)
    assert code(mz.c2b("01", input_ThirdPartyReference=tpr,
                       input_TransactionReference=ref)) == (409, "INS-10")
    seen = mz.inspect(tpr)
    assert (seen["debited"], seen["requests"],
            seen["debits_with_same_transaction_reference"]) == (True, 2, 1)


def test_auth_origin_and_key(mz):
    assert code(mz.c2b(headers=mz.headers(origin=None))) == (400, "INS-26")
    assert code(mz.c2b(headers=mz.headers(origin="*"))) == (201, "INS-0")
    assert code(mz.c2b(headers=mz.headers(api_key="unknown"))) == (401, "INS-2")
    assert code(mz.c2b(headers={"Origin": "*", "Authorization": "Bearer sim_api_key_1"})) \
        == (401, "INS-2")
    assert code(mz.c2b(headers={"Origin": "*"})) == (401, "INS-2")


@pytest.mark.parametrize("field,value,expected", [
    ("input_Amount", None, (400, "INS-20")), ("input_Amount", 10, (400, "INS-21")),
    ("input_TransactionReference", "x" * 21, (400, "INS-17")),
    ("input_ThirdPartyReference", "bad ref!", (400, "INS-19")),
    ("input_CustomerMSISDN", "258861100101", (400, "INS-2051")),
    ("input_CustomerMSISDN", "841100101", (400, "INS-2051")),
    ("input_Amount", "0", (400, "INS-15")), ("input_Amount", "10.505", (400, "INS-15")),
    ("input_Amount", "2000000", (400, "INS-15")),
    ("input_ServiceProviderCode", "171718", (400, "INS-13")),
    ("input_ServiceProviderCode", "17", (400, "INS-13")),
])
def test_validation(mz, field, value, expected):
    assert code(mz.c2b("09", **{field: value})) == expected


def test_references_are_unique_across_operations(mz):
    tpr = new_ref("X")
    assert mz.query("nothing", tpr=tpr).status_code == 200
    assert code(mz.c2b("09", input_ThirdPartyReference=tpr)) == (409, "INS-10")
    assert code(mz.b2c(input_ThirdPartyReference=tpr)) == (409, "INS-10")


def test_query_by_any_id_and_unknown(mz):
    body = mz.c2b("09").json()
    for ref in (body["output_TransactionID"], body["output_ConversationID"],
                body["output_ThirdPartyReference"]):
        assert mz.status_of(ref) == "Completed"
    assert mz.status_of("NOPE") == "N/A"
    assert code(mz.query("x", shortcode="999999")) == (400, "INS-13")


def test_reversal_full_partial_and_refusals(mz):
    paid = mz.c2b("09", input_Amount="100").json()["output_TransactionID"]
    first = mz.reverse(paid, "40")
    assert code(first) == (200, "INS-0")
    tpr = first.json()["output_ThirdPartyReference"]
    assert mz.status_of(tpr) == "Completed"
    assert code(mz.reverse(paid, "61")) == (400, "INS-15")
    assert code(mz.reverse(paid, "60")) == (200, "INS-0")
    assert code(mz.reverse(paid, "1")) == (400, "INS-15")
    assert code(mz.reverse("UNKNOWN1")) == (400, "INS-18")
    failed = mz.c2b("02").json()["output_ThirdPartyReference"]
    assert code(mz.reverse(failed)) == (400, "INS-18")
    other = mz.c2b("09").json()["output_TransactionID"]
    assert code(mz.reverse(other, input_SecurityCredential="wrong")) == (400, "INS-25")
    assert code(mz.reverse(other, input_InitiatorIdentifier="wrong")) == (400, "INS-24")
    assert mz.inspect(paid)["reversed_amount"] == "100"


def test_b2c_and_b2b(mz):
    assert code(mz.b2c("01")) == (201, "INS-0")
    assert code(mz.b2c("02")) == (422, "INS-2006")
    assert code(mz.b2c("10")) == (400, "INS-2051")
    body = {"input_TransactionReference": "T1", "input_Amount": "10",
            "input_ThirdPartyReference": new_ref("B"), "input_PrimaryPartyCode": SHORTCODE,
            "input_ReceiverPartyCode": "979797"}
    resp = mz.http.post(mz.base + B2B, json=body, headers=mz.headers(), timeout=5)
    assert code(resp) == (201, "INS-0")


def test_reset_releases_a_held_request(server, mz):
    done = {}
    thread = threading.Thread(target=lambda: done.setdefault("resp", mz.c2b("07")))
    thread.start()
    time.sleep(0.2)
    server.server.app.extensions["simulators"]["mpesa_mz"].reset()
    thread.join(2)
    assert code(done["resp"]) == (500, "INS-1")


def test_admin(mz):
    assert mz.put_account("acct2", api_key="other", shortcode="12").status_code == 400
    assert mz.http.get(mz.base + "/_sim/accounts/acct1", timeout=5).json()[
        "service_provider_code"] == SHORTCODE
    assert mz.http.get(mz.base + "/_sim/transactions/none", timeout=5).status_code == 404
    mz.c2b("09")
    assert len(mz.http.get(mz.base + "/_sim/transactions", timeout=5).json()) == 1


def test_port_apps_serve_one_path_each(server, mz):
    apps = port_apps(server.server.app)
    assert sorted(apps) == [18345, 18349, 18352, 18353, 18354]
    client = Client(apps[18353])
    params = {"input_QueryReference": "x", "input_ThirdPartyReference": new_ref("Q"),
              "input_ServiceProviderCode": SHORTCODE}
    resp = client.get(QUERY, query_string=params, headers=mz.headers())
    assert resp.status_code == 200 and resp.json["output_ResponseTransactionStatus"] == "N/A"
    assert client.get(C2B).status_code == 404


def test_config(monkeypatch):
    monkeypatch.setenv("SIM_MPESA_MZ_HOLD", "7")
    monkeypatch.setenv("SIM_MPESA_MZ_DELAY", "2")
    cfg = load_config({"delay_seconds": 1})
    assert (cfg.hold_seconds, cfg.delay_seconds, cfg.late_delay_seconds) == (7, 1, 150)
    with pytest.raises(ValueError):
        load_config({"mpesa_mz": {"nope": 1}})
