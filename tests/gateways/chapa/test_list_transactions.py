"""Chapa adapter, All Transactions (``GET /v1/transactions``): pages followed while
``next_page_url`` names one, each transaction in our vocabulary, the typed errors; and
Chapa's own reference kept as the payment's receipt (what the list names)."""
from datetime import datetime

import pytest
import responses
from responses import matchers

from checkout.gateways.chapa import listing
from checkout.gateways.errors import GatewayAuthError, GatewayUnavailable

from .conftest import PAY_ID, SECRET_KEY, SIM, VERIFY, verify_body

LIST = f"{SIM}/v1/transactions"
SINCE, UNTIL = datetime(2026, 1, 1), datetime(2026, 1, 2)


def item(**fields):
    """One transaction as All Transactions shows it (no tx_ref)."""
    base = {"status": "success", "ref_id": "APqDvY2v8l3", "type": "API",
            "created_at": "2026-01-01T10:00:00.000000Z", "currency": "ETB",
            "amount": "100.000", "charge": "3.500", "trans_id": None,
            "payment_method": "telebirr",
            "customer": {"id": 1, "email": None, "first_name": None, "last_name": None,
                         "mobile": None}}
    base.update(fields)
    return base


def page(rsps, number, rows, more=False, http_status=200):
    body = {"message": "Transactions retrieved successfully", "status": "success", "data": {
        "transactions": rows, "pagination": {
            "per_page": 10, "current_page": number,
            "first_page_url": f"{LIST}?page=1",
            "next_page_url": f"{LIST}?page={number + 1}" if more else None,
            "prev_page_url": None}}}
    rsps.add(responses.GET, LIST, json=body, status=http_status,
             match=[matchers.query_param_matcher({"page": str(number)})])


def test_pages_are_followed_until_there_is_no_next(gw, account, http_mock):
    page(http_mock, 1, [item(ref_id="APone")], more=True)
    page(http_mock, 2, [item(ref_id="APtwo", created_at="2026-01-01T09:00:00.000000Z")])
    found = gw.list_transactions(account, SINCE, UNTIL)
    assert [t.provider_reference for t in found] == ["APone", "APtwo"]
    assert all(c.request.headers["Authorization"] == f"Bearer {SECRET_KEY}"
               for c in http_mock.calls)


def test_a_page_wholly_older_than_the_window_ends_the_listing(gw, account, http_mock):
    page(http_mock, 1, [item(ref_id="APnew", created_at="2026-01-02T05:00:00.000000Z"),
                        item(ref_id="APin")], more=True)
    page(http_mock, 2, [item(ref_id="APold", created_at="2025-12-31T05:00:00.000000Z")],
         more=True)
    assert [t.provider_reference for t in gw.list_transactions(account, SINCE, UNTIL)] == \
        ["APin"]
    assert len(http_mock.calls) == 2                 # page 3 never asked


@pytest.mark.parametrize("word, ours", [
    ("success", "succeeded"), ("failed", "failed"), ("pending", "pending"),
    ("refunded", "succeeded"), ("cancelled", "failed"), ("new", "pending")])
def test_statuses_map_to_ours(gw, account, http_mock, word, ours):
    page(http_mock, 1, [item(status=word)])
    [listed] = gw.list_transactions(account, SINCE, UNTIL)
    assert listed.status == ours


def test_amounts_are_minor_units_and_a_tx_ref_is_read_when_present(gw, account, http_mock):
    page(http_mock, 1, [item(), item(ref_id="APusd", currency="USD", amount="12.5",
                                     tx_ref=PAY_ID),
                        item(ref_id="APbad", amount="1.234")])
    etb, usd, bad = gw.list_transactions(account, SINCE, UNTIL)
    assert (etb.amount, etb.currency, etb.payment_id) == (10000, "ETB", None)
    assert etb.created_at == datetime(2026, 1, 1, 10, 0)
    assert (usd.amount, usd.currency, usd.payment_id) == (1250, "USD", PAY_ID)
    assert bad.amount is None


def test_the_listing_is_bounded(gw, account, http_mock, monkeypatch):
    monkeypatch.setattr(listing, "MAX_PAGES", 1)
    page(http_mock, 1, [item()], more=True)
    with pytest.raises(GatewayUnavailable) as err:
        gw.list_transactions(account, SINCE, UNTIL)
    assert err.value.code == "listing_too_long"


@pytest.mark.parametrize("http_status, body, error", [
    (401, {"message": "Invalid API Key or User doesn't exist", "status": "failed",
           "data": None}, GatewayAuthError),
    (502, {"message": "Bad gateway", "status": "failed", "data": None}, GatewayUnavailable),
    (200, {"message": "ok", "status": "success", "data": None}, GatewayUnavailable),
])
def test_errors_are_typed(gw, account, http_mock, http_status, body, error):
    http_mock.add(responses.GET, LIST, json=body, status=http_status)
    with pytest.raises(error):
        gw.list_transactions(account, SINCE, UNTIL)


def test_verify_keeps_chapas_reference_as_the_receipt(gw, account, http_mock):
    http_mock.add(responses.GET, VERIFY, json=verify_body(reference="APqDvY2v8l3"))
    assert gw.fetch_status(account, PAY_ID, PAY_ID).receipt == "APqDvY2v8l3"
