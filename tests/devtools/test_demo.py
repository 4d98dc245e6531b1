"""The development demo: ``flask demo`` (idempotent, prints a signed link) and the demo
return page that checks the signature, both absent outside development."""
import json
from urllib.parse import parse_qsl, urlsplit

import pytest

from checkout.devtools.demo import bp
from checkout.extensions import db
from checkout.links import signing
from checkout.merchants.accounts import link_secret
from checkout.models import ApiKey, Merchant, MerchantUser
from tests.factories import make_checkout


@pytest.fixture
def demo_app(app, tmp_path, monkeypatch):
    monkeypatch.setattr(app, "instance_path", str(tmp_path))
    if "demo" not in app.blueprints:
        app.register_blueprint(bp)
    return app


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
