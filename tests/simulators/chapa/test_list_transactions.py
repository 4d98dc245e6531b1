"""Chapa simulator, All Transactions (``GET /chapa/v1/transactions``), through its Flask
test client: the account's transactions newest first, ten a page, Chapa's item shape (its
``ref_id``, no tx_ref, amounts as strings) and pagination URLs."""
import pytest

from checkout.simulators import close, create_simulator_app

KEY = "CHASECK_TEST-listlistlistlist1234"
AUTH = {"Authorization": f"Bearer {KEY}"}


@pytest.fixture
def sim():
    app = create_simulator_app({"delay_seconds": 0.2})
    client = app.test_client()
    assert client.put("/chapa/_sim/accounts/acct_list",
                      json={"secret_key": KEY, "webhook_secret": "s"}).status_code == 201
    yield client
    close(app)


def record(sim, **fields):
    body = {"account": "acct_list", "amount": "100.00", "currency": "ETB",
            "status": "success", **fields}
    resp = sim.post("/chapa/_sim/transactions", json=body)
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()


def test_items_have_chapas_shape_newest_first(sim):
    old = record(sim, tx_ref="shop-1", created_at="2026-01-01T08:00:00Z")
    new = record(sim, tx_ref="shop-2", created_at="2026-01-01T09:00:00Z", status="failed",
                 currency="USD", amount="12.50")
    resp = sim.get("/chapa/v1/transactions", headers=AUTH)
    assert resp.status_code == 200
    body = resp.get_json()
    assert (body["status"], body["message"]) == ("success",
                                                 "Transactions retrieved successfully")
    first, second = body["data"]["transactions"]
    assert (first["ref_id"], first["status"], first["amount"], first["currency"]) == \
        (new["reference"], "failed", "12.500", "USD")
    assert (second["ref_id"], second["created_at"]) == \
        (old["reference"], "2026-01-01T08:00:00.000000Z")
    assert "tx_ref" not in first
    assert set(first) == {"status", "ref_id", "type", "created_at", "currency", "amount",
                          "charge", "trans_id", "payment_method", "customer"}
    pagination = body["data"]["pagination"]
    assert (pagination["per_page"], pagination["current_page"]) == (10, 1)
    assert pagination["next_page_url"] is None and pagination["prev_page_url"] is None
    assert pagination["first_page_url"].endswith("/chapa/v1/transactions?page=1")


def test_pages_of_ten_with_next_and_previous_urls(sim):
    for n in range(12):
        record(sim, tx_ref=f"shop-{n}", created_at=f"2026-01-01T{n:02d}:00:00Z")
    one = sim.get("/chapa/v1/transactions", headers=AUTH).get_json()["data"]
    assert len(one["transactions"]) == 10
    assert one["pagination"]["next_page_url"].endswith("/chapa/v1/transactions?page=2")
    two = sim.get("/chapa/v1/transactions?page=2", headers=AUTH).get_json()["data"]
    assert len(two["transactions"]) == 2
    assert two["transactions"][-1]["created_at"] == "2026-01-01T00:00:00.000000Z"
    assert two["pagination"]["next_page_url"] is None
    assert two["pagination"]["prev_page_url"].endswith("?page=1")


def test_auth_and_bad_page(sim):
    assert sim.get("/chapa/v1/transactions").status_code == 401
    assert sim.get("/chapa/v1/transactions?page=x", headers=AUTH).status_code == 400


def test_the_record_control_refuses_what_it_cannot_hold(sim):
    assert sim.post("/chapa/_sim/transactions", json={"account": "acct_list",
                                                      "status": "paid"}).status_code == 400
    assert sim.post("/chapa/_sim/transactions", json={
        "account": "nobody", "amount": "1", "currency": "ETB",
        "status": "success"}).status_code == 404
    record(sim, tx_ref="dup")
    assert sim.post("/chapa/_sim/transactions", json={
        "account": "acct_list", "amount": "1", "currency": "ETB", "status": "success",
        "tx_ref": "dup"}).status_code == 400
