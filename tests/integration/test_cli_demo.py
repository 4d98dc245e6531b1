"""The command line (merchants create, demo), the demo return page and the test-mode
registration of shops with the simulator."""
import json
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests

from checkout.links import signing
from checkout.extensions import db
from checkout.models import ApiKey, GatewayAccount, Merchant, MerchantUser


@pytest.fixture
def demo_app(app, tmp_path, monkeypatch):
    monkeypatch.setattr(app, "instance_path", str(tmp_path))
    from checkout.devtools.demo import bp
    if "demo" not in app.blueprints:
        app.register_blueprint(bp)
    return app


def account_context(account):
    from checkout.merchants.accounts import account_context as ctx  # (import cycle via checkout.api)
    return ctx(account)


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


def test_demo_is_idempotent_and_prints_a_signed_link(demo_app, runner):
    first = runner.invoke(args=["demo"])
    assert first.exit_code == 0, first.output
    second = runner.invoke(args=["demo"])
    one, two = json.loads(first.output), json.loads(second.output)
    assert one["merchant"] == two["merchant"]
    assert one["test_secret_key"] == two["test_secret_key"]
    assert db.session.execute(db.select(db.func.count(MerchantUser.id))).scalar_one() == 1
    assert db.session.execute(db.select(db.func.count(ApiKey.id))).scalar_one() == 1
    url = urlsplit(two["checkout_url"])
    assert url.path == f"/pay/{two['merchant']}"
    params = dict(parse_qsl(url.query))
    assert params["amount"] == "5000" and params["currency"] == "XOF"
    from checkout.merchants.accounts import link_secret
    merchant = db.session.execute(db.select(Merchant)).scalar_one()
    signing.verify(params, link_secret(merchant))          # raises if the link is bad


def test_demo_reissues_a_key_when_its_saved_copy_is_gone(demo_app, runner, tmp_path):
    first = json.loads(runner.invoke(args=["demo"]).output)
    (tmp_path / "demo.json").unlink()
    second = json.loads(runner.invoke(args=["demo"]).output)
    assert second["test_secret_key"] != first["test_secret_key"]
    assert second["merchant"] == first["merchant"]


def test_demo_refuses_outside_development(demo_app, runner, monkeypatch):
    monkeypatch.setitem(demo_app.config, "DEVELOPMENT", False)
    result = runner.invoke(args=["demo"])
    assert result.exit_code != 0 and "development" in result.output
    assert db.session.execute(db.select(Merchant)).first() is None


def test_demo_return_page_checks_the_signature(demo_app, client, merchant):
    from tests.integration.support import make_checkout
    checkout_id = make_checkout(merchant)
    params = {"checkout_id": checkout_id, "order_id": "A-1", "status": "paid"}
    params["sig"] = signing.sign(params, merchant.link_secret)
    good = client.get("/demo/return", query_string=params)
    assert good.status_code == 200 and b"Signature valid" in good.data
    assert b"A-1" in good.data
    forged = client.get("/demo/return", query_string={**params, "status": "paid ",
                                                      "order_id": "A-2"})
    assert forged.status_code == 200 and b"NOT valid" in forged.data
    hostile = client.get("/demo/return", query_string={"order_id": "<script>x</script>"})
    assert b"<script>x" not in hostile.data


def test_demo_return_page_is_absent_outside_development(demo_app, client, monkeypatch):
    monkeypatch.setitem(demo_app.config, "DEVELOPMENT", False)
    assert client.get("/demo/return").status_code == 404


def test_register_test_accounts_is_best_effort(app, merchant, monkeypatch):
    monkeypatch.setitem(app.config, "SIMULATOR_URL", "http://127.0.0.1:9")   # nobody there
    from checkout.merchants.testmode import register_test_accounts
    assert register_test_accounts() == []


def test_register_test_accounts_registers_test_accounts(live_server, make_merchant,
                                                          simulator):
    from checkout.merchants.testmode import register_test_accounts
    a, b = make_merchant(name="A"), make_merchant(name="B")
    simulator.reset()                                  # forget the automatic registration
    shops = register_test_accounts(a.id)
    account = _feexpay_account(a.id)
    assert shops == [account_context(account).credentials["shop"]]
    other = account_context(_feexpay_account(b.id)).credentials["shop"]
    assert _sim_shop(simulator, other).status_code == 404
    assert len(register_test_accounts()) == 2
