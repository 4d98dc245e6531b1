"""Starting a payment attempt: the one flow that spans a provider call.

The attempt row is committed *before* the provider is called (so a crash mid-call leaves
a pending attempt that polling or the deadline resolves, never a payment we don't know
about), and the provider's answer is committed after. Gateways whose initiate call
blocks until the shopper answers (Vodacom Mozambique) are initiated from a job.
"""
import logging

from flask import current_app

from checkout.core.ids import new_id
from checkout.extensions import db
from checkout.gateways import get_gateway
from checkout.gateways.base import GatewayResult, PaymentRequest
from checkout.gateways.errors import GatewayDeclined, GatewayError, GatewayUnavailable
from checkout.jobs.queue import (
    BLOCKING_QUEUE,
    INITIATE_JOB_TIMEOUT,
    INITIATE_PAYMENT,
    enqueue_after_commit,
    initiate_job_id,
)
from checkout.merchants.accounts import account_context
from checkout.models import Checkout, GatewayAccount, Merchant, Payment
from checkout.observability import metrics
from checkout.payments.state import PaymentStatus, Report

from . import service
from .offers import offers_for
from .service import PaymentStateError
from .throttle import PushRefused, count_push

log = logging.getLogger(__name__)


def start_payment(checkout_id: str, method_code: str, phone: str | None = None,
                  source: str = "shopper", email: str | None = None) -> Payment:
    """Begin an attempt on ``checkout_id`` with ``method_code`` and call its gateway.

    ``phone`` is E.164 and ``email`` an address, both already validated; an email is
    kept on the checkout's customer when it had none (the provider requires one). Commits.
    Returns the Payment (pending, failed if the provider refused at once). Raises
    PaymentStateError if the checkout cannot take an attempt, the method is not offered,
    or the method needs a phone or an email it did not get.
    """
    checkout = db.session.get(Checkout, checkout_id)
    if checkout is None:
        raise PaymentStateError("checkout_not_found", "No such checkout.")
    offer = next((o for o in offers_for(checkout) if o.method.code == method_code), None)
    if offer is None:
        raise PaymentStateError("method_unavailable", "This way to pay is not available.")
    if offer.method.needs_phone and not phone:
        raise PaymentStateError("phone_required", "A phone number is required.")
    known_email = (checkout.customer or {}).get("email")
    if offer.method.needs_email and not (known_email or email):
        raise PaymentStateError("email_required", "An email address is required.")
    if offer.method.needs_email and email and not known_email:
        checkout.customer = {**(checkout.customer or {}), "email": email}
    if offer.method.needs_phone:
        try:
            count_push(checkout.id, phone, checkout.expires_at)
        except PushRefused as exc:
            raise PaymentStateError(exc.code, "Too many payment requests.",
                                    minutes=exc.minutes) from None
    gateway = get_gateway(offer.method.gateway)
    payment = Payment(id=new_id("pay"), checkout_id=checkout.id, merchant_id=checkout.merchant_id,
                      livemode=checkout.livemode, gateway=gateway.name,
                      gateway_account_id=offer.account_id, method=method_code,
                      amount=checkout.amount, currency=checkout.currency, phone=phone)
    service.begin_attempt(checkout.id, payment, source)
    if gateway.initiate_blocks:
        enqueue_after_commit(INITIATE_PAYMENT, payment.id, job_id=initiate_job_id(payment.id),
                             job_timeout=INITIATE_JOB_TIMEOUT, queue=BLOCKING_QUEUE)
        db.session.commit()
        return payment
    db.session.commit()
    initiate(payment.id)
    return payment


