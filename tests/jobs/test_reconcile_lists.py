"""The daily comparison of a provider's transaction list with ours, through the real
Paystack simulator over HTTP: payments made through the flow, a transaction only the
provider knows, ours changed in our database; every difference recorded once, and the
``reconcile report`` command prints them."""
import hashlib
from datetime import timedelta

import pytest
import requests

from checkout.core.timeutil import utcnow
from checkout.extensions import db
from checkout.gateways import get_gateway
from checkout.gateways.errors import GatewayUnavailable
from checkout.jobs import reconcile_lists
from checkout.merchants.accounts import account_context
from checkout.models import GatewayAccount, Payment, ReconciliationDifference
from checkout.payments import flow
from checkout.payments.refresh import fetch_and_apply
from tests.factories import add_payment, make_checkout, payment
from tests.waiting import wait_until

pytestmark = pytest.mark.usefixtures("live_server")
EMAIL = "ama@example.com"


def paystack_account(merchant):
    return db.session.execute(db.select(GatewayAccount).where(
        GatewayAccount.merchant_id == merchant.id, GatewayAccount.gateway == "paystack",
        GatewayAccount.livemode.is_(False))).scalar_one()


def paid_through_the_flow(merchant, amount):
    """A GHS checkout paid by MTN MoMo (magic 09: Paystack completes at once), settled by
    a poll -> the payment id."""
    checkout_id = make_checkout(merchant, amount=amount, currency="GHS", country="GH")
    payment_id = flow.start_payment(checkout_id, "paystack_mtn_gh", "+233240000009",
                                    email=EMAIL).id

    def settled():
        fetch_and_apply(payment_id, "poll")
        return payment(payment_id).status == "succeeded"
    wait_until(settled, timeout=10, what="the payment succeeded")
    return payment_id


def held_only_by_paystack(simulator, merchant, reference, amount):
    """A successful transaction of the merchant's Paystack account that we never started
    (a payment link): the simulator's _sim control."""
    key = account_context(paystack_account(merchant)).credentials["secret_key"]
    sim_account = "acct_" + hashlib.sha256(key.encode()).hexdigest()[:16]
    db.session.commit()
    resp = requests.post(f"{simulator.url}/paystack/_sim/transactions", timeout=5, json={
        "account": sim_account, "amount": amount, "currency": "GHS", "status": "success",
        "reference": reference})
    assert resp.status_code == 201, resp.text


def kinds(diffs):
    return sorted((d.kind, d.provider_reference) for d in diffs)


def stored():
    db.session.rollback()
    return db.session.execute(db.select(ReconciliationDifference)).scalars().all()


