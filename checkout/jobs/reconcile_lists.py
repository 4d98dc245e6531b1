"""The daily comparison of a provider's transaction list with ours.

Where a gateway ``lists_transactions`` (its adapter reads the provider's listing), every
enabled account's list of one UTC day is compared with our payments of that account
created that day, and every difference is recorded once (``ReconciliationDifference``,
unique per account, day, kind and reference: a re-run adds nothing):

* ``missing_here``: the provider lists a successful transaction that matches none of our
  payments (money we never saw: a payment link, a lost initiate answer);
* ``missing_there``: one of our succeeded payments matches nothing in the provider's list;
* ``status_differs``: both know the transaction, and exactly one side says succeeded;
* ``amount_differs``: both say succeeded, for another amount or currency.

A listed transaction matches a payment by reference (the payment's provider reference,
or the provider's own id it keeps as receipt), else by the payment id the provider
echoes. The provider is asked for a margin around the day, so that a transaction stamped
a few seconds past midnight at one end still finds its payment; a pair belongs to the day
of our payment, an unmatched listed transaction to its own day. Failed or pending
transactions only one side knows are not differences (no money moved).

``compare_yesterday`` is the sweeper's hook: each account at most once a day across every
process (a Redis key per account and day once it succeeded); a provider error is logged
and that account tried again on a later run, never raised.
"""
import logging
from datetime import date, datetime, time, timedelta

from sqlalchemy import or_
from sqlalchemy.exc import IntegrityError

from checkout.core.money import to_major_str
from checkout.core.timeutil import utcnow
from checkout.extensions import db
from checkout.gateways import all_gateways, get_gateway
from checkout.gateways.base import ListedTransaction
from checkout.gateways.errors import GatewayError
from checkout.merchants.accounts import account_context
from checkout.models import GatewayAccount, Merchant, Payment, ReconciliationDifference
from checkout.payments.state import PaymentStatus
from checkout.redis_store import at_most_every, redis_connection

log = logging.getLogger(__name__)

MARGIN = timedelta(minutes=30)
KINDS = ("missing_here", "missing_there", "status_differs", "amount_differs")
SUCCEEDED = "succeeded"
CHECK_EVERY_SECONDS = 300       # how often the sweeper looks for accounts still to compare
RETRY_AFTER_SECONDS = 900       # an account whose provider failed is asked again after this
DONE_TTL_SECONDS = 3 * 86400


def listing_gateways() -> list[str]:
    """The names of the gateways whose provider lists transactions."""
    return sorted(name for name, gw in all_gateways().items() if gw.lists_transactions)


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """``[start, end)`` of a UTC day, naive (as stored)."""
    start = datetime.combine(day, time.min)
    return start, start + timedelta(days=1)


def compare_account(account_id: int, day: date) -> list[ReconciliationDifference]:
    """Compare the provider's list of ``day`` (UTC) for gateway account ``account_id``
    with our payments of that account created that day; record each new difference;
    commit. Returns the differences of that account and day (new and already recorded),
    oldest first. Raises LookupError for an unknown account, the adapter's GatewayError
    when the provider cannot list (nothing recorded)."""
    account = db.session.get(GatewayAccount, account_id)
    if account is None:
        raise LookupError(account_id)
    gateway = get_gateway(account.gateway)
    if not gateway.lists_transactions:
        return []
    context = account_context(account)
    merchant_id, gateway_name = account.merchant_id, account.gateway
    start, end = day_bounds(day)
    db.session.commit()           # no transaction held across the provider's calls
    listed = gateway.list_transactions(context, start - MARGIN, end + MARGIN)
    ours = list(db.session.execute(db.select(Payment).where(
        Payment.gateway_account_id == account_id, Payment.created_at >= start,
        Payment.created_at < end)).scalars())
    ours += _elsewhere(account_id, [t for t in listed if start <= t.created_at < end], ours)
    found = differences(listed, ours, start, end)
    for kind, reference, payment, theirs in found:
        _record(ReconciliationDifference(
            merchant_id=merchant_id, gateway_account_id=account_id, gateway=gateway_name,
            day=day, kind=kind, payment_id=payment.id if payment else None,
            provider_reference=reference[:128], ours=_ours(payment), theirs=_theirs(theirs)))
    db.session.commit()
    return list(db.session.execute(db.select(ReconciliationDifference).where(
        ReconciliationDifference.gateway_account_id == account_id,
        ReconciliationDifference.day == day).order_by(ReconciliationDifference.id)).scalars())


