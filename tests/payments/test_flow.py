"""Starting an attempt: no database transaction is held across the provider's call (it
may take seconds, or minutes for a call that blocks): on PostgreSQL it would pin a pooled
connection per call in flight, on SQLite hold the write lock against every other writer."""
import pytest

from checkout.extensions import db
from checkout.gateways.base import GatewayResult
from checkout.gateways.feexpay.adapter import FeexPay
from checkout.payments import flow
from tests.factories import magic_phone, make_checkout, payment


@pytest.mark.parametrize("own_reference", [False, True])
def test_the_provider_is_called_with_no_transaction_open(app, merchant, monkeypatch,
                                                         own_reference):
    seen = []

    def initiate(self, account, request):
        seen.append((db.session().in_transaction(), db.engine.pool.checkedout()))
        return GatewayResult(status="pending", provider_reference=None if own_reference
                             else "ref-" + request.payment_id)

    monkeypatch.setattr(FeexPay, "initiate", initiate)
    if own_reference:   # the Vodacom shape: our reference written just before the call
        monkeypatch.setattr(FeexPay, "reference_before_call", lambda self, pid: "own-" + pid)
    pay = flow.start_payment(make_checkout(merchant), "mtn_bj", magic_phone("01"))
    assert seen == [(False, 0)]
    assert payment(pay.id).provider_reference.startswith("own-" if own_reference else "ref-")
