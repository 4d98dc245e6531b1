"""After the shopper chose: "approve on your phone" with live status, the outcome, and
the way back to the merchant (signed), or to its cancel page."""
import logging

from flask import jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from markupsafe import Markup
from redis.exceptions import RedisError

from checkout.core.phones import mask_phone
from checkout.extensions import db
from checkout.gateways.errors import GatewayError
from checkout.links.signing import signed_return_url
from checkout.merchants.accounts import link_secret
from checkout.models import Payment
from checkout.payments import flow, refresh
from checkout.payments.service import PaymentStateError
from checkout.payments.state import PaymentStatus
from checkout.redis_store import redis_connection

from . import choices
from .blueprint import bp
from .forms import ActionForm, OtpForm
from .pages import (
    CANCELED,
    CASH,
    CHOOSE,
    EXPIRED,
    FAILED,
    FINAL,
    OTP,
    PAID,
    REDIRECT,
    WAITING,
    load_page,
    method_of,
    plausible_id,
)
from .reasons import can_retry, failure_text

log = logging.getLogger(__name__)

TEMPLATES = {WAITING: "hosted/wait.html", REDIRECT: "hosted/wait.html", CASH: "hosted/cash.html",
             OTP: "hosted/otp.html",
             FAILED: "hosted/failed.html", PAID: "hosted/paid.html",
             EXPIRED: "hosted/closed.html", CANCELED: "hosted/closed.html"}


@bp.get("/c/<checkout_id>/wait")
def wait(checkout_id):
    """The attempt in progress, or how it ended."""
    page = load_page(checkout_id)
    if page.state == CHOOSE:
        return redirect(url_for(".picker", checkout_id=checkout_id), 303)
    return render_progress(page)


@bp.get("/c/<checkout_id>/status.json")
def status_json(checkout_id):
    """What the wait page's script polls: the statuses, and where the shopper belongs."""
    page = load_page(checkout_id)
    p = page.payment
    messages = {WAITING: _("Waiting for your approval…"), REDIRECT: _("Waiting for the payment…"),
                OTP: _("Type the code you received"),
                PAID: _("Payment received"), FAILED: _("The payment did not go through")}
    body = {
        "checkout": {"id": page.checkout.id, "status": page.checkout.status},
        "payment": None if p is None else {"id": p.id, "status": p.status,
                                           "failure_code": p.failure_code},
        "state": page.state,
        "final": page.state in FINAL,
        "next": url_for(".picker" if page.state == CHOOSE else ".wait", checkout_id=checkout_id),
        "message": messages.get(page.state, ""),
    }
    return jsonify(body)


@bp.post("/c/<checkout_id>/otp")
def otp(checkout_id):
    """The code the provider asked for: sent on, then the next step (approve on the
    phone, usually). A refused code shows the form again; the attempt goes on."""
    page = load_page(checkout_id)
    if page.state != OTP:
        return redirect(url_for(".wait", checkout_id=checkout_id), 303)
    form = OtpForm()
    code = form.clean()
    if code is not None:
        try:
            flow.submit_step(page.payment.id, {"otp": code})
            return redirect(url_for(".wait", checkout_id=checkout_id), 303)
        except PaymentStateError:
            db.session.rollback()
            return redirect(url_for(".wait", checkout_id=checkout_id), 303)
        except GatewayError as exc:
            db.session.rollback()
            log.info("code refused by the provider", extra={"payment": page.payment.id,
                                                            "code": exc.code})
            form.code.errors = [_("This code was not accepted. Check it and type it again.")]
    return render_progress(page, otp_form=form), 400


@bp.get("/c/<checkout_id>/return")
def provider_return(checkout_id):
    """Where a provider's page sends the shopper back. Proves nothing: ask the provider."""
    page = load_page(checkout_id)
    payment_id = request.args.get("payment", "")
    payment = db.session.get(Payment, payment_id) if plausible_id(payment_id, "pay_") else None
    if payment is not None and payment.checkout_id == page.checkout.id \
            and payment.status == PaymentStatus.PENDING and _first_return_in_a_while(payment.id):
        _refresh(payment.id)
    return redirect(url_for(".wait", checkout_id=checkout_id), 303)


@bp.get("/c/<checkout_id>/back")
def back(checkout_id):
    """Back to the merchant with the signed outcome (only once there is one to tell)."""
    page = load_page(checkout_id)
    if page.state not in FINAL + (CASH,) or not page.checkout.return_url:
        return redirect(url_for(".wait", checkout_id=checkout_id), 303)
    return redirect(signed_back_url(page), 303)


@bp.get("/c/<checkout_id>/leave")
def leave(checkout_id):
    """The shopper gives up: to the merchant's cancel page. The checkout stays open."""
    page = load_page(checkout_id)
    if page.state in FINAL:
        return redirect(url_for(".back", checkout_id=checkout_id), 303)
    if page.checkout.cancel_url:
        return redirect(page.checkout.cancel_url, 303)
    if page.checkout.return_url:
        return redirect(signed_back_url(page), 303)
    return redirect(url_for(".picker", checkout_id=checkout_id), 303)


def return_params(c):
    """What the return redirect tells the merchant, all of it signed (api.md "Back to the
    merchant"): which checkout and order, its status, for what amount, in which mode."""
    return {"checkout_id": c.id, "order_id": c.order_id, "status": str(c.status),
            "amount": str(c.amount), "currency": c.currency,
            "livemode": "true" if c.livemode else "false"}


def signed_back_url(page):
    c = page.checkout
    params = return_params(c)
    return signed_return_url(c.return_url, params, link_secret(page.merchant))


def leave_url(page):
    c = page.checkout
    if c.cancel_url or c.return_url:
        return url_for(".leave", checkout_id=c.id)
    return None


def render_progress(page, otp_form=None):
    """The page for an attempt under way or an outcome (every state but CHOOSE)."""
    p, c = page.payment, page.checkout
    method = method_of(p)
    phone = mask_phone(p.phone) if p is not None else None
    label = choices.to_choice(method).label if method else None
    return render_template(
        TEMPLATES[page.state], page=page, c=c, merchant=page.merchant, amount=page.amount,
        state=page.state, payment=p, method_label=label,
        phone=phone, phone_html=Markup('<strong class="nw">{}</strong>').format(phone),
        action=(p.next_action or {}) if p is not None else {},
        reason=failure_text(p) if page.state == FAILED else None,
        can_retry=page.state == FAILED and can_retry(p) and p.method is not None,
        form=ActionForm(formdata=None),
        otp_form=otp_form or OtpForm(formdata=None),
        back_url=url_for(".back", checkout_id=c.id) if c.return_url else None,
        leave_url=leave_url(page) if page.state not in FINAL else None)


RETURN_REFRESH_SECONDS = 5


def _first_return_in_a_while(payment_id):
    """At most one provider call per attempt every few seconds from this page: reloading
    it must not turn into a stream of status calls (polling carries on regardless)."""
    try:
        return bool(redis_connection().set(f"return-refresh:{payment_id}", 1, nx=True,
                                           ex=RETURN_REFRESH_SECONDS))
    except RedisError:
        return True


def _refresh(payment_id):
    """Ask the provider now; a failure only logs: polling and the provider's
    notification settle the attempt anyway."""
    try:
        refresh.refresh_payment(payment_id, "return")
        db.session.commit()
    except (GatewayError, LookupError) as exc:
        db.session.rollback()
        log.warning("refresh on return failed", extra={"payment": payment_id,
                                                        "error": type(exc).__name__})
