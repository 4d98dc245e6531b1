"""POST /api/v1/checkouts: the happy path and every bad input (a clear 4xx, nothing written)."""
import pytest

from checkout.checkouts import CheckoutInputError, merchant_context, parse
from checkout.extensions import db
from checkout.models import Checkout, GatewayAccount, Merchant
from tests.factories import checkout_body


def test_create_returns_the_checkout_object(api, counts):
    before = counts()
    r = api.post("/checkouts", checkout_body(
        description="2 x T-shirt\nblue", country="bj", methods=["mtn_bj", "moov_bj"],
        customer={"name": "Awa", "email": "awa@example.com", "phone": "0190000001"},
        cancel_url="https://SHOP.example/cart", expires_in=3600, metadata={"cart": "42"},
        locale="fr"))
    assert r.status_code == 201, r.json
    c = r.json
    assert c["id"].startswith("cs_") and c["object"] == "checkout"
    assert c["url"] == f"http://checkout.test/c/{c['id']}"
    assert (c["status"], c["order_id"], c["amount"], c["currency"]) == ("open", "A-1001", 5000,
                                                                        "XOF")
    assert c["livemode"] is False and c["payment"] is None
    assert c["country"] == "BJ" and c["methods"] == ["mtn_bj", "moov_bj"]
    assert c["metadata"] == {"cart": "42"}
    assert c["expires_at"].endswith("Z") and c["created_at"].endswith("Z")
    row = db.session.get(Checkout, c["id"])
    assert row.customer == {"name": "Awa", "email": "awa@example.com", "phone": "+2290190000001"}
    assert row.locale == "fr"
    assert (row.expires_at - row.created_at).total_seconds() == 3600
    after = counts()
    assert after["checkouts"] == before["checkouts"] + 1
    assert after["events"] == before["events"]
    assert "X-RateLimit-Limit" in r.headers and "X-RateLimit-Remaining" in r.headers


def test_default_expiry_is_thirty_minutes(api):
    r = api.post("/checkouts", checkout_body())
    row = db.session.get(Checkout, r.json["id"])
    assert (row.expires_at - row.created_at).total_seconds() == 1800


def test_http_return_url_is_accepted_in_test_mode(api):
    r = api.post("/checkouts", checkout_body(return_url="http://shop.example/back"))
    assert r.status_code == 201


