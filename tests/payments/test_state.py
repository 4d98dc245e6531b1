"""The transition table (``payments.state``): readable examples first, then every
combination of payment status x checkout status x report x amount x other paid against a
table of rules written out below, never computed by the code under test."""
import itertools
from dataclasses import dataclass

import pytest

from checkout.payments import state

D = state.decide
P, C, R = state.PaymentStatus, state.CheckoutStatus, state.Report
Outcome = state.Outcome


@pytest.mark.parametrize("checkout_status", ["processing", "open"])
def test_success_pays_an_active_checkout(checkout_status):
    d = D("pending", checkout_status, "succeeded")
    assert (d.outcome, d.payment_status, d.checkout_status) == \
        (state.Outcome.APPLIED, "succeeded", "paid")
    assert not d.flag_duplicate and not d.flag_paid_late


def test_failure_reopens_a_processing_checkout():
    d = D("pending", "processing", "failed")
    assert (d.outcome, d.payment_status, d.checkout_status) == \
        (state.Outcome.APPLIED, "failed", "open")


@pytest.mark.parametrize("report", ["pending", "succeeded"])
def test_succeeded_never_changes(report):
    d = D("succeeded", "paid", report)
    assert d.outcome == state.Outcome.NOOP
    assert (d.payment_status, d.checkout_status) == ("succeeded", "paid")


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


# -- Every combination ---------------------------------------------------------------------
# The sets are written out by hand, never derived from the enums: a member added to an enum
# belongs to no rule, and test_the_rules_cover_every_combination_exactly_once says so.
ANY_PAYMENT = frozenset({P.PENDING, P.SUCCEEDED, P.FAILED, P.CANCELED, P.EXPIRED})
NOT_PAID = frozenset({P.PENDING, P.FAILED, P.CANCELED, P.EXPIRED})   # no success yet
GAVE_UP = frozenset({P.FAILED, P.CANCELED, P.EXPIRED})   # final, but no money moved
ANY_CHECKOUT = frozenset({C.OPEN, C.PROCESSING, C.PAID, C.EXPIRED, C.CANCELED})
ACTIVE = frozenset({C.OPEN, C.PROCESSING})
ENDED = frozenset({C.EXPIRED, C.CANCELED})
NOT_PAID_CHECKOUT = frozenset({C.OPEN, C.PROCESSING, C.EXPIRED, C.CANCELED})
EITHER = frozenset({True, False})

SAME = "same"          # the status stays as it was
# A failed attempt hands a processing checkout back to the shopper; nothing else moves.
REOPEN = {C.OPEN: C.OPEN, C.PROCESSING: C.OPEN, C.PAID: C.PAID, C.EXPIRED: C.EXPIRED,
          C.CANCELED: C.CANCELED}
REOPENED = "reopened"


@dataclass(frozen=True)
class Rule:
    why: str
    payment: frozenset
    checkout: frozenset
    report: frozenset
    amount_matches: frozenset
    other_paid: frozenset
    outcome: Outcome
    payment_after: object      # a PaymentStatus or SAME
    checkout_after: object     # a CheckoutStatus, SAME or REOPENED
    flag_duplicate: bool = False
    flag_paid_late: bool = False

    def matches(self, p, c, r, amount_matches, other_paid):
        return (p in self.payment and c in self.checkout and r in self.report
                and amount_matches in self.amount_matches and other_paid in self.other_paid)

    def decision(self, p, c):
        payment = p if self.payment_after == SAME else self.payment_after
        checkout = {SAME: c, REOPENED: REOPEN[c]}.get(self.checkout_after, self.checkout_after)
        return state.Decision(self.outcome, payment, checkout, flag_duplicate=self.flag_duplicate,
                              flag_paid_late=self.flag_paid_late)


RULES = [
    # A succeeded payment never changes: the money moved.
    Rule("a failure after a success is recorded and ignored",
         {P.SUCCEEDED}, ANY_CHECKOUT, {R.FAILED}, EITHER, EITHER,
         Outcome.LATE_FAILURE_IGNORED, SAME, SAME),
    Rule("a success hears nothing new",
         {P.SUCCEEDED}, ANY_CHECKOUT, {R.PENDING, R.SUCCEEDED}, EITHER, EITHER,
         Outcome.NOOP, SAME, SAME),
    # Still pending: nothing to do, whatever we had decided.
    Rule("pending is nothing new",
         NOT_PAID, ANY_CHECKOUT, {R.PENDING}, EITHER, EITHER,
         Outcome.NOOP, SAME, SAME),
    # A failure moves only a pending attempt.
    Rule("a failure fails a pending attempt and hands the checkout back",
         {P.PENDING}, ANY_CHECKOUT, {R.FAILED}, EITHER, EITHER,
         Outcome.APPLIED, P.FAILED, REOPENED),
    Rule("a failure after we gave up changes nothing",
         GAVE_UP, ANY_CHECKOUT, {R.FAILED}, EITHER, EITHER,
         Outcome.NOOP, SAME, SAME),
    # A success is never lost: it pays, or it is flagged.
    Rule("a success for another amount or currency fails the attempt",
         NOT_PAID, ANY_CHECKOUT, {R.SUCCEEDED}, {False}, EITHER,
         Outcome.AMOUNT_MISMATCH, P.FAILED, REOPENED),
    Rule("a success on a paid checkout is a duplicate",
         NOT_PAID, {C.PAID}, {R.SUCCEEDED}, {True}, EITHER,
         Outcome.DUPLICATE_PAYMENT, P.SUCCEEDED, SAME, flag_duplicate=True),
    Rule("a success for an order another attempt paid is a duplicate",
         NOT_PAID, NOT_PAID_CHECKOUT, {R.SUCCEEDED}, {True}, {True},
         Outcome.DUPLICATE_PAYMENT, P.SUCCEEDED, SAME, flag_duplicate=True),
    Rule("a success after the checkout ended pays it late",
         NOT_PAID, ENDED, {R.SUCCEEDED}, {True}, {False},
         Outcome.PAID_LATE, P.SUCCEEDED, C.PAID, flag_paid_late=True),
    Rule("a success pays an active checkout",
         NOT_PAID, ACTIVE, {R.SUCCEEDED}, {True}, {False},
         Outcome.APPLIED, P.SUCCEEDED, C.PAID),
]

