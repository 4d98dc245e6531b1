"""Merchant accounts: ``flask merchants create`` prints the secrets once, and test-mode
shops are registered with the provider simulator."""
import json

import requests

from checkout.extensions import db
from checkout.gateways import all_gateways
from checkout.merchants.accounts import account_context
from checkout.merchants.testmode import register_test_accounts
from checkout.models import GatewayAccount, Merchant


def _sim_shop(simulator, shop):
    return requests.get(f"{simulator.url}/feexpay/_sim/shops/{shop}", timeout=5)


def _feexpay_account(merchant_id):
    return db.session.execute(db.select(GatewayAccount).where(
        GatewayAccount.merchant_id == merchant_id,
        GatewayAccount.gateway == "feexpay")).scalar_one()


def test_merchants_create_prints_the_secrets_once_and_registers_the_shop(
        runner, live_server, simulator):
    result = runner.invoke(args=["merchants", "create", "Boutique Awa", "--email",
                                 "awa@shop.example", "--password", "s3cret-pass",
                                 "--return-host", "shop.example", "--return-host",
                                 "www.shop.example", "--country", "bj"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert out["public_id"].startswith("mer_")
    assert out["test_secret_key"].startswith("sk_test_")
    assert out["link_secret"].startswith("lsec_")
    merchant = db.session.execute(db.select(Merchant)).scalar_one()
    assert merchant.return_hosts == ["shop.example", "www.shop.example"]
    assert merchant.country == "BJ"
    ctx = account_context(_feexpay_account(merchant.id))
    shop = _sim_shop(simulator, ctx.credentials["shop"])
    assert shop.status_code == 200 and shop.json()["webhook_url"] == ctx.notify_url
    again = runner.invoke(args=["merchants", "create", "Other", "--email", "awa@shop.example",
                                "--password", "x"])
    assert again.exit_code != 0 and "already exists" in again.output


def test_register_test_accounts_is_best_effort(app, merchant, monkeypatch):
    monkeypatch.setitem(app.config, "SIMULATOR_URL", "http://127.0.0.1:9")   # nobody there
    assert register_test_accounts() == []


def test_register_test_accounts_registers_test_accounts(live_server, make_merchant,
                                                          simulator):
    a, b = make_merchant(name="A"), make_merchant(name="B")
    simulator.reset()                                  # forget the automatic registration
    shops = register_test_accounts(a.id)
    account = _feexpay_account(a.id)
    simulated = sum(1 for gw in all_gateways().values() if gw.test_base_path)
    assert account_context(account).credentials["shop"] in shops and len(shops) == simulated
    other = account_context(_feexpay_account(b.id)).credentials["shop"]
    assert _sim_shop(simulator, other).status_code == 404
    # Two merchants, each with a test account at every gateway with a simulator to tell
    # (cash has none).
    assert len(register_test_accounts()) == 2 * simulated
