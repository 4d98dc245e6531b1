"""Fixtures of the Paystack simulator tests: one fast simulator server for the session
(every provider mounted, as in production), a raw webhook receiver, a registered account."""
import pytest

from checkout.simulators import close, make_simulator_server, reset
from tests.simulators.support import Served

from .support import FAST, PaystackClient, RawReceiver


@pytest.fixture(scope="session")
def _paystack_server():
    served = Served(make_simulator_server("127.0.0.1", 0, FAST))
    yield served
    served.stop()
    close(served.server.app)


@pytest.fixture
def server(_paystack_server):
    """The shared fast simulator server, emptied before and after each test."""
    reset(_paystack_server.server.app)
    yield _paystack_server
    reset(_paystack_server.server.app)


@pytest.fixture
def receiver():
    rec = RawReceiver()
    yield rec
    rec.stop()


@pytest.fixture
def paystack(server, receiver):
    """A client of a registered test account whose webhooks go to ``receiver``."""
    client = PaystackClient(server.url)
    assert client.put_account(webhook_url=receiver.url).status_code == 201
    yield client
    client.close()
