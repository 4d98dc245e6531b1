"""Paystack simulator configuration: the ``paystack`` section over shared keys over the
``SIM_PAYSTACK_*`` environment over defaults."""
import pytest

from checkout.simulators.paystack.rules import load_config


def test_defaults(monkeypatch):
    for var in ("DELAY", "LATE_DELAY", "WEBHOOK_DELAY", "TIME_FACTOR"):
        monkeypatch.delenv(f"SIM_PAYSTACK_{var}", raising=False)
    cfg = load_config(None)
    assert (cfg.delay_seconds, cfg.late_delay_seconds, cfg.webhook_delay_seconds) == \
        (3.0, 1860.0, 0.5)
    assert (cfg.webhook_timeout_seconds, cfg.webhook_retries, cfg.time_factor) == \
        (30.0, 72, 1.0)
    assert cfg.refund_delay == cfg.delay_seconds


def test_environment_then_shared_keys_then_the_section(monkeypatch):
    monkeypatch.setenv("SIM_PAYSTACK_DELAY", "7")
    monkeypatch.setenv("SIM_PAYSTACK_LATE_DELAY", "70")
    monkeypatch.setenv("SIM_PAYSTACK_WEBHOOK_DELAY", "2.5")
    monkeypatch.setenv("SIM_PAYSTACK_TIME_FACTOR", "0.01")
    cfg = load_config({})
    assert (cfg.delay_seconds, cfg.late_delay_seconds, cfg.webhook_delay_seconds,
            cfg.time_factor) == (7.0, 70.0, 2.5, 0.01)
    cfg = load_config({"delay_seconds": 1, "webhook_retry_delay_seconds": 9,
                       "paystack": {"late_delay_seconds": 2}})
    assert (cfg.delay_seconds, cfg.late_delay_seconds, cfg.webhook_delay_seconds) == \
        (1, 2, 2.5)


@pytest.mark.parametrize("config", [{"paystack": {"nope": 1}},
                                    {"paystack": {"webhook_delay_seconds": 31}},
                                    {"paystack": {"webhook_delay_seconds": -1}}])
def test_refused_configs(config):
    with pytest.raises(ValueError):
        load_config(config)


def test_a_bad_environment_value(monkeypatch):
    monkeypatch.setenv("SIM_PAYSTACK_TIME_FACTOR", "fast")
    with pytest.raises(ValueError, match="SIM_PAYSTACK_TIME_FACTOR"):
        load_config({})
