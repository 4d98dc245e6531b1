"""The transition table, exhaustively: every (payment, checkout, report) case."""
import pytest

from checkout.payments import state

D = state.decide


@pytest.mark.parametrize("checkout_status", ["processing", "open"])
def test_success_pays_an_active_checkout(checkout_status):
    d = D("pending", checkout_status, "succeeded")
    assert (d.outcome, d.payment_status, d.checkout_status) == (state.Outcome.APPLIED, "succeeded", "paid")
    assert not d.flag_duplicate and not d.flag_paid_late


def test_failure_reopens_a_processing_checkout():
    d = D("pending", "processing", "failed")
    assert (d.outcome, d.payment_status, d.checkout_status) == (state.Outcome.APPLIED, "failed", "open")


@pytest.mark.parametrize("report", ["pending", "succeeded"])
def test_succeeded_never_changes(report):
    d = D("succeeded", "paid", report)
    assert d.outcome == state.Outcome.NOOP and d.payment_status == "succeeded" and d.checkout_status == "paid"


def test_late_failure_after_success_is_recorded_and_ignored():
    d = D("succeeded", "paid", "failed")
    assert d.outcome == state.Outcome.LATE_FAILURE_IGNORED
    assert (d.payment_status, d.checkout_status) == ("succeeded", "paid")


def test_second_success_on_paid_checkout_is_a_duplicate():
    d = D("pending", "paid", "succeeded", other_paid=True)
    assert d.outcome == state.Outcome.DUPLICATE_PAYMENT and d.flag_duplicate
    assert (d.payment_status, d.checkout_status) == ("succeeded", "paid")


def test_success_for_an_order_paid_by_another_checkout_is_a_duplicate():
    d = D("pending", "expired", "succeeded", other_paid=True)
    assert d.outcome == state.Outcome.DUPLICATE_PAYMENT and d.checkout_status == "expired"


@pytest.mark.parametrize("checkout_status", ["expired", "canceled"])
def test_success_after_the_checkout_ended_is_paid_late(checkout_status):
    d = D("pending", checkout_status, "succeeded")
    assert d.outcome == state.Outcome.PAID_LATE and d.flag_paid_late
    assert (d.payment_status, d.checkout_status) == ("succeeded", "paid")


@pytest.mark.parametrize("payment_status", ["failed", "canceled", "expired"])
def test_a_success_is_never_lost_even_after_we_gave_up(payment_status):
    d = D(payment_status, "open", "succeeded")
    assert d.payment_status == "succeeded" and d.checkout_status == "paid"


@pytest.mark.parametrize("payment_status", ["failed", "canceled", "expired"])
def test_final_failures_do_not_move(payment_status):
    d = D(payment_status, "open", "failed")
    assert d.outcome == state.Outcome.NOOP and d.payment_status == payment_status


def test_pending_report_changes_nothing():
    assert D("pending", "processing", "pending").outcome == state.Outcome.NOOP


def test_amount_mismatch_fails_the_attempt_and_reopens():
    d = D("pending", "processing", "succeeded", amount_matches=False)
    assert d.outcome == state.Outcome.AMOUNT_MISMATCH
    assert (d.payment_status, d.checkout_status) == ("failed", "open")


def test_unknown_report_is_refused():
    with pytest.raises(ValueError):
        D("pending", "processing", "paid")


def test_only_open_checkouts_take_attempts():
    assert state.checkout_after_attempt_started("open") == "processing"
    for s in ("processing", "paid", "expired", "canceled"):
        with pytest.raises(ValueError):
            state.checkout_after_attempt_started(s)
