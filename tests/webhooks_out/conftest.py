"""Fixtures of the outgoing-webhook tests (helpers in ``support``)."""
import pytest

from checkout.webhooks_out import ssrf

from .support import FAST, Receiver


@pytest.fixture
def receiver():
    with Receiver() as r:
        yield r


@pytest.fixture
def fast(app):
    """A schedule of five immediate attempts and short timeouts."""
    app.config.update(WEBHOOK_RETRY_SCHEDULE=list(FAST), WEBHOOK_READ_TIMEOUT=0.5,
                      WEBHOOK_CONNECT_TIMEOUT=0.5)
    return app




@pytest.fixture
def public_receiver(monkeypatch):
    """The local receiver stands for a merchant's public server: what it answers is kept
    in the delivery log, as a public endpoint's answer is (a local one's never is)."""
    monkeypatch.setattr(ssrf, "is_public", lambda address: True)
