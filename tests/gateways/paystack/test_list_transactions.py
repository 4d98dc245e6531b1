"""Paystack adapter, List Transactions (``GET /transaction``): the query we send, every
page read, each transaction in our vocabulary, and the typed errors."""
from datetime import datetime

import pytest
import responses
from responses import matchers

from checkout.gateways.errors import GatewayAuthError, GatewayUnavailable
from checkout.gateways.paystack import listing

from .conftest import KEY, PAY, REF, SIM, transaction

LIST = f"{SIM}/transaction"
SINCE, UNTIL = datetime(2026, 1, 1), datetime(2026, 1, 2)


def page(rsps, number, rows, page_count=1, http_status=200, **envelope):
    query = {"from": "2026-01-01T00:00:00.000Z", "to": "2026-01-02T00:00:00.000Z",
             "perPage": "100", "page": str(number)}
    body = {"status": True, "message": "Transactions retrieved", "data": rows,
            "meta": {"total": 0, "skipped": 0, "perPage": 100, "page": number,
                     "pageCount": page_count}, **envelope}
    rsps.add(responses.GET, LIST, json=body, status=http_status,
             match=[matchers.query_param_matcher(query)])


def test_every_page_is_read_with_the_window_and_the_bearer(gw, account, http_mock):
    page(http_mock, 1, [transaction(reference="pay-A1", created_at="2026-01-01T08:00:00.000Z")],
         page_count=2)
    page(http_mock, 2, [transaction(reference="pay-B2", created_at="2026-01-01T09:00:00.000Z")],
         page_count=2)
    found = gw.list_transactions(account, SINCE, UNTIL)
    assert [t.provider_reference for t in found] == ["pay-A1", "pay-B2"]
    assert all(c.request.headers["Authorization"] == f"Bearer {KEY}" for c in http_mock.calls)
    assert len(http_mock.calls) == 2


@pytest.mark.parametrize("word, ours", [
    ("success", "succeeded"), ("reversed", "succeeded"), ("failed", "failed"),
    ("abandoned", "failed"), ("ongoing", "pending"), ("queued", "pending")])
def test_statuses_map_to_ours(gw, account, http_mock, word, ours):
    page(http_mock, 1, [transaction(status=word)])
    [listed] = gw.list_transactions(account, SINCE, UNTIL)
    assert listed.status == ours


def test_amounts_are_our_minor_units_and_our_payment_id_is_read_from_metadata(
        gw, account, http_mock):
    page(http_mock, 1, [transaction(amount=150000, currency="NGN"),
                        transaction(reference="pay-X", amount=500000, currency="XOF",
                                    metadata=""),
                        transaction(reference="pay-Y", amount="12.5", currency="NGN")])
    ngn, xof, bad = gw.list_transactions(account, SINCE, UNTIL)
    assert (ngn.provider_reference, ngn.payment_id, ngn.amount, ngn.currency) == \
        (REF, PAY, 150000, "NGN")
    assert ngn.created_at == datetime(2026, 1, 1, 10, 0)          # naive UTC
    assert (xof.payment_id, xof.amount, xof.currency) == (None, 5000, "XOF")
    assert bad.amount is None                                      # unreadable, not guessed


def test_outside_the_window_another_mode_or_unreadable_rows_are_left_out(
        gw, account, http_mock):
    page(http_mock, 1, [transaction(created_at="2026-01-02T00:00:00.000Z"),
                        transaction(created_at="2025-12-31T23:59:59.000Z"),
                        transaction(domain="live"), transaction(reference=None),
                        transaction(created_at="yesterday"), "junk",
                        transaction(reference="pay-in")])
    assert [t.provider_reference for t in gw.list_transactions(account, SINCE, UNTIL)] == \
        ["pay-in"]


def test_a_short_page_without_meta_is_the_last(gw, account, http_mock):
    page(http_mock, 1, [transaction()], meta=None)
    assert len(gw.list_transactions(account, SINCE, UNTIL)) == 1


def test_the_listing_is_bounded(gw, account, http_mock, monkeypatch):
    monkeypatch.setattr(listing, "MAX_PAGES", 2)
    page(http_mock, 1, [transaction()], page_count=5)
    page(http_mock, 2, [transaction(reference="pay-2")], page_count=5)
    with pytest.raises(GatewayUnavailable) as err:
        gw.list_transactions(account, SINCE, UNTIL)
    assert err.value.code == "listing_too_long"


@pytest.mark.parametrize("http_status, body, error, code", [
    (401, {"status": False, "message": "Invalid key"}, GatewayAuthError, "gateway_auth_failed"),
    (500, {"status": False, "message": "Server error"}, GatewayUnavailable, "provider_error"),
    (429, {"status": False, "message": "Too many"}, GatewayUnavailable, "rate_limited"),
    (200, {"status": False, "message": "no"}, GatewayUnavailable, "invalid_response"),
    (200, {"status": True, "message": "ok", "data": {"not": "a list"}}, GatewayUnavailable,
     "invalid_response"),
])
def test_errors_are_typed(gw, account, http_mock, http_status, body, error, code):
    http_mock.add(responses.GET, LIST, json=body, status=http_status)
    with pytest.raises(error) as err:
        gw.list_transactions(account, SINCE, UNTIL)
    assert err.value.code == code


def test_the_capability_is_declared(gw):
    assert gw.lists_transactions is True