def test_every_difference_is_recorded_once_and_reported(merchant, simulator, runner):
    first = paid_through_the_flow(merchant, 150000)
    second = paid_through_the_flow(merchant, 250000)
    held_only_by_paystack(simulator, merchant, "link-777", 777700)
    # Ours, changed: an amount we hold differently, a success we hold as failed, and a
    # succeeded payment Paystack never saw.
    db.session.execute(db.update(Payment).where(Payment.id == first).values(amount=150100))
    db.session.execute(db.update(Payment).where(Payment.id == second).values(status="failed"))
    db.session.commit()
    ghost_checkout = make_checkout(merchant, amount=5000, currency="GHS", country="GH")
    ghost = add_payment(ghost_checkout, "paystack_mtn_gh", phone="+233240000001",
                        provider_reference="pay-ghost", outcome="succeeded")
    account_id, today = paystack_account(merchant).id, utcnow().date()
    db.session.commit()

    found = reconcile_lists.compare_account(account_id, today)

    ref_first, ref_second = payment(first).provider_reference, payment(second).provider_reference
    assert kinds(found) == sorted([("amount_differs", ref_first), ("status_differs", ref_second),
                                   ("missing_here", "link-777"), ("missing_there", "pay-ghost")])
    by_kind = {d.kind: d for d in found}
    assert by_kind["amount_differs"].ours == {"status": "succeeded", "amount": 150100,
                                              "currency": "GHS"}
    assert (by_kind["amount_differs"].theirs["status"], by_kind["amount_differs"].theirs[
        "amount"]) == ("succeeded", 150000)
    assert by_kind["amount_differs"].payment_id == first
    assert by_kind["status_differs"].ours["status"] == "failed"
    assert by_kind["status_differs"].theirs["status"] == "succeeded"
    assert (by_kind["missing_here"].payment_id, by_kind["missing_here"].ours) == (None, None)
    assert by_kind["missing_here"].theirs["amount"] == 777700
    assert (by_kind["missing_there"].payment_id, by_kind["missing_there"].theirs) == \
        (ghost, None)
    assert {(d.merchant_id, d.gateway, d.day) for d in found} == \
        {(merchant.id, "paystack", today)}

    # A re-run records nothing new.
    again = reconcile_lists.compare_account(account_id, today)
    assert kinds(again) == kinds(found)
    assert len(stored()) == 4

    out = runner.invoke(args=["reconcile", "report", "--day", today.isoformat(),
                              "--merchant", merchant.public_id])
    assert out.exit_code == 0, out.output
    lines = out.output.splitlines()
    assert lines[0] == f"Reconciliation report for {today.isoformat()} (UTC)"
    assert (f"{merchant.public_id}  paystack  missing_here  ref=link-777  ours: -  "
            "theirs: succeeded 7777.00 GHS") in lines
    assert (f"{merchant.public_id}  paystack  amount_differs  ref={ref_first} "
            f"payment={first}  ours: succeeded 1501.00 GHS  theirs: succeeded 1500.00 GHS"
            ) in lines
    assert lines[-1] == ("4 differences (1 missing_here, 1 missing_there, 1 status_differs, "
                         "1 amount_differs)")

    # --run compares again (nothing new) and reports the same.
    rerun = runner.invoke(args=["reconcile", "report", "--day", today.isoformat(), "--run"])
    assert rerun.exit_code == 0, rerun.output
    assert rerun.output.splitlines()[-1] == lines[-1]
    assert len(stored()) == 4


def test_a_day_without_differences_says_so(merchant, runner):
    out = runner.invoke(args=["reconcile", "report", "--run"])
    yesterday = (utcnow() - timedelta(days=1)).date().isoformat()
    assert out.exit_code == 0, out.output
    assert f"Reconciliation report for {yesterday} (UTC)" in out.output
    assert out.output.splitlines()[-1] == "no differences"


def test_an_unknown_merchant_is_refused(runner):
    out = runner.invoke(args=["reconcile", "report", "--merchant", "mer_nope"])
    assert out.exit_code != 0 and "no merchant mer_nope" in out.output


def test_the_daily_job_runs_each_account_once_and_retries_a_provider_error(
        merchant, monkeypatch, redis_conn):
    accounts = db.session.execute(db.select(GatewayAccount.id).where(
        GatewayAccount.merchant_id == merchant.id,
        GatewayAccount.gateway.in_(reconcile_lists.listing_gateways()))).scalars().all()
    db.session.commit()
    assert len(accounts) == 2                    # Paystack and Chapa list transactions
    paystack = type(get_gateway("paystack"))

    def down(self, account, since, until):
        raise GatewayUnavailable("Paystack is down", code="provider_error")

    monkeypatch.setattr(paystack, "list_transactions", down)
    assert reconcile_lists.compare_yesterday() == {"compared": 1, "failed": 1,
                                                   "differences": 0}
    assert reconcile_lists.compare_yesterday() == {}          # at most every 5 minutes
    redis_conn.delete("every:reconcile_lists")
    # Chapa's is done for the day; Paystack's is retried once its claim has lapsed.
    assert reconcile_lists.compare_yesterday() == {"compared": 0, "failed": 0,
                                                   "differences": 0}
    monkeypatch.undo()
    for key in redis_conn.scan_iter("reconcile_lists:*:claim"):
        redis_conn.delete(key)
    redis_conn.delete("every:reconcile_lists")
    assert reconcile_lists.compare_yesterday() == {"compared": 1, "failed": 0,
                                                   "differences": 0}
