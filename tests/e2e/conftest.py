"""Fixtures of the end-to-end tests."""
import pytest

from tests.fixtures_runtime import WorkerHarness

from .shopper import MerchantApi, Shopper


@pytest.fixture
def start_worker(app):
    """``start_worker()`` -> the real worker (as the ``worker`` fixture), started only
    when the test says so: what happened before ran with nothing in the background, so
    its order is the test's own (the shopper's return comes before any notification is
    processed). Stopped after the test."""
    started = []

    def start():
        harness = WorkerHarness(app).start()
        started.append(harness)
        return harness

    yield start
    for harness in started:
        harness.stop()


@pytest.fixture
def api(live_server, merchant):
    """The merchant's API over HTTP."""
    return MerchantApi(live_server.url, merchant)


@pytest.fixture
def shopper(live_server):
    """A shopper's browser without JavaScript (requests, reading the pages' forms)."""
    return Shopper(live_server.url)
