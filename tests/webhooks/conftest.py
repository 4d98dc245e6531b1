"""Fixtures of the outgoing-webhook tests (helpers in ``support``)."""
import pytest

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


