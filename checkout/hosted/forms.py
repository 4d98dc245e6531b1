"""The shopper's forms: the method picker, and bare CSRF-protected action buttons."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup, escape
from wtforms import RadioField, StringField

from checkout.core import phones


class PayForm(FlaskForm):
    """One way to pay and one phone number. Both are checked against the checkout's
    offers in ``clean``: the phone's country depends on the method chosen."""

    method = RadioField(validate_choice=False)
    phone = StringField(filters=[lambda v: v.strip()[:64] if isinstance(v, str) else v])

    def clean(self, offers, default_country):
        """``(method, phone_e164)`` when the form is complete, else None with errors
        on the fields. ``offers``: the checkout's offers; the number is read in the
        method's country, else ``default_country``."""
        if not self.validate_on_submit():   # the CSRF token (CSRFProtect checked it too)
            return None
        method = next((o.method for o in offers if o.method.code == self.method.data), None)
        if method is None:
            self.method.errors = [str(_l("Choose a way to pay."))]
            return None
        if not method.needs_phone:
            return method, None
        raw = self.phone.data or ""
        try:
            return method, phones.normalize(raw, method.country or default_country)
        except phones.PhoneError as exc:
            self.phone.errors = [phone_message(raw, exc)]
            return None


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


class _BlankField:
    data = None
    errors = ()


class BlankPayForm:
    """What the picker template reads of a PayForm, for a first view (GET): the same
    CSRF field, no data, no errors — without building WTForms fields on the hottest
    page (a third of its render time)."""

    method = phone = _BlankField()

    def __init__(self, token=None):
        self._token = token    # a slot the caller fills in later, else a fresh token

    @property
    def csrf_token(self):
        token = escape(self._token or generate_csrf())
        return Markup(f'<input id="csrf_token" name="csrf_token" type="hidden" value="{token}">')