COMBINATIONS = list(itertools.product(state.PaymentStatus, state.CheckoutStatus, state.Report,
                                      (True, False), (True, False)))


def _rules_for(combination):
    return [rule for rule in RULES if rule.matches(*combination)]


def _id(combination):
    p, c, r, amount_matches, other_paid = combination
    return (f"{p}-{c}-{r}" + ("" if amount_matches else "-other_amount")
            + ("-other_paid" if other_paid else ""))


def test_the_rules_cover_every_combination_exactly_once():
    uncovered = [_id(x) for x in COMBINATIONS if not _rules_for(x)]
    ambiguous = {_id(x): [r.why for r in _rules_for(x)] for x in COMBINATIONS
                 if len(_rules_for(x)) > 1}
    assert uncovered == [] and ambiguous == {}
    assert len(COMBINATIONS) == 5 * 5 * 3 * 2 * 2
    assert all(any(_rules_for(x) == [rule] for x in COMBINATIONS) for rule in RULES), \
        "a rule that no combination reaches"


@pytest.mark.parametrize("combination", COMBINATIONS, ids=_id)
def test_every_combination_follows_the_rules(combination):
    [rule] = _rules_for(combination)
    p, c, r, amount_matches, other_paid = combination
    decision = D(p.value, c.value, r.value, amount_matches=amount_matches, other_paid=other_paid)
    assert decision == rule.decision(p, c), rule.why


def test_the_invariants_hold_in_every_combination():
    for p, c, r, amount_matches, other_paid in COMBINATIONS:
        d = D(p, c, r, amount_matches=amount_matches, other_paid=other_paid)
        case = (p, c, r, amount_matches, other_paid, d)
        if p == P.SUCCEEDED:                                   # a success never changes
            assert d.payment_status == P.SUCCEEDED, case
        if c == C.PAID:                                        # a paid checkout stays paid
            assert d.checkout_status == C.PAID, case
        if r == R.SUCCEEDED and amount_matches:                # money moved: never lost
            assert d.payment_status == P.SUCCEEDED, case
        if d.checkout_status == C.PAID and c != C.PAID:        # paid only by a success
            assert d.payment_status == P.SUCCEEDED and r == R.SUCCEEDED, case
        if d.outcome == Outcome.NOOP:
            assert (d.payment_status, d.checkout_status) == (p, c), case
        assert not (d.flag_duplicate and d.flag_paid_late), case


# A new attempt may start only on an open checkout; written out for every status.
ATTEMPT_STARTED = {C.OPEN: C.PROCESSING, C.PROCESSING: ValueError, C.PAID: ValueError,
                   C.EXPIRED: ValueError, C.CANCELED: ValueError}


@pytest.mark.parametrize("checkout_status", list(state.CheckoutStatus))
def test_an_attempt_starts_only_on_an_open_checkout(checkout_status):
    expected = ATTEMPT_STARTED[checkout_status]
    if expected is ValueError:
        with pytest.raises(ValueError):
            state.checkout_after_attempt_started(checkout_status.value)
    else:
        assert state.checkout_after_attempt_started(checkout_status.value) == expected


# Our own end to an attempt (deadline, shopper switched): only a pending one expires.
ABANDONED = {P.PENDING: P.EXPIRED, P.SUCCEEDED: P.SUCCEEDED, P.FAILED: P.FAILED,
             P.CANCELED: P.CANCELED, P.EXPIRED: P.EXPIRED}


@pytest.mark.parametrize("payment_status", list(state.PaymentStatus))
def test_abandoning_ends_only_a_pending_attempt(payment_status):
    assert state.payment_after_abandon(payment_status.value) == ABANDONED[payment_status]


@pytest.mark.parametrize("args", [
    ("paid", "open", "succeeded"),           # a checkout status, not a payment status
    ("pending", "pending", "succeeded"),     # a payment status, not a checkout status
    ("pending", "open", "canceled"),         # not something a gateway reports
    ("PENDING", "open", "failed"),           # statuses are lower case
    ("pending", "", "failed"),
    (None, "open", "failed"),
])
def test_decide_refuses_unknown_statuses_and_reports(args):
    with pytest.raises(ValueError):
        D(*args)


@pytest.mark.parametrize("call", [
    lambda: state.payment_after_abandon("paid"),
    lambda: state.checkout_after_attempt_started("opened"),
], ids=["payment_after_abandon", "checkout_after_attempt_started"])
def test_the_other_transitions_refuse_unknown_statuses(call):
    with pytest.raises(ValueError):
        call()
