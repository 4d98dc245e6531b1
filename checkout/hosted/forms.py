"""The shopper's forms: the method picker, and bare CSRF-protected action buttons."""
import re

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup, escape
from wtforms import RadioField, StringField

from checkout.core import phones

_EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s]+\.[^@\s.]{2,}")


def _strip(value):
    return value.strip()[:254] if isinstance(value, str) else value


class PayForm(FlaskForm):
    """One way to pay, a phone number and an email address. They are checked against
    the checkout's offers in ``clean``: the phone's country depends on the method
    chosen, and only a method that needs them needs them."""

    method = RadioField(validate_choice=False)
    phone = StringField(filters=[lambda v: v.strip()[:64] if isinstance(v, str) else v])
    email = StringField(filters=[_strip])

    def clean(self, offers, default_country, email_known=False):
        """``(method, phone_e164, email)`` when the form is complete, else None with
        errors on the fields. ``offers``: the checkout's offers; the number is read in
        the method's country, else ``default_country``; ``email_known``: the merchant
        gave the shopper's email, so none is asked."""
        if not self.validate_on_submit():   # the CSRF token (CSRFProtect checked it too)
            return None
        method = next((o.method for o in offers if o.method.code == self.method.data), None)
        if method is None:
            self.method.errors = [str(_l("Choose a way to pay."))]
            return None
        email = None
        if method.needs_email and not email_known:
            email = self.email.data or ""
            if not _EMAIL.fullmatch(email):
                self.email.errors = [str(_l("Enter your email address, for example "
                                            "name@example.com: this way to pay needs it."))]
                return None
        if not method.needs_phone:
            return method, None, email
        raw = self.phone.data or ""
        try:
            e164 = phones.normalize(raw, method.country or default_country)
        except phones.PhoneError as exc:
            self.phone.errors = [phone_message(raw, exc)]
            return None
        owner = phones.guess_operator(e164)
        if method.operator_key in phones.CARRIER_OPERATORS and owner and \
                owner != method.operator_key:
            # A number of another network: no push could reach it (a ported number is
            # refused too; the prefix is all we know).
            self.phone.errors = [str(_l("This number is not on %(method)s. Check the number, "
                                        "or choose the way to pay of its network.",
                                        method=method.label))]
            return None
        return method, e164, email


def phone_message(raw, exc):
    """A translated, specific reason a number was refused."""
    if not raw.strip():
        return str(_l("Enter your mobile money number."))
    text = str(exc)
    if "country" in text:
        return str(_l("This number is not from the country of this way to pay. "
                      "Check the country code."))
    if "not a phone number" in text:
        return str(_l("This is not a phone number. Type only the digits of your number."))
    return str(_l("This number is not valid. Check that no digit is missing or extra."))


class ActionForm(FlaskForm):
    """A button that changes something (switch method, try again): a CSRF token only."""


class OtpForm(FlaskForm):
    """The code a provider sent the shopper (a voucher, a one-time password)."""

    code = StringField(filters=[lambda v: "".join(v.split())[:12] if isinstance(v, str) else v])

    def clean(self):
        """The code when the form is complete, else None with an error on the field."""
        if not self.validate_on_submit():
            return None
        if not (self.code.data or "").isalnum():
            self.code.errors = [str(_l("Type the code you received."))]
            return None
        return self.code.data


class _BlankField:
    data = None
    errors = ()


class BlankPayForm:
    """What the picker template reads of a PayForm, for a first view (GET): the same
    CSRF field, no data, no errors — without building WTForms fields on the hottest
    page (a third of its render time)."""

    method = phone = email = _BlankField()

    def __init__(self, token=None):
        self._token = token    # a slot the caller fills in later, else a fresh token

    @property
    def csrf_token(self):
        token = escape(self._token or generate_csrf())
        return Markup(f'<input id="csrf_token" name="csrf_token" type="hidden" value="{token}">')
