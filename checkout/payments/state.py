"""The one pure transition table of payment attempts and checkouts.

Nothing here touches the database: given where a payment and its checkout stand
and what a gateway reports, :func:`decide` says what happens. ``service.apply_result``
is the only writer, and it obeys this table.
"""
from dataclasses import dataclass

PAYMENT_STATUSES = ("pending", "succeeded", "failed", "canceled", "expired")
PAYMENT_FINAL = frozenset({"succeeded", "failed", "canceled", "expired"})
CHECKOUT_STATUSES = ("open", "processing", "paid", "expired", "canceled")
CHECKOUT_FINAL = frozenset({"paid", "expired", "canceled"})
# What a gateway may report about an attempt.
REPORTS = ("pending", "succeeded", "failed")

# Outcomes (also the payment-event types written to the timeline).
APPLIED = "applied"                   # the payment moved as reported
NOOP = "noop"                         # nothing new (same status again, or still pending)
LATE_FAILURE_IGNORED = "late_failure_ignored"  # a failure after success: recorded, ignored
DUPLICATE_PAYMENT = "duplicate_payment"        # a success on a checkout already paid
PAID_LATE = "paid_late"               # a success after expiry/abandon: money moved, honour it
AMOUNT_MISMATCH = "amount_mismatch"   # reported success for another amount or currency


@dataclass(frozen=True)
class Decision:
    outcome: str
    payment_status: str          # the payment's status after the decision
    checkout_status: str         # the checkout's status after the decision
    flag_duplicate: bool = False
    flag_paid_late: bool = False


def decide(payment_status, checkout_status, report, amount_matches=True, other_paid=False):
    """Decide what a gateway report does to a payment attempt and its checkout.

    ``payment_status``/``checkout_status``: where they stand now. ``report``: one of
    REPORTS. ``amount_matches``: the provider confirmed our amount and currency.
    ``other_paid``: another attempt already paid this checkout (or its order).
    Invariants: a succeeded payment never changes; a paid checkout never changes; a
    success is never lost (money moved), it is flagged instead.
    """
    if report not in REPORTS:
        raise ValueError(f"unknown report {report!r}")
    if payment_status == "succeeded":
        if report == "failed":
            return Decision(LATE_FAILURE_IGNORED, payment_status, checkout_status)
        return Decision(NOOP, payment_status, checkout_status)
    if report == "pending":
        return Decision(NOOP, payment_status, checkout_status)
    if report == "failed":
        if payment_status != "pending":
            return Decision(NOOP, payment_status, checkout_status)
        # The shopper may try again: a processing checkout opens again.
        nxt = "open" if checkout_status == "processing" else checkout_status
        return Decision(APPLIED, "failed", nxt)
    # report == "succeeded"
    if not amount_matches:
        nxt = "open" if checkout_status == "processing" else checkout_status
        return Decision(AMOUNT_MISMATCH, "failed", nxt)
    if checkout_status == "paid" or other_paid:
        return Decision(DUPLICATE_PAYMENT, "succeeded", checkout_status, flag_duplicate=True)
    if checkout_status in ("expired", "canceled"):
        # The attempt started before the checkout ended, and the money moved.
        return Decision(PAID_LATE, "succeeded", "paid", flag_paid_late=True)
    return Decision(APPLIED, "succeeded", "paid")


def checkout_after_attempt_started(checkout_status):
    """The checkout's status when a new attempt starts; raises if it cannot take one."""
    if checkout_status != "open":
        raise ValueError(f"a {checkout_status} checkout cannot take a payment attempt")
    return "processing"


def payment_after_abandon(payment_status):
    """Our own end to a pending attempt (deadline passed, shopper chose another way)."""
    return payment_status if payment_status in PAYMENT_FINAL else "expired"
