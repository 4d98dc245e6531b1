"""Attack 4: unsafe by default. Production is the default; it refuses to start without its
secrets; development is asked for and never takes live keys or live gateway accounts."""
import pytest

from checkout.app import create_app
from checkout.config import ConfigError, load_config
from checkout.extensions import db
from checkout.gateways.errors import GatewayAuthError
from checkout.merchants.accounts import account_context
from checkout.models import GatewayAccount
from tests.factories import live_auth


@pytest.fixture
def bare_env(monkeypatch):
    for name in ("CHECKOUT_ENV", "SECRET_KEY", "CHECKOUT_ENCRYPTION_KEY"):
        monkeypatch.delenv(name, raising=False)


def test_production_is_the_default_and_names_the_missing_secrets(bare_env):
    with pytest.raises(ConfigError) as err:
        load_config()
    message = str(err.value)
    assert "SECRET_KEY" in message and "CHECKOUT_ENCRYPTION_KEY" in message
    assert "production" in message


def test_production_with_its_secrets_is_hardened(bare_env, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "s" * 32)
    monkeypatch.setenv("CHECKOUT_ENCRYPTION_KEY", "a passphrase for the tests")
    cfg = load_config()
    assert cfg["ENV"] == "production" and not cfg["DEVELOPMENT"]
    assert cfg["SESSION_COOKIE_SECURE"] is True and cfg["LIVE_MODE_ALLOWED"] is True
    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert "demo" not in app.blueprints
    assert app.test_client().get("/demo/return").status_code == 404


def test_a_misspelt_environment_is_refused(bare_env, monkeypatch):
    monkeypatch.setenv("CHECKOUT_ENV", "prod")
    with pytest.raises(ConfigError, match="CHECKOUT_ENV"):
        load_config()


def test_the_run_script_asks_for_development_explicitly():
    with open("scripts/run") as script:
        assert "export CHECKOUT_ENV=development" in script.read()


def test_development_refuses_live_keys(app, client, merchant):
    auth = live_auth(merchant)
    assert client.get("/api/v1/checkouts", headers=auth).status_code == 200  # test env: ok
    app.config.update(ENV="development", LIVE_MODE_ALLOWED=False)
    r = client.get("/api/v1/checkouts", headers=auth)
    assert r.status_code == 403 and r.json["error"]["code"] == "live_mode_disabled"
    assert client.get("/api/v1/checkouts", headers=merchant.auth).status_code == 200


def test_development_refuses_live_gateway_accounts(app, merchant):
    account = GatewayAccount(merchant_id=merchant.id, gateway="cod", livemode=True,
                             webhook_token="live-token", credentials_encrypted="",
                             methods=["cod"], enabled=True)
    db.session.add(account)
    db.session.commit()
    app.config.update(ENV="development", LIVE_MODE_ALLOWED=False)
    with pytest.raises(GatewayAuthError) as err:
        account_context(account)
    assert err.value.code == "live_mode_disabled"