def initiate(payment_id: str) -> Payment | None:
    """Call the provider for a committed pending attempt and record its answer. Commits.
    Safe to run twice: an attempt that already has a provider reference is left alone."""
    payment = db.session.get(Payment, payment_id)
    if payment is None or payment.status != PaymentStatus.PENDING or payment.provider_reference:
        return payment
    checkout = db.session.get(Checkout, payment.checkout_id)
    account = db.session.get(GatewayAccount, payment.gateway_account_id)
    gateway = get_gateway(payment.gateway)
    own_reference = gateway.reference_before_call(payment.id)
    if own_reference:
        # Written before the call: a call cut off (timeout, worker killed) leaves an
        # attempt that polling settles by this reference, and it is never sent again.
        service.record_reference(payment.id, own_reference, gateway.deadline_seconds,
                                 INITIATE_JOB_TIMEOUT if gateway.initiate_blocks else 30)
        db.session.commit()
    request = PaymentRequest(
        payment_id=payment.id, method=payment.method, amount=payment.amount,
        currency=payment.currency, phone=payment.phone,
        description=checkout.description or checkout.order_id,
        return_url=_return_url(checkout.id, payment.id),
        cancel_url=_return_url(checkout.id, payment.id),
        customer_name=(checkout.customer or {}).get("name"),
        customer_email=(checkout.customer or {}).get("email"),
        merchant_name=db.session.get(Merchant, checkout.merchant_id).name)
    context = account_context(account)
    # No transaction across the provider call: it may take seconds (minutes for a call
    # that blocks), and would hold a pooled connection (on SQLite, the write lock).
    db.session.commit()
    try:
        with metrics.provider_call(gateway.name, "initiate", payment.id):
            result = gateway.initiate(context, request)
    except GatewayUnavailable as exc:
        if exc.outcome_unknown:
            # The provider may have acted: keep the attempt pending; its notification
            # (matched on our payment id) or the deadline will settle it.
            log.warning("initiate outcome unknown", extra={"payment": payment_id})
            service.log_event(payment.checkout_id, payment.id, "initiate_outcome_unknown",
                              "gateway", PaymentStatus.PENDING, PaymentStatus.PENDING,
                              {"error": str(exc)})
            # The call is over: poll now by our own reference when there is one (the
            # lease written before a blocking call ends here), else wait for the deadline.
            first = gateway.poll_schedule[0] if gateway.poll_schedule and \
                payment.provider_reference else None
            service.record_initiation(payment.id, _pending(), gateway.deadline_seconds, first)
            db.session.commit()
            return payment
        service.fail_attempt(payment.id, exc.code, exc.message or str(exc), "gateway")
        db.session.commit()
        return payment
    except GatewayError as exc:
        service.fail_attempt(payment.id, exc.code, exc.message or str(exc), "gateway")
        db.session.commit()
        return payment
    first_poll = gateway.poll_schedule[0] if gateway.poll_schedule else None
    # The pollers pick the attempt up when ``next_poll_at`` comes (jobs.payments).
    service.record_initiation(payment.id, result, gateway.deadline_seconds, first_poll)
    db.session.commit()
    return payment


def _pending():
    return GatewayResult(status=Report.PENDING)


def _return_url(checkout_id, payment_id):
    base = current_app.config["CHECKOUT_PUBLIC_URL"]
    return f"{base}/c/{checkout_id}/return?payment={payment_id}"


def submit_step(payment_id: str, data: dict[str, str]) -> Payment:
    """Send the shopper's answer to the step the provider asked for (an OTP) and record
    what the provider says next. Commits; no transaction is held across the call.
    Raises PaymentStateError when the attempt is not waiting for a step, and the
    adapter's GatewayError (or GatewayDeclined when the provider answers that it still
    waits for a valid code) when the answer is refused: the attempt stays as it was and
    the shopper may type the code again."""
    payment = db.session.get(Payment, payment_id)
    if payment is None or payment.status != PaymentStatus.PENDING or \
            (payment.next_action or {}).get("type") != "otp":
        raise PaymentStateError("no_step_expected", "This payment is not waiting for a code.")
    gateway = get_gateway(payment.gateway)
    context = account_context(db.session.get(GatewayAccount, payment.gateway_account_id))
    reference = payment.provider_reference
    db.session.commit()
    with metrics.provider_call(gateway.name, "step", payment_id):
        result = gateway.submit_step(context, reference, data)
    if result.status == Report.PENDING and result.failure_code and \
            result.next_action is not None and result.next_action.type == "otp":
        # The provider still waits for a code: this one was refused (a typo, an old code).
        raise GatewayDeclined(result.failure_message or "The code was refused.",
                              code=result.failure_code)
    if result.status == Report.FAILED:
        service.apply_result(payment_id, result, "shopper")
    else:
        service.record_step(payment_id, result)
    db.session.commit()
    return db.session.get(Payment, payment_id)

