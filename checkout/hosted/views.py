"""The method picker and the shopper's actions: pay, try again, choose another way."""
from flask import abort, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_wtf.csrf import CSRFError, generate_csrf

from checkout.checkouts.context import merchant_context
from checkout.extensions import db
from checkout.observability import health
from checkout.payments import service
from checkout.payments.flow import start_payment
from checkout.payments.offers import offers_for
from checkout.payments.service import PaymentStateError
from checkout.payments.state import PaymentStatus

from . import choices
from .blueprint import bp
from .forms import ActionForm, BlankPayForm, PayForm
from .pages import CASH, CHOOSE, FAILED, OTP, REDIRECT, WAITING, load_page, method_of
from .progress import leave_url, render_progress
from .reasons import START_ERRORS, failure_text, phone_busy_text


@bp.get("/c/<checkout_id>")
def picker(checkout_id):
    """The checkout page: who is paid, how much, and the ways to pay."""
    page = load_page(checkout_id)
    if page.state in (WAITING, REDIRECT, CASH, OTP):
        return redirect(url_for(".wait", checkout_id=checkout_id), 303)
    if page.state not in (CHOOSE, FAILED):
        return render_progress(page)
    notice = failure_text(page.payment) if page.state == FAILED else None
    return render_first_view(page, notice)


@bp.post("/c/<checkout_id>/pay")
def pay(checkout_id):
    """Start an attempt with the chosen method and number, then show its next step."""
    page = load_page(checkout_id)
    if page.state not in (CHOOSE, FAILED):
        # Paid, expired, or an attempt already running (a second click): show that.
        return redirect(url_for(".picker", checkout_id=checkout_id), 303)
    offers = offers_for(page.checkout)
    form = PayForm()
    country = choices.phone_country(page.checkout, page.merchant, offers)
    cleaned = form.clean(offers, country, email_known=_email_known(page.checkout))
    if cleaned is None:
        return render_picker(page, form, offers=offers, status=400)
    method, phone, email = cleaned
    return _start(page, form, offers, method.code, phone, email)


@bp.post("/c/<checkout_id>/retry")
def retry(checkout_id):
    """Try the failed attempt's method and number once more."""
    page = load_page(checkout_id)
    if page.state != FAILED or not ActionForm().validate_on_submit():
        return redirect(url_for(".picker", checkout_id=checkout_id), 303)
    return _start(page, PayForm(formdata=None), None, page.payment.method, page.payment.phone)


@bp.post("/c/<checkout_id>/switch")
def switch(checkout_id):
    """Give up the pending attempt (if any) and go back to the picker."""
    page = load_page(checkout_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    if page.payment is not None and page.payment.status == PaymentStatus.PENDING:
        service.abandon_attempt(page.payment.id, "shopper", reason="shopper_switched")
        db.session.commit()
    return redirect(url_for(".picker", checkout_id=checkout_id), 303)


def _email_known(checkout):
    return bool((checkout.customer or {}).get("email"))


def _start(page, form, offers, method_code, phone, email=None):
    try:
        payment = start_payment(page.checkout.id, method_code, phone, email=email)
    except PaymentStateError as exc:
        db.session.rollback()
        if exc.code == "phone_busy":
            form.phone.errors = [phone_busy_text(exc.minutes)]
            return render_picker(page, form, offers=offers, status=429)
        if exc.code not in START_ERRORS:
            # The checkout moved on (paid, expired, an attempt running): show where it is.
            return redirect(url_for(".picker", checkout_id=page.checkout.id), 303)
        form.method.errors = [str(START_ERRORS[exc.code])]
        return render_picker(page, form, offers=offers,
                             status=429 if exc.code == "too_many_attempts" else 409)
    action = payment.next_action or {}
    url = action.get("url") or ""
    if payment.status == PaymentStatus.PENDING and action.get("type") == "redirect" and \
            url.startswith(("https://", "http://")):
        return redirect(url, 303)
    return redirect(url_for(".wait", checkout_id=page.checkout.id), 303)


# First views of the picker, rendered once per (checkout state, language, settings) and
# kept per process; only the CSRF token differs between shoppers. Bounded in size.
_first_views: dict = {}
_TOKEN_SLOT = "\x00csrf\x00"


def render_first_view(page, notice):
    """The picker as a first view (no form data, no errors), from the per-process cache
    when this exact state was rendered before: rendering is most of this page's cost."""
    checkout, payment = page.checkout, page.payment
    ctx = merchant_context(checkout.merchant_id, checkout.livemode,
                           cache_key=page.merchant.public_id)
    key = (checkout.id, checkout.status, checkout.updated_at, page.state,
           (payment.id, payment.status, payment.failure_code) if payment else None,
           str(get_locale()), request.query_string, page.merchant.name,
           tuple((a.id, tuple(a.methods)) for a in ctx.accounts))
    html = _first_views.get(key)
    if html is None:
        html, _status = render_picker(page, BlankPayForm(token=_TOKEN_SLOT), notice=notice,
                                      offers=offers_for(checkout, accounts=ctx.accounts))
        if len(_first_views) >= 512:
            _first_views.clear()
        _first_views[key] = html
    return html.replace(_TOKEN_SLOT, generate_csrf()), 200


def render_picker(page, form, offers=None, notice=None, status=200):
    checkout, merchant = page.checkout, page.merchant
    if offers is None:
        # For display, the merchant's accounts may be a few seconds old; paying
        # (flow.start_payment) always checks the method against fresh ones.
        ctx = merchant_context(checkout.merchant_id, checkout.livemode,
                               cache_key=merchant.public_id)
        offers = offers_for(checkout, accounts=ctx.accounts)
    country = choices.phone_country(checkout, merchant, offers)
    selected = form.method.data if form.method.data else (
        choices.preselected(checkout.customer, country, offers))
    if not selected and len(offers) == 1:
        selected = offers[0].method.code
    last = method_of(page.payment) if page.state == FAILED else None
    html = render_template(
        "hosted/pay.html", page=page, c=checkout, merchant=merchant, amount=page.amount,
        form=form, groups=choices.group_offers(offers, country, _troubled(offers)),
        selected=selected,
        needs_phone=any(o.method.needs_phone for o in offers),
        needs_email=any(o.method.needs_email for o in offers) and not _email_known(checkout),
        country=country, country_name=choices.country_name(country) if country else None,
        calling_code=choices.calling_code(country), example=choices.example_number(country),
        prefixes=choices.prefix_map(country, offers), notice=notice,
        last_method=choices.to_choice(last).label if last else None,
        leave_url=leave_url(page))
    return html, status


def _troubled(offers):
    """The operators of these offers that are failing right now."""
    operators = {o.method.operator_key for o in offers if o.method.kind == "mobile_money"}
    return health.troubled(operators) if operators else frozenset()


@bp.errorhandler(CSRFError)
def _csrf_error(_exc):
    checkout_id = (request.view_args or {}).get("checkout_id")
    back = url_for(".picker", checkout_id=checkout_id) if checkout_id else None
    return render_template("errors/error.html", code=400, back_url=back), 400
