"""Signed checkout links: ``GET /pay/<merchant_public_id>?...&sig=...`` (api.md).

``sig`` signs every other query parameter (``signing``). A valid link creates the order's
checkout, or reuses it by the API's order rule (a checkout with a payment in progress for
the same amount is reused too, so a shopper who clicks again sees its status), and
redirects (303) to the hosted page. Shoppers get readable pages: 403 for a bad or expired
signature, 400 for bad parameters, 404 for an unknown merchant, 409 for a paid order.

Parameters: ``order_id``, ``amount`` (minor units), ``currency``, ``return_url`` (required);
``expires`` (Unix seconds), ``description``, ``cancel_url``, ``country``, ``customer_name``,
``customer_email``, ``customer_phone``, ``methods`` (comma-separated codes), ``expires_in``,
``locale``/``lang``, ``mode`` (``test``/``live``).

Every parameter is signed, ``mode`` included: a link without ``mode`` is a live link, and a
live link for a merchant with no live gateway yet is a clear error page, never a test-mode
checkout. A link whose checkout was replaced (the order got a newer checkout) is spent: it
cannot replace the newer one back (an older, cheaper link replayed).
"""
import re
import time

from flask import Blueprint, current_app, redirect, render_template, request
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from checkout import checkouts
from checkout.events.objects import checkout_url
from checkout.extensions import db
from checkout.merchants.accounts import link_secret
from checkout.models import Checkout, GatewayAccount, Merchant
from checkout.payments.state import CheckoutStatus

from .signing import SignatureError, verify

bp = Blueprint("links", __name__)

PARAMS = ("order_id", "amount", "currency", "return_url", "expires", "description",
          "cancel_url", "country", "customer_name", "customer_email", "customer_phone",
          "methods", "expires_in", "locale", "lang", "mode", "sig")
_DIGITS = re.compile(r"\d{1,18}")
ATTEMPTS = 5


@bp.get("/pay/<merchant_public_id>")
def pay(merchant_public_id):
    merchant = db.session.execute(
        db.select(Merchant).where(Merchant.public_id == merchant_public_id[:40])
    ).scalar_one_or_none()
    if merchant is None:
        return _page(404, _("Unknown shop"), _("This payment link does not belong to any shop. "
                                               "Check the link you were given."))
    args = request.args
    params = args.to_dict()
    try:
        if any(len(args.getlist(k)) > 1 for k in params):
            raise SignatureError("repeated parameter")
        verify(params, link_secret(merchant))
    except SignatureError:
        return _page(403, _("This payment link is not valid"),
                     _("The link was changed or is incomplete, so it cannot be used to pay. "
                       "Ask the shop for a new link."))
    expires = params.get("expires")
    if expires is not None and (not _DIGITS.fullmatch(expires) or int(expires) < time.time()):
        return _page(403, _("This payment link has expired"),
                     _("Ask the shop for a new link to pay for your order."))
    try:
        data, livemode = _checkout_input(params, merchant)
    except checkouts.CheckoutInputError as exc:
        return _page(400, _("This payment link cannot be used"),
                     _("The shop made a mistake in this link. Please tell the shop."),
                     detail=f"{exc.param}: {exc.message}" if exc.param else exc.message)
    if livemode and not (current_app.config["LIVE_MODE_ALLOWED"]
                         and _has_live_account(merchant.id)):
        return _page(409, _("This shop cannot take payments yet"),
                     _("The shop has not finished setting up its payments, so this link "
                       "cannot be paid. Please tell the shop."),
                     detail=_("No live payment method is set up for this shop."))
    if _spent(merchant.id, livemode, params["sig"], params.get("order_id")):
        return _page(409, _("This payment link was replaced"),
                     _("The shop sent a newer link for this order. Use the latest link the "
                       "shop gave you."))
    try:
        ctx, new = checkouts.prepare(data, merchant.id, livemode)
    except checkouts.CheckoutInputError as exc:
        return _page(400, _("This payment link cannot be used"),
                     _("The shop made a mistake in this link. Please tell the shop."),
                     detail=f"{exc.param}: {exc.message}" if exc.param else exc.message)
    for _attempt in range(ATTEMPTS):
        try:
            checkout, _created = checkouts.create_or_reuse(
                ctx, new, source="link", reuse_processing=True,
                link_signature=params["sig"].lower())
            checkout_id = checkout.id
            db.session.commit()
        except checkouts.OrderConflict as exc:
            db.session.rollback()
            if exc.code == "order_already_paid":
                return _page(409, _("This order is already paid"),
                             _("Nothing more to pay: the shop has received the payment for "
                               "this order."), back=new.return_url)
            return _page(409, _("A payment is in progress for this order"),
                         _("Approve or cancel it on your phone, then open the link again."))
        except IntegrityError as exc:
            db.session.rollback()
            if not checkouts.is_order_conflict(exc):
                raise
            continue
        response = redirect(checkout_url(checkout_id), 303)
        response.headers["Cache-Control"] = "no-store"
        return response
    return _page(409, _("Please try again"),
                 _("This order is being updated right now. Open the link again in a moment."))


def _checkout_input(params, merchant):
    """The link's parameters as the JSON-typed input of ``checkouts.parse``, and the mode."""
    unknown = [k for k in params if k not in PARAMS]
    if unknown:
        raise checkouts.CheckoutInputError("parameter_unknown",
                                           f"Unknown parameter '{unknown[0]}'.", unknown[0])
    mode = params.get("mode")
    if mode not in (None, "test", "live"):
        raise checkouts.CheckoutInputError("parameter_invalid", "mode is test or live.", "mode")
    livemode = mode != "test"
    data = {k: params[k] for k in ("order_id", "currency", "return_url", "description",
                                   "cancel_url", "country") if k in params}
    for name in ("amount", "expires_in"):
        if name in params:
            if not _DIGITS.fullmatch(params[name]):
                code = "amount_invalid" if name == "amount" else "parameter_invalid"
                raise checkouts.CheckoutInputError(code, f"{name} must be a whole number.", name)
            data[name] = int(params[name])
    customer = {k[len("customer_"):]: params[k] for k in params if k.startswith("customer_")}
    if customer:
        data["customer"] = customer
    if params.get("methods"):
        data["methods"] = params["methods"].split(",")
    locale = params.get("locale") or params.get("lang")
    if locale:
        data["locale"] = locale
    return data, livemode


def _spent(merchant_id, livemode, sig, order_id):
    """Whether this link made a checkout of the order that was since replaced (canceled
    for a newer one): then the link is no good any more."""
    return db.session.execute(
        db.select(Checkout.id).where(
            Checkout.merchant_id == merchant_id, Checkout.livemode == livemode,
            Checkout.order_id == (order_id or "")[:64],
            Checkout.link_signature == sig.lower(),
            Checkout.status == CheckoutStatus.CANCELED).limit(1)
    ).first() is not None


def _has_live_account(merchant_id):
    return db.session.execute(
        db.select(GatewayAccount.id).where(GatewayAccount.merchant_id == merchant_id,
                                           GatewayAccount.livemode.is_(True),
                                           GatewayAccount.enabled.is_(True)).limit(1)
    ).first() is not None


def _page(status, title, message, detail=None, back=None):
    html = render_template("links/error.html", title=title, message=message, detail=detail,
                           back=back, code=status)
    return html, status, {"Cache-Control": "no-store"}