BAD_BODIES = [
    # (body, status, code, param)
    (checkout_body(ammount=5000), 400, "parameter_unknown", "ammount"),
    (checkout_body(order_id=...), 400, "parameter_missing", "order_id"),
    (checkout_body(order_id=""), 400, "parameter_invalid", "order_id"),
    (checkout_body(order_id="x" * 65), 400, "parameter_invalid", "order_id"),
    (checkout_body(order_id=1001), 400, "parameter_invalid", "order_id"),
    (checkout_body(amount=...), 400, "parameter_missing", "amount"),
    (checkout_body(amount="5000"), 400, "amount_invalid", "amount"),
    (checkout_body(amount=5000.5), 400, "amount_invalid", "amount"),
    (checkout_body(amount=5000.0), 400, "amount_invalid", "amount"),
    (checkout_body(amount=True), 400, "amount_invalid", "amount"),
    (checkout_body(amount=0), 400, "amount_too_small", "amount"),
    (checkout_body(amount=-5000), 400, "amount_too_small", "amount"),
    (checkout_body(amount=10**20), 400, "amount_too_large", "amount"),
    (checkout_body(currency=...), 400, "parameter_missing", "currency"),
    (checkout_body(currency="ABC"), 400, "currency_not_supported", "currency"),
    (checkout_body(currency="xof"), 400, "currency_not_supported", "currency"),
    (checkout_body(currency=952), 400, "currency_not_supported", "currency"),
    (checkout_body(order_id="A-1\n"), 400, "parameter_invalid", "order_id"),
    (checkout_body(description="d" * 501), 400, "parameter_invalid", "description"),
    (checkout_body(description="nul\x00"), 400, "parameter_invalid", "description"),
    (checkout_body(country="Benin"), 400, "parameter_invalid", "country"),
    (checkout_body(country="QQ"), 400, "parameter_invalid", "country"),
    (checkout_body(customer="Awa"), 400, "parameter_invalid", "customer"),
    (checkout_body(customer={"nom": "Awa"}), 400, "parameter_unknown", "customer.nom"),
    (checkout_body(customer={"email": "not-an-email"}), 400, "parameter_invalid",
     "customer.email"),
    (checkout_body(country="BJ", customer={"phone": "12345"}), 400, "phone_invalid",
     "customer.phone"),
    (checkout_body(country="BJ", customer={"phone": "+254712345678"}), 400, "phone_invalid",
     "customer.phone"),
    (checkout_body(customer={"phone": "0190000001"}), 400, "phone_invalid", "customer.phone"),
    (checkout_body(methods="mtn_bj"), 400, "parameter_invalid", "methods"),
    (checkout_body(methods=[]), 400, "parameter_invalid", "methods"),
    (checkout_body(methods=["bitcoin"]), 400, "method_unknown", "methods"),
    (checkout_body(methods=["mtn_cg"]), 400, "method_unavailable", "methods"),
    (checkout_body(methods=["mtn_bj"], country="SN"), 400, "method_unavailable", "methods"),
    (checkout_body(amount=50, methods=["mtn_bj"]), 400, "amount_below_minimum", "amount"),
    (checkout_body(amount=3_000_000, methods=["mtn_bj"]), 400, "amount_above_maximum",
     "amount"),
    (checkout_body(return_url=...), 400, "parameter_missing", "return_url"),
    (checkout_body(return_url="https://evil.example/x"), 400, "return_url_not_allowed",
     "return_url"),
    (checkout_body(return_url="https://shop.example.evil.example/x"), 400,
     "return_url_not_allowed", "return_url"),
    (checkout_body(return_url="https://shop.example@evil.example/x"), 400, "return_url_invalid",
     "return_url"),
    (checkout_body(return_url="https://evil.example\\@shop.example/x"), 400,
     "return_url_invalid", "return_url"),
    (checkout_body(return_url="javascript:alert(1)"), 400, "return_url_invalid", "return_url"),
    (checkout_body(return_url="/orders/1"), 400, "return_url_invalid", "return_url"),
    (checkout_body(return_url="https://shop.example:99999/"), 400, "return_url_invalid",
     "return_url"),
    (checkout_body(return_url=["https://shop.example/"]), 400, "return_url_invalid",
     "return_url"),
    (checkout_body(cancel_url="https://evil.example/"), 400, "cancel_url_not_allowed",
     "cancel_url"),
    (checkout_body(cancel_url="ftp://shop.example/"), 400, "cancel_url_invalid", "cancel_url"),
    (checkout_body(expires_in=10), 400, "parameter_invalid", "expires_in"),
    (checkout_body(expires_in=8 * 24 * 3600), 400, "parameter_invalid", "expires_in"),
    (checkout_body(expires_in="3600"), 400, "parameter_invalid", "expires_in"),
    (checkout_body(metadata=["a"]), 400, "parameter_invalid", "metadata"),
    (checkout_body(metadata={"n": 1}), 400, "parameter_invalid", "metadata.n"),
    (checkout_body(metadata={"k" * 41: "v"}), 400, "parameter_invalid", None),
    (checkout_body(metadata={"v": "x" * 501}), 400, "parameter_invalid", "metadata.v"),
    (checkout_body(metadata={f"k{i}": "v" for i in range(21)}), 400, "parameter_invalid",
     "metadata"),
    (checkout_body(metadata={"nested": {"a": "b"}}), 400, "parameter_invalid",
     "metadata.nested"),
    (checkout_body(locale="de"), 400, "parameter_invalid", "locale"),
]


def test_bad_input_is_a_clear_error_and_writes_nothing(api, counts):
    # One test over the whole table: a fresh database per case would cost seconds.
    before = counts()
    for body, status, code, param in BAD_BODIES:
        case = f"{body} -> {code}"
        r = api.post("/checkouts", body)
        assert r.status_code == status, (case, r.json)
        err = r.json["error"]
        assert err["type"] == "invalid_request_error", case
        assert (err["code"], err["param"] if param else None) == (code, param), (case, err)
        assert err["message"], case
    assert counts() == before