def differences(listed: list[ListedTransaction], ours: list[Payment], start: datetime,
                end: datetime) -> list[tuple[str, str, Payment | None, ListedTransaction | None]]:
    """``(kind, reference, our payment, their transaction)`` of every difference between
    ``listed`` and ``ours`` that belongs to ``[start, end)``."""
    by_reference, by_id = {}, {p.id: p for p in ours}
    for p in ours:
        for ref in (p.provider_receipt, p.provider_reference):
            if ref:
                by_reference[ref] = p
    found, matched = [], set()
    for t in listed:
        payment = by_reference.get(t.provider_reference) or \
            (by_id.get(t.payment_id) if t.payment_id else None)
        if payment is None:
            if start <= t.created_at < end and t.status == SUCCEEDED:
                found.append(("missing_here", t.provider_reference, None, t))
            continue
        matched.add(payment.id)
        if not start <= payment.created_at < end:
            continue              # compared with the day of our payment
        if (t.status == SUCCEEDED) != (payment.status == PaymentStatus.SUCCEEDED):
            found.append(("status_differs", t.provider_reference, payment, t))
        elif t.status == SUCCEEDED and (t.amount, t.currency) != (payment.amount,
                                                                   payment.currency):
            found.append(("amount_differs", t.provider_reference, payment, t))
    for p in ours:
        if p.id not in matched and p.status == PaymentStatus.SUCCEEDED and \
                start <= p.created_at < end:
            found.append(("missing_there", p.provider_reference or p.id, p, None))
    return found


def compare_yesterday() -> dict[str, int]:
    """The sweeper's hook: compare yesterday (UTC) for every enabled account whose gateway
    lists transactions, each at most once a day across all processes. Provider errors are
    logged; that account is tried again on a later run. Returns counts."""
    if not at_most_every("reconcile_lists", CHECK_EVERY_SECONDS):
        return {}
    return compare_day(utcnow().date() - timedelta(days=1), once=True)


def compare_day(day: date, merchant_id: int | None = None, once: bool = False) \
        -> dict[str, int]:
    """Compare ``day`` for every enabled listing account (of ``merchant_id`` when given).
    ``once``: skip accounts already compared for that day, and claim each in Redis so
    that two processes never ask at the same time. Never raises a provider's error.
    Returns ``{"compared", "failed", "differences"}``."""
    stmt = db.select(GatewayAccount.id).where(GatewayAccount.enabled.is_(True),
                                              GatewayAccount.gateway.in_(listing_gateways()))
    if merchant_id is not None:
        stmt = stmt.where(GatewayAccount.merchant_id == merchant_id)
    ids = list(db.session.execute(stmt.order_by(GatewayAccount.id)).scalars())
    db.session.commit()
    report = {"compared": 0, "failed": 0, "differences": 0}
    redis = redis_connection() if once else None
    for account_id in ids:
        done, claim = (f"reconcile_lists:{day.isoformat()}:{account_id}:{k}"
                       for k in ("done", "claim"))
        if redis is not None and (redis.exists(done) or
                                  not redis.set(claim, "1", nx=True, ex=RETRY_AFTER_SECONDS)):
            continue
        try:
            found = compare_account(account_id, day)
        except GatewayError as exc:
            db.session.rollback()
            log.warning("transaction list comparison failed", extra={
                "account": account_id, "day": day.isoformat(), "code": exc.code})
            report["failed"] += 1
            continue
        report["compared"] += 1
        report["differences"] += len(found)
        if redis is not None:
            redis.set(done, "1", ex=DONE_TTL_SECONDS)
    return report


