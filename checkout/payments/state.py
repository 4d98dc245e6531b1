"""The one pure transition table of payment attempts and checkouts.

Nothing here touches the database (standard library only): given where a payment and
its checkout stand and what a gateway reports, :func:`decide` says what happens.
``service.apply_result`` is the only writer, and it obeys this table.
"""
from dataclasses import dataclass
from enum import StrEnum


class PaymentStatus(StrEnum):
    """Where one payment attempt stands."""

    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELED = "canceled"      # our end: the shopper chose another way
    EXPIRED = "expired"        # our end: the attempt's deadline passed


class CheckoutStatus(StrEnum):
    """Where a checkout stands."""

    OPEN = "open"
    PROCESSING = "processing"  # an attempt is pending
    PAID = "paid"
    EXPIRED = "expired"
    CANCELED = "canceled"


class Report(StrEnum):
    """What a gateway may report about an attempt."""

    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class RefundStatus(StrEnum):
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class Outcome(StrEnum):
    """What a report did (also the payment-event types written to the timeline)."""

    APPLIED = "applied"                          # the payment moved as reported
    NOOP = "noop"                                # nothing new (same again, still pending)
    LATE_FAILURE_IGNORED = "late_failure_ignored"  # a failure after success: recorded
    DUPLICATE_PAYMENT = "duplicate_payment"      # a success on a checkout already paid
    PAID_LATE = "paid_late"                      # a success after expiry/abandon: honoured
    AMOUNT_MISMATCH = "amount_mismatch"          # success for another amount or currency


PAYMENT_STATUSES = tuple(PaymentStatus)
PAYMENT_FINAL = frozenset(PaymentStatus) - {PaymentStatus.PENDING}
CHECKOUT_STATUSES = tuple(CheckoutStatus)
CHECKOUT_FINAL = frozenset({CheckoutStatus.PAID, CheckoutStatus.EXPIRED,
                            CheckoutStatus.CANCELED})
CHECKOUT_ACTIVE = (CheckoutStatus.OPEN, CheckoutStatus.PROCESSING)
REPORTS = tuple(Report)


@dataclass(frozen=True)
class Decision:
    outcome: Outcome
    payment_status: PaymentStatus    # the payment's status after the decision
    checkout_status: CheckoutStatus  # the checkout's status after the decision
    flag_duplicate: bool = False
    flag_paid_late: bool = False


def decide(payment_status: str, checkout_status: str, report: str, amount_matches: bool = True,
           other_paid: bool = False) -> Decision:
    """Decide what a gateway report does to a payment attempt and its checkout.

    ``payment_status``/``checkout_status``: where they stand now. ``report``: one of
    REPORTS. ``amount_matches``: the provider confirmed our amount and currency.
    ``other_paid``: another attempt already paid this checkout (or its order).
    Invariants: a succeeded payment never changes; a paid checkout never changes; a
    success is never lost (money moved), it is flagged instead. Raises ValueError for
    an unknown status or report.
    """
    payment_status = PaymentStatus(payment_status)
    checkout_status = CheckoutStatus(checkout_status)
    report = Report(report)
    if payment_status == PaymentStatus.SUCCEEDED:
        if report == Report.FAILED:
            return Decision(Outcome.LATE_FAILURE_IGNORED, payment_status, checkout_status)
        return Decision(Outcome.NOOP, payment_status, checkout_status)
    if report == Report.PENDING:
        return Decision(Outcome.NOOP, payment_status, checkout_status)
    reopened = (CheckoutStatus.OPEN if checkout_status == CheckoutStatus.PROCESSING
                else checkout_status)   # the shopper may try again
    if report == Report.FAILED:
        if payment_status != PaymentStatus.PENDING:
            return Decision(Outcome.NOOP, payment_status, checkout_status)
        return Decision(Outcome.APPLIED, PaymentStatus.FAILED, reopened)
    # report == Report.SUCCEEDED
    if not amount_matches:
        return Decision(Outcome.AMOUNT_MISMATCH, PaymentStatus.FAILED, reopened)
    if checkout_status == CheckoutStatus.PAID or other_paid:
        return Decision(Outcome.DUPLICATE_PAYMENT, PaymentStatus.SUCCEEDED, checkout_status,
                        flag_duplicate=True)
    if checkout_status in (CheckoutStatus.EXPIRED, CheckoutStatus.CANCELED):
        # The attempt started before the checkout ended, and the money moved.
        return Decision(Outcome.PAID_LATE, PaymentStatus.SUCCEEDED, CheckoutStatus.PAID,
                        flag_paid_late=True)
    return Decision(Outcome.APPLIED, PaymentStatus.SUCCEEDED, CheckoutStatus.PAID)


def checkout_after_attempt_started(checkout_status: str) -> CheckoutStatus:
    """The checkout's status when a new attempt starts; raises ValueError if it cannot
    take one."""
    if checkout_status != CheckoutStatus.OPEN:
        raise ValueError(f"a {checkout_status} checkout cannot take a payment attempt")
    return CheckoutStatus.PROCESSING


def payment_after_abandon(payment_status: str) -> PaymentStatus:
    """Our own end to a pending attempt (deadline passed, shopper chose another way)."""
    status = PaymentStatus(payment_status)
    return status if status in PAYMENT_FINAL else PaymentStatus.EXPIRED
