"""Gateway adapter tests: no app, no database, and no network. Every outbound HTTP call
must be mocked with ``responses``; an un-mocked one fails the test even when the adapter
turned it into a GatewayUnavailable, and raw sockets are refused outright. (Each
provider's folder adds its account and adapter fixtures.)"""
import socket

import pytest
import responses

_UNMATCHED = "Connection refused by Responses"


def unmatched_calls(rsps):
    """URLs that were called without a registered mock."""
    return [c.request.url for c in rsps.calls
            if isinstance(c.response, Exception) and _UNMATCHED in str(c.response)]


@pytest.fixture(autouse=True)
def http_mock(monkeypatch):
    """The ``responses`` mock for the test. Registered mocks must all be used, and any
    call that matched no mock fails the test at teardown."""
    def refuse(*args, **kwargs):
        raise AssertionError(f"real network access attempted: {args!r}")
    monkeypatch.setattr(socket.socket, "connect", refuse)
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        yield rsps
        leaked = unmatched_calls(rsps)
        if leaked:
            pytest.fail(f"un-mocked outbound calls: {leaked}", pytrace=False)
