"""Acting on a stored gateway notification (the job behind ``receive``)."""
from datetime import timedelta
from urllib.parse import parse_qsl

from rq import Retry
from werkzeug.datastructures import Headers

from checkout.core.timeutil import utcnow
from checkout.extensions import db
from checkout.gateways import get_gateway
from checkout.gateways.errors import (
    GatewayDeclined,
    GatewayError,
    GatewayNotSupported,
    WebhookVerificationError,
)
from checkout.merchants.accounts import account_context
from checkout.models import GatewayAccount, GatewayNotification, Payment, refreshed
from checkout.payments import service
from checkout.payments.refresh import fetch_and_apply
from checkout.payments.refunds import settle_refund_from
from checkout.payments.state import Report

# A notification that names no payment we know may be early (the provider answered
# our initiate call after notifying): keep trying this long before calling it unknown.
UNMATCHED_PATIENCE = timedelta(minutes=10)
REDELIVERY_RETRIES = 20
# Kept with a GET callback's headers, so that processing reads it as a callback again.
CALLBACK_HEADER = "X-Checkout-Callback"
# The address the notification came from, as our server saw it (never the sender's word).
CLIENT_ADDRESS = "X-Checkout-Client-Address"


def parse(adapter, context, headers, body):
    """The adapter's reading of a stored or incoming notification: a GET callback
    (marked ``CALLBACK_HEADER``, its query string as the body) or a POSTed one."""
    if headers.get(CALLBACK_HEADER) == "GET":
        query = dict(parse_qsl(body.decode("utf-8", errors="replace"), keep_blank_values=True))
        return adapter.parse_callback(context, query)
    return adapter.parse_notification(context, headers, body)


def process_notification(notification_id):
    """Act on a stored gateway notification, at most once.

    The raw notification is parsed again by the adapter; unless it carries a verified
    result (a signed notification), nothing in it is believed: the payment it names is
    asked about with a status call and only that answer is applied (providers.md 1.7 for
    FeexPay). The payment is found by (account, provider reference), else by the
    adapter's ``payment_hint`` within the same account. Returns the outcome recorded
    (or ``rq.Retry`` to look again in a second when a redelivery came in while the
    provider still said pending).
    """
    note = db.session.get(GatewayNotification, notification_id)
    if note is None or note.processed_at is not None:
        return None
    seen = note.duplicates or 0
    account = db.session.get(GatewayAccount, note.gateway_account_id)
    gateway = get_gateway(note.gateway)
    try:
        parsed = parse(gateway, account_context(account), Headers(note.headers),
                       bytes(note.body))
    except GatewayNotSupported as exc:
        return _finish(note, "ignored", str(exc))
    except WebhookVerificationError as exc:
        return _finish(note, "rejected", str(exc))
    if parsed.refund is not None:
        return _finish(note, *settle_refund_from(gateway, account, parsed.refund))
    payment = _find_payment(account, note.gateway, parsed)
    if payment is None:
        if utcnow() - note.received_at < UNMATCHED_PATIENCE:
            return _leave(note, "no payment matches yet")
        return _finish(note, "unknown_payment")
    if payment.provider_reference and payment.provider_reference != parsed.provider_reference:
        return _finish(note, "reference_mismatch")
    mismatch = gateway.notifications_need_confirmation and \
        _claim_mismatch(parsed.result, payment)
    if mismatch:
        # An unsigned notification naming another amount or payer than our attempt's:
        # kept for the record, never believed, never asked about.
        return _finish(note, "claim_mismatch", mismatch)
    if parsed.result is not None and not gateway.notifications_need_confirmation:
        result = parsed.result
        decision = service.apply_result(payment.id, result, "webhook")
        db.session.commit()
    else:
        try:
            result, decision = fetch_and_apply(payment.id, "webhook",
                                               reference=parsed.provider_reference,
                                               claim=parsed.result)
        except (WebhookVerificationError, GatewayDeclined) as exc:
            # The provider does not confirm that reference for this payment.
            return _finish(refreshed(GatewayNotification, notification_id), "rejected",
                           f"{exc.code}: {exc}")
        except GatewayError as exc:
            # Cannot tell now: left unprocessed, the sweeper tries again in a minute.
            return _leave(refreshed(GatewayNotification, notification_id),
                          f"{exc.code}: {exc}")
    note = refreshed(GatewayNotification, notification_id)
    if result.status == Report.PENDING and note.duplicates > seen:
        # Redelivered while we asked: the provider may have settled since (its webhooks
        # repeat under the same dedup key). Ask again shortly rather than miss it.
        _leave(note, "redelivered while pending")
        return Retry(max=REDELIVERY_RETRIES, interval=1)
    outcome = Report.PENDING if result.status == Report.PENDING else decision.outcome
    return _finish(note, outcome)


def _claim_mismatch(claim, payment):
    """Why a notification's own word contradicts our attempt (amount, currency, payer's
    number), or None."""
    if claim is None:
        return None
    if claim.amount is not None and claim.amount != payment.amount:
        return f"amount {claim.amount} differs from the attempt's {payment.amount}"
    if claim.currency is not None and claim.currency != payment.currency:
        return f"currency {claim.currency} differs from the attempt's {payment.currency}"
    if claim.phone and payment.phone and claim.phone != payment.phone:
        return "the payer's number differs from the attempt's"
    return None


def _find_payment(account, gateway, parsed):
    base = db.select(Payment).where(Payment.gateway_account_id == account.id,
                                    Payment.gateway == gateway)
    payment = db.session.execute(
        base.where(Payment.provider_reference == parsed.provider_reference)
        .order_by(Payment.created_at.desc()).limit(1)
    ).scalar_one_or_none()
    hint = getattr(parsed, "payment_hint", None)
    if payment is None and hint:
        payment = db.session.execute(base.where(Payment.id == hint)).scalar_one_or_none()
    return payment


def _finish(note, outcome, error=None):
    note.processed_at = utcnow()
    note.outcome = outcome
    note.error = (error or None) and error[:2000]
    db.session.commit()
    return outcome


def _leave(note, error):
    note.error = error[:2000]
    db.session.commit()
    return "retry_later"