def report_rows(day: date, merchant_id: int | None = None) -> list[tuple]:
    """``(difference, merchant public id)`` of ``day``, by merchant then id."""
    stmt = db.select(ReconciliationDifference, Merchant.public_id).join(
        Merchant, Merchant.id == ReconciliationDifference.merchant_id).where(
        ReconciliationDifference.day == day)
    if merchant_id is not None:
        stmt = stmt.where(ReconciliationDifference.merchant_id == merchant_id)
    return list(db.session.execute(stmt.order_by(Merchant.public_id,
                                                 ReconciliationDifference.id)).all())


def report_line(diff: ReconciliationDifference, merchant: str) -> str:
    """One line of the report: merchant, gateway, kind, reference, ours vs theirs."""
    payment = f" payment={diff.payment_id}" if diff.payment_id else ""
    return (f"{merchant}  {diff.gateway}  {diff.kind}  ref={diff.provider_reference}{payment}"
            f"  ours: {_side(diff.ours)}  theirs: {_side(diff.theirs)}")


def summary(diffs: list[ReconciliationDifference]) -> str:
    if not diffs:
        return "no differences"
    counts = {kind: sum(d.kind == kind for d in diffs) for kind in KINDS}
    parts = ", ".join(f"{n} {kind}" for kind, n in counts.items() if n)
    return f"{len(diffs)} difference{'s' if len(diffs) != 1 else ''} ({parts})"


def _side(side: dict | None) -> str:
    if not side:
        return "-"
    amount, currency = side.get("amount"), side.get("currency")
    try:
        money = f"{to_major_str(amount, currency)} {currency}"
    except (TypeError, ValueError):
        money = f"{amount} {currency}"
    return f"{side.get('status')} {money}"


def _ours(payment: Payment | None) -> dict | None:
    if payment is None:
        return None
    return {"status": str(payment.status), "amount": payment.amount,
            "currency": payment.currency}


def _theirs(listed: ListedTransaction | None) -> dict | None:
    if listed is None:
        return None
    return {"status": listed.status, "amount": listed.amount, "currency": listed.currency,
            "created_at": listed.created_at.isoformat() + "Z"}


def _elsewhere(account_id: int, listed: list[ListedTransaction],
               ours: list[Payment]) -> list[Payment]:
    """Our payments of other days that listed transactions of this day name (a payment
    created just before midnight that the provider stamped after it)."""
    known = {p.id for p in ours}
    refs = sorted({t.provider_reference for t in listed})
    ids = sorted({t.payment_id for t in listed if t.payment_id})
    if not refs and not ids:
        return []
    found = []
    for chunk in range(0, max(len(refs), len(ids)), 500):
        part_refs, part_ids = refs[chunk:chunk + 500], ids[chunk:chunk + 500]
        found += db.session.execute(db.select(Payment).where(
            Payment.gateway_account_id == account_id,
            or_(Payment.provider_reference.in_(part_refs),
                Payment.provider_receipt.in_(part_refs), Payment.id.in_(part_ids)))).scalars()
    return [p for p in found if p.id not in known]


def _record(diff: ReconciliationDifference) -> bool:
    """Insert ``diff`` unless that account, day, kind and reference are recorded already
    (by an earlier run or another process). True when it is new."""
    exists = db.session.execute(db.select(ReconciliationDifference.id).where(
        ReconciliationDifference.gateway_account_id == diff.gateway_account_id,
        ReconciliationDifference.day == diff.day, ReconciliationDifference.kind == diff.kind,
        ReconciliationDifference.provider_reference == diff.provider_reference)).first()
    if exists:
        return False
    try:
        with db.session.begin_nested():
            db.session.add(diff)
    except IntegrityError:
        return False
    return True