def test_unknown_field_suggests_the_right_name(api):
    r = api.post("/checkouts", checkout_body(ammount=5000))
    assert "Did you mean 'amount'?" in r.json["error"]["message"]


def test_http_return_url_is_refused_in_live_mode(app, api):
    ctx = merchant_context(api.merchant.id, livemode=True)
    with pytest.raises(CheckoutInputError) as exc:
        parse(checkout_body(return_url="http://shop.example/back"), ctx)
    assert exc.value.code == "return_url_invalid"


@pytest.mark.parametrize("raw,content_type,status,code", [
    (b'{"order_id": "A-1", "amount": 5000,', "application/json", 400, "body_invalid"),
    (b"[1, 2]", "application/json", 400, "body_invalid"),
    (b"null", "application/json", 400, "body_invalid"),
    (b"", "application/json", 400, "body_invalid"),
    (b"\xff\xfe", "application/json", 400, "body_invalid"),
    (b"order_id=A-1&amount=5000", "application/x-www-form-urlencoded", 415,
     "content_type_invalid"),
    (b'{"order_id": "A-1"}', "text/plain", 415, "content_type_invalid"),
])
def test_malformed_body(api, counts, raw, content_type, status, code):
    before = counts()
    r = api.post("/checkouts", raw=raw, headers={"Content-Type": content_type})
    assert r.status_code == status
    assert r.is_json and r.json["error"]["code"] == code
    assert counts() == before


def test_no_way_to_pay_for_the_currency(api, counts):
    db.session.execute(db.update(GatewayAccount).where(GatewayAccount.gateway == "cod")
                       .values(enabled=False))
    db.session.commit()
    before = counts()
    # M-Pesa Mozambique takes whole meticais only (and cash is switched off above).
    r = api.post("/checkouts", checkout_body(currency="MZN", amount=150050))
    assert r.status_code == 400
    assert r.json["error"]["code"] == "no_method_available"
    assert "MZN" in r.json["error"]["message"]
    assert counts() == before


def test_disabled_method_is_unavailable(api):
    db.session.execute(db.update(GatewayAccount).where(GatewayAccount.gateway == "feexpay")
                       .values(enabled=False))
    db.session.commit()
    r = api.post("/checkouts", checkout_body(methods=["mtn_bj"]))
    assert r.status_code == 400 and r.json["error"]["code"] == "method_unavailable"


def test_small_amount_is_fine_when_another_method_takes_it(api):
    r = api.post("/checkouts", checkout_body(amount=50))
    assert r.status_code == 201  # cash on delivery has no minimum


@pytest.mark.parametrize("headers,code", [
    ({}, "invalid_api_key"),
    ({"Authorization": "Bearer sk_test_wrong"}, "invalid_api_key"),
    ({"Authorization": "Basic abc"}, "invalid_api_key"),
])
def test_authentication_is_required(client, counts, headers, code):
    before = counts()
    r = client.post("/api/v1/checkouts", json=checkout_body(), headers=headers)
    assert r.status_code == 401 and r.json["error"]["code"] == code
    assert r.json["error"]["type"] == "authentication_error"
    assert counts() == before


def test_huge_body_is_413(api, counts):
    before = counts()
    r = api.post("/checkouts", checkout_body(description="x" * 300_000), key="big")
    assert r.status_code == 413 and r.is_json
    assert r.json["error"]["type"] == "invalid_request_error"
    assert counts() == before


def test_a_return_host_added_in_settings_works_at_once(api):
    assert api.post("/checkouts", checkout_body()).status_code == 201  # settings now kept
    url = "https://pay.shop.example/back"
    assert api.post("/checkouts", checkout_body(order_id="B", return_url=url)).status_code == 400
    db.session.execute(db.update(Merchant).values(return_hosts=["shop.example",
                                                                "pay.shop.example"]))
    db.session.commit()
    r = api.post("/checkouts", checkout_body(order_id="B", return_url=url))
    assert r.status_code == 201, r.json
