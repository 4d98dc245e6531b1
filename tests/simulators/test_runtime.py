"""Simulator plumbing: the timer scheduler."""
import threading
import time

import requests

from checkout.simulators import make_port_servers, serve_in_threads
from checkout.simulators._runtime import Scheduler


def test_scheduler_runs_jobs_in_due_order_and_honours_cancel():
    scheduler, ran, done = Scheduler("test-timer"), [], threading.Event()
    scheduler.call_later(0.06, ran.append, "late")
    cancelled = scheduler.call_later(0.03, ran.append, "cancelled")
    scheduler.call_later(0.01, ran.append, "early")
    scheduler.call_later(0.09, done.set)
    scheduler.cancel(cancelled)
    assert done.wait(2)
    assert ran == ["early", "late"]
    scheduler.stop()


def test_scheduler_survives_a_failing_job_and_clear_drops_pending_jobs():
    scheduler, ran, done = Scheduler("test-timer"), [], threading.Event()
    scheduler.call_later(0, lambda: 1 / 0)
    scheduler.call_later(0.01, done.set)
    assert done.wait(2)
    scheduler.call_later(0.05, ran.append, "dropped")
    scheduler.clear()
    again = threading.Event()
    scheduler.call_later(0.1, again.set)
    assert again.wait(2) and ran == []
    scheduler.stop()


def test_vodacom_real_port_layout_is_served_when_asked(served_for):
    """SIM_MPESA_MZ_REAL_PORTS=1: each operation on its own port, its own path at the root
    (a client configured with the real ports and host 127.0.0.1 works unchanged)."""
    app = served_for({}).server.app
    assert make_port_servers(app, environ={}) == []
    servers = make_port_servers(app, environ={"SIM_MPESA_MZ_REAL_PORTS": "1"})
    try:
        assert sorted(s.server_port for s in servers) == [18345, 18349, 18352, 18353, 18354]
        serve_in_threads(servers)
        query = requests.get("http://127.0.0.1:18353/ipg/v1x/queryTransactionStatus/",
                             timeout=5)
        assert query.status_code in (400, 401)              # refused: no bearer, no Origin
        assert query.json()["output_ResponseCode"].startswith("INS-")
        other = requests.get("http://127.0.0.1:18353/ipg/v1x/reversal/", timeout=5)
        assert other.status_code == 404                      # the reversal has its own port
    finally:
        for server in servers:
            server.shutdown()
            server.server_close()


def test_sim_latency_delays_provider_answers_not_controls(make_sim, monkeypatch):
    monkeypatch.setenv("SIM_LATENCY_MS", "300")
    monkeypatch.setenv("SIM_LATENCY_MS_CHAPA", "0")
    served = make_sim({})
    started = time.monotonic()
    requests.get(f"{served.url}/feexpay/api/transactions/public/single/status/x", timeout=5)
    assert time.monotonic() - started >= 0.3
    started = time.monotonic()
    requests.get(f"{served.url}/chapa/v1/transaction/verify/x", timeout=5)
    requests.post(f"{served.url}/feexpay/_sim/reset", timeout=5)
    assert time.monotonic() - started < 0.25                 # chapa: 0; controls: never


def test_sim_latency_can_change_while_running(make_sim):
    served = make_sim({})
    status = f"{served.url}/feexpay/api/transactions/public/single/status/x"
    started = time.monotonic()
    requests.get(status, timeout=5)
    assert time.monotonic() - started < 0.25
    answer = requests.put(f"{served.url}/_sim/latency", json={"latency_ms": 300}, timeout=5)
    assert answer.status_code == 200 and answer.json()["feexpay"] == 300
    started = time.monotonic()
    requests.get(status, timeout=5)
    assert time.monotonic() - started >= 0.3
    assert requests.put(f"{served.url}/_sim/latency", json={"providers": {"nope": 1}},
                        timeout=5).status_code == 400
