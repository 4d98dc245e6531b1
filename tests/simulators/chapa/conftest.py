"""Fixtures of the Chapa simulator tests: a fast simulator server, a receiver, a client of
a registered account whose webhooks go to the receiver."""
import pytest

from checkout.simulators import close, make_simulator_server, reset
from tests.simulators.support import Served

from .support import FAST, ChapaClient, Receiver


@pytest.fixture(scope="session")
def _chapa_server():
    served = Served(make_simulator_server("127.0.0.1", 0, FAST))
    yield served
    served.stop()
    close(served.server.app)


@pytest.fixture
def chapa_sim(_chapa_server):
    """The shared fast simulator server (webhook retries compressed), emptied around each
    test."""
    reset(_chapa_server.server.app)
    yield _chapa_server
    reset(_chapa_server.server.app)


@pytest.fixture
def hooks():
    rec = Receiver()
    yield rec
    rec.stop()


@pytest.fixture
def chapa(chapa_sim, hooks):
    """A client of a registered test account whose webhooks go to ``hooks``."""
    client = ChapaClient(chapa_sim.url)
    assert client.put_account(webhook_url=hooks.webhook_url).status_code == 201
    yield client
    client.close()
