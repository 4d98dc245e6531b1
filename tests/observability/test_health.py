"""Operator health: a rolling success rate per mobile-money operator in Redis; an operator
failing well below its normal rate is said so on the picker (and sorted last) and in
GET /api/v1/methods. Failures that are the shopper's never count against an operator."""
import time

import pytest

from checkout.observability import health
from tests.factories import make_checkout, start_attempt


@pytest.fixture(autouse=True)
def _fresh_memo():
    health._memo.clear()
    yield
    health._memo.clear()


def test_too_few_attempts_tell_nothing(app):
    for _ in range(health.MIN_ATTEMPTS - 1):
        health.record("mtn", False)
    assert health.status(["mtn"])["mtn"]["status"] == "ok"
    assert health.status(["moov"])["moov"] == {
        "status": "unknown", "recent_success_rate": None, "recent_attempts": 0,
        "normal_success_rate": None}


def test_failing_well_below_the_default_normal_is_degraded(app):
    for ok in [True] * 2 + [False] * 8:
        health.record("mtn", ok)
    state = health.status(["mtn"])["mtn"]
    assert state["status"] == "degraded" and state["recent_success_rate"] == 0.2
    assert health.troubled(["mtn", "moov"]) == {"mtn"}


def test_the_normal_rate_is_the_operators_own_history(app):
    """An operator that usually succeeds 40 % of the time is not in trouble at 35 %."""
    an_hour_ago = time.time() - 3600
    for i in range(100):
        health.record("orange", i % 5 < 2, now=an_hour_ago)      # 40 % yesterday
    for ok in [True] * 7 + [False] * 13:
        health.record("orange", ok)                             # 35 % now
    state = health.status(["orange"])["orange"]
    assert state["normal_success_rate"] == pytest.approx(0.4, abs=0.05)
    assert state["status"] == "ok"


def test_old_attempts_fall_out_of_the_window(app):
    long_ago = time.time() - health.RECENT_SECONDS - 60
    for _ in range(10):
        health.record("wave", False, now=long_ago)
    assert health.status(["wave"])["wave"]["status"] == "unknown"


@pytest.mark.parametrize("status,code,verdict", [
    ("succeeded", None, True),
    ("failed", "gateway_unavailable", False),
    ("failed", "provider_error", False),
    ("expired", "timeout", False),
    ("failed", "insufficient_funds", None),
    ("failed", "canceled", None),
    ("failed", "wrong_pin", None),
    ("expired", "deadline", None),
    ("canceled", "shopper_switched", None),
])
def test_only_the_operators_own_failures_count(status, code, verdict):
    assert health.counts_against(status, code) is verdict


def test_redis_away_reads_as_fine(app, monkeypatch):
    monkeypatch.setitem(app.config, "REDIS_URL", "redis://127.0.0.1:1/0")
    health.record("mtn", False)                              # logged, not raised
    assert health.status(["mtn"])["mtn"]["status"] == "unknown"


@pytest.mark.usefixtures("live_server")
def test_an_operator_failing_now_is_said_so_on_the_picker_and_in_the_api(
        client, app, merchant, monkeypatch):
    """The simulator fails MTN Benin's attempts (06: 502 at initiation) but Moov's work:
    the picker puts MTN last with a notice, the API says degraded."""
    monkeypatch.setitem(app.config, "PUSHES_PER_PHONE", 100)
    for _ in range(health.MIN_ATTEMPTS):
        start_attempt(merchant, "06")                        # mtn_bj, the operator's fault
    page = client.get(f"/c/{make_checkout(merchant)}").get_data(as_text=True)
    assert "MTN MoMo is having trouble right now; another way to pay may be faster." in page
    radios = [part.split('"')[0] for part in page.split('name="method" value="')[1:]]
    mobile = [r for r in radios if r.endswith("_bj")]
    assert mobile[-1] == "mtn_bj" and mobile[0] != "mtn_bj"
    answer = client.get("/api/v1/methods", query_string={"currency": "XOF", "country": "BJ"},
                        headers=merchant.auth)
    assert answer.status_code == 200
    by_code = {m["id"]: m for m in answer.get_json()["data"]}
    assert by_code["mtn_bj"]["status"] == "degraded"
    assert by_code["mtn_bj"]["recent_success_rate"] == 0.0
    assert by_code["moov_bj"]["status"] in ("ok", "unknown")
    assert by_code["cod"]["status"] == "ok" and by_code["cod"]["operator"] is None


def test_methods_api_filters_and_refuses_bad_queries(client, merchant):
    r = client.get("/api/v1/methods", query_string={"currency": "KES", "country": "KE",
                                                    "amount": "150000"}, headers=merchant.auth)
    codes = [m["id"] for m in r.get_json()["data"]]
    assert "mpesa_ke" in codes and "mtn_bj" not in codes
    cents = client.get("/api/v1/methods", query_string={"currency": "KES", "amount": "150050"},
                       headers=merchant.auth)
    assert "mpesa_ke" not in [m["id"] for m in cents.get_json()["data"]]  # whole shillings
    for bad in ({"amount": "5"}, {"currency": "XOF", "amount": "-3"}, {"colour": "red"}):
        r = client.get("/api/v1/methods", query_string=bad, headers=merchant.auth)
        assert r.status_code == 400 and r.get_json()["error"]["type"] == "invalid_request_error"
