"""Fixtures of the M-Pesa Mozambique simulator tests: one fast simulator server for the
module (every provider mounted, as in production) and a registered account's client."""
import pytest

from checkout.simulators import reset

from .support import FAST, MzClient


@pytest.fixture
def server(served_for):
    """The session's fast simulator server (every provider mounted), emptied around."""
    served = served_for(FAST)
    reset(served.server.app)
    yield served
    reset(served.server.app)


@pytest.fixture
def mz(server):
    client = MzClient(server.url)
    assert client.put_account(initiator_identifier="init",
                              security_credential="cred").status_code == 201
    yield client
    client.close()
