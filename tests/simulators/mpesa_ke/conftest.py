"""Fixtures of the Daraja simulator tests: an app for the Flask test client, one fast
simulator server for the session (every provider mounted), a callback receiver."""
import pytest

from checkout.simulators import close, create_simulator_app, reset

from .support import FAST, KEY, PASSKEY, SECRET, SHORTCODE, RawReceiver, basic


@pytest.fixture
def app():
    application = create_simulator_app(FAST)
    yield application
    close(application)


@pytest.fixture
def api(app):
    """A test client with a registered app whose token is at hand (``api.token``)."""
    client = app.test_client()
    resp = client.put(f"/daraja/_sim/accounts/{KEY}", json={
        "consumer_key": KEY, "consumer_secret": SECRET, "shortcode": SHORTCODE,
        "passkey": PASSKEY, "initiator_name": "testapi", "initiator_password": "Init-1"})
    assert resp.status_code == 201
    client.token = client.get("/daraja/oauth/v1/generate?grant_type=client_credentials",
                              headers=basic()).get_json()["access_token"]
    client.bearer = {"Authorization": f"Bearer {client.token}"}
    return client


@pytest.fixture
def server(served_for):
    """The session's fast simulator server (every provider mounted), emptied around."""
    served = served_for(FAST)
    reset(served.server.app)
    yield served
    reset(served.server.app)


@pytest.fixture
def receiver():
    rec = RawReceiver()
    yield rec
    rec.stop()
