"""Fixtures for the provider simulators: a real simulator server, a webhook receiver, a shop."""
import json

import pytest

from checkout.simulators import close, make_simulator_server, reset

from .support import FAST, FeexPayClient, Receiver, Served


@pytest.fixture(scope="session")
def _shared_sim():
    served = Served(make_simulator_server("127.0.0.1", 0, FAST))
    yield served
    served.stop()
    close(served.server.app)


@pytest.fixture
def sim(_shared_sim):
    """The shared fast simulator server, emptied before and after each test."""
    reset(_shared_sim.server.app)
    yield _shared_sim
    reset(_shared_sim.server.app)


@pytest.fixture(scope="session")
def served_for():
    """Session-wide simulator servers, one per config: ``served_for(config)``."""
    servers = {}

    def get(config: dict) -> Served:
        key = json.dumps(config, sort_keys=True, default=str)
        if key not in servers:
            servers[key] = Served(make_simulator_server("127.0.0.1", 0, config))
        return servers[key]

    yield get
    for served in servers.values():
        served.stop()
        close(served.server.app)


@pytest.fixture
def make_sim():
    """Factory for a simulator server with its own config, stopped after the test."""
    started = []

    def start(config: dict) -> Served:
        served = Served(make_simulator_server("127.0.0.1", 0, config))
        started.append(served)
        return served

    yield start
    for served in started:
        served.stop()
        close(served.server.app)


@pytest.fixture
def receiver():
    rec = Receiver()
    yield rec
    rec.stop()


@pytest.fixture
def feexpay(sim, receiver):
    """A client for a registered shop whose webhooks go to ``receiver``."""
    client = FeexPayClient(sim.url)
    assert client.put_shop(webhook_url=receiver.url).status_code == 201
    yield client
    client.close()
