"""GET /metrics: hidden without a token, refused with a wrong one, and the named series
after real payments: counted in the process that did the work, added up across processes
in multiprocess mode (a real worker process writes, the web process reads)."""
import os
import subprocess
import sys

import pytest
from prometheus_client.parser import text_string_to_metric_families

from checkout.extensions import db
from checkout.gateways.feexpay.adapter import FeexPay
from checkout.models import Payment
from tests.factories import payment, start_attempt
from tests.waiting import wait_until

TOKEN = "metrics-test-token"


def scrape(client):
    r = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert r.status_code == 200, r.status_code
    assert r.headers["Content-Type"].startswith("text/plain")
    return {s.name + repr(sorted(s.labels.items())): s.value
            for fam in text_string_to_metric_families(r.get_data(as_text=True))
            for s in fam.samples}


def value(samples, name, **labels):
    return samples.get(name + repr(sorted(labels.items())), 0.0)


def test_no_token_configured_means_no_metrics_page(client):
    assert client.get("/metrics").status_code == 404


def test_a_wrong_or_missing_token_is_refused(client, app, monkeypatch):
    monkeypatch.setitem(app.config, "METRICS_TOKEN", TOKEN)
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer nope"}).status_code == 401
    assert client.get("/metrics", headers={"Authorization": TOKEN}).status_code == 401


@pytest.mark.usefixtures("live_server")
def test_a_payment_shows_in_the_named_series(client, app, merchant, worker, monkeypatch):
    monkeypatch.setitem(app.config, "METRICS_TOKEN", TOKEN)
    monkeypatch.setattr(FeexPay, "poll_schedule", (1,))
    before = scrape(client)
    checkout_id, payment_id = start_attempt(merchant, "05")     # paid by polling alone
    worker.run_jobs_until(lambda: payment(payment_id).status == "succeeded", timeout=15)
    client.get(f"/c/{checkout_id}")                              # a page render
    after = scrape(client)

    def grew(name, **labels):
        return value(after, name, **labels) - value(before, name, **labels)

    assert grew("checkout_payments_total", gateway="feexpay", method="mtn_bj",
                outcome="succeeded") == 1
    assert grew("checkout_provider_calls_total", gateway="feexpay", kind="initiate",
                outcome="ok") == 1
    assert grew("checkout_provider_calls_total", gateway="feexpay", kind="status",
                outcome="ok") >= 1
    assert grew("checkout_provider_call_seconds_count", gateway="feexpay", kind="status") >= 1
    assert grew("checkout_polls_total", gateway="feexpay", outcome="answered") >= 1
    assert grew("checkout_page_render_seconds_count", page="picker") == 1
    for gauge in ("checkout_poll_lag_seconds", "checkout_polls_due"):
        assert gauge + "[]" in after
    assert value(after, "checkout_queue_depth", queue="default") >= 0
    assert "checkout_queue_depth[('queue', 'blocking')]" in after
    assert "checkout_operator_degraded[('operator', 'mtn')]" in after


@pytest.mark.usefixtures("live_server")
def test_poll_lag_shows_polls_overdue(client, app, merchant, monkeypatch):
    monkeypatch.setitem(app.config, "METRICS_TOKEN", TOKEN)
    _c, payment_id = start_attempt(merchant, "04")
    db.session.execute(db.update(Payment).where(Payment.id == payment_id).values(
        next_poll_at=db.func.now() - db.text("interval '42 seconds'")))
    db.session.commit()
    samples = scrape(client)
    assert value(samples, "checkout_polls_due") == 1
    assert value(samples, "checkout_poll_lag_seconds") >= 40


@pytest.mark.usefixtures("live_server")
def test_multiprocess_mode_adds_up_what_a_worker_process_counted(
        client, app, merchant, tmp_path, monkeypatch):
    """PROMETHEUS_MULTIPROC_DIR shared by a real worker process (which polls) and the web
    process (which serves /metrics): the worker's status calls show in the web's page."""
    monkeypatch.setitem(app.config, "METRICS_TOKEN", TOKEN)
    _c, payment_id = start_attempt(merchant, "05")
    db.session.execute(db.update(Payment).where(Payment.id == payment_id)
                       .values(next_poll_at=db.func.now()))
    db.session.commit()
    env = dict(os.environ, CHECKOUT_ENV="test", DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"],
               REDIS_URL=app.config["REDIS_URL"], SECRET_KEY="test-secret",
               SIMULATOR_URL=app.config["SIMULATOR_URL"], LOG_LEVEL="WARNING",
               CHECKOUT_PUBLIC_URL=app.config["CHECKOUT_PUBLIC_URL"],
               PROMETHEUS_MULTIPROC_DIR=str(tmp_path))
    proc = subprocess.Popen([sys.executable, "-m", "checkout.worker"], env=env)
    try:
        wait_until(lambda: payment(payment_id).status == "succeeded", timeout=30,
                   before=db.session.rollback, what="the worker process polled it")
    finally:
        proc.terminate()
        proc.wait(30)
    assert any(name.endswith(".db") for name in os.listdir(tmp_path))
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    samples = scrape(client)
    assert value(samples, "checkout_provider_calls_total", gateway="feexpay", kind="status",
                 outcome="ok") >= 1
    assert value(samples, "checkout_payments_total", gateway="feexpay", method="mtn_bj",
                 outcome="succeeded") == 1
