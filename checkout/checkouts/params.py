"""Input rules of checkout creation: JSON-typed values in, a NewCheckout or a
CheckoutInputError (api.md error ``code`` and ``param``) out."""
import difflib
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from phonenumbers import SUPPORTED_REGIONS

from checkout.core.money import MoneyError, validate_amount
from checkout.core.phones import PhoneError, normalize
from checkout.gateways import all_methods
from checkout.payments.offers import method_fits, offers_for

FIELDS = ("order_id", "amount", "currency", "description", "country", "customer", "methods",
          "return_url", "cancel_url", "expires_in", "metadata", "locale")
CUSTOMER_FIELDS = ("name", "email", "phone")
EXPIRES_MIN, EXPIRES_MAX, EXPIRES_DEFAULT = 300, 7 * 24 * 3600, 30 * 60
METADATA_MAX_KEYS, METADATA_KEY_MAX, METADATA_VALUE_MAX = 20, 40, 500
LOCALES = ("en", "fr", "pt", "sw")
_URL_FORBIDDEN = re.compile(r"[\s\\\x00-\x1f\x7f]")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_CONTROL_BUT_LINES = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


class CheckoutInputError(ValueError):
    """Input that cannot make a checkout. ``code``/``param`` follow api.md's error format."""

    def __init__(self, code, message, param=None):
        super().__init__(message)
        self.code, self.message, self.param = code, message, param


@dataclass(frozen=True)
class NewCheckout:
    """Validated creation input (amounts in minor units, phone in E.164)."""

    order_id: str
    amount: int
    currency: str
    return_url: str
    description: str | None = None
    country: str | None = None
    customer: dict | None = None
    methods: list | None = None
    cancel_url: str | None = None
    expires_in: int = EXPIRES_DEFAULT
    metadata: dict | None = None
    locale: str | None = None


def parse(data, ctx):
    """Validate a creation request (a dict of JSON values) for ``ctx``'s merchant and mode.
    Returns a NewCheckout; raises CheckoutInputError naming the faulty ``param``."""
    for name in data:
        if name not in FIELDS:
            raise CheckoutInputError("parameter_unknown", _unknown_message(name, FIELDS), name)
    order_id = _string(data, "order_id", 64, required=True)
    currency = data.get("currency")
    if currency is None:
        raise _missing("currency")
    try:
        money = validate_amount(_required(data, "amount"), currency)
    except MoneyError as exc:
        param = "currency" if exc.code == "currency_not_supported" else "amount"
        raise CheckoutInputError(exc.code, str(exc), param) from exc
    country = data.get("country")
    if country is not None:
        if not isinstance(country, str) or country.upper() not in SUPPORTED_REGIONS:
            raise CheckoutInputError("parameter_invalid",
                                     "country must be an ISO 3166-1 alpha-2 code such as 'BJ'.",
                                     "country")
        country = country.upper()
    expires_in = data.get("expires_in", EXPIRES_DEFAULT)
    if expires_in is None:
        expires_in = EXPIRES_DEFAULT
    if isinstance(expires_in, bool) or not isinstance(expires_in, int) or \
            not EXPIRES_MIN <= expires_in <= EXPIRES_MAX:
        raise CheckoutInputError("parameter_invalid", f"expires_in must be an integer number of "
                                 f"seconds from {EXPIRES_MIN} to {EXPIRES_MAX}.", "expires_in")
    locale = data.get("locale")
    if locale is not None and locale not in LOCALES:
        raise CheckoutInputError("parameter_invalid",
                                 f"locale must be one of {', '.join(LOCALES)}.", "locale")
    new = NewCheckout(
        order_id=order_id, amount=money.amount, currency=currency,
        description=_string(data, "description", 500, multiline=True),
        country=country, customer=_customer(data.get("customer"), country),
        methods=_methods(data.get("methods")),
        return_url=_url(data, "return_url", ctx, required=True),
        cancel_url=_url(data, "cancel_url", ctx), expires_in=expires_in,
        metadata=_metadata(data.get("metadata")), locale=locale)
    check_methods(new, ctx)
    return new


def check_methods(new, ctx):
    """Every requested method must be known, enabled and take the currency (and country);
    at least one way to pay must remain for the amount. Raises CheckoutInputError."""
    catalog = all_methods()
    enabled = {code for a in ctx.accounts for code in a.methods
               if code in catalog and catalog[code].gateway == a.gateway}
    mode = "live" if ctx.livemode else "test"
    for code in new.methods or ():
        method = catalog.get(code)
        if method is None:
            raise CheckoutInputError("method_unknown", f"Unknown method {code!r}.", "methods")
        if code not in enabled:
            raise CheckoutInputError("method_unavailable", f"{code} is not enabled for your "
                                     f"account in {mode} mode.", "methods")
        if method.currencies and new.currency not in method.currencies:
            raise CheckoutInputError("method_unavailable", f"{code} does not take "
                                     f"{new.currency} (only {', '.join(method.currencies)}).",
                                     "methods")
        if new.country and method.country and method.country != new.country:
            raise CheckoutInputError("method_unavailable",
                                     f"{code} is not offered in {new.country}.", "methods")
    if offers_for(new, accounts=ctx.accounts):
        return
    pool = [catalog[c] for c in (new.methods or enabled)]
    which = "requested" if new.methods else "available"
    fitting = [m for m in pool if method_fits(m, new.currency, m.min_amount, new.country)]
    if fitting and all(new.amount < m.min_amount for m in fitting):
        low = min(m.min_amount for m in fitting)
        raise CheckoutInputError("amount_below_minimum", f"The smallest amount the {which} "
                                 f"ways to pay accept is {low} {new.currency}.", "amount")
    if fitting and all(m.max_amount and new.amount > m.max_amount for m in fitting):
        high = max(m.max_amount for m in fitting)
        raise CheckoutInputError("amount_above_maximum", f"The largest amount the {which} "
                                 f"ways to pay accept is {high} {new.currency}.", "amount")
    raise CheckoutInputError(
        "no_method_available", f"No enabled way to pay takes {new.amount} {new.currency}"
        + (f" in {new.country}" if new.country else "") + f" ({mode} mode).",
        "methods" if new.methods else "currency")


def _missing(param):
    return CheckoutInputError("parameter_missing", f"{param} is required.", param)


def _required(data, name):
    value = data.get(name)
    if value is None:
        raise _missing(name)
    return value


def _string(data, name, max_len, required=False, param=None, multiline=False):
    value = data.get(name)
    param = param or name
    if value is None:
        if required:
            raise _missing(param)
        return None
    if not isinstance(value, str) or (required and not value.strip()) or len(value) > max_len \
            or (_CONTROL_BUT_LINES if multiline else _CONTROL).search(value):
        raise CheckoutInputError("parameter_invalid", f"{param} must be a string of at most "
                                 f"{max_len} printable characters"
                                 + (", not empty." if required else "."), param)
    return value


def _customer(value, country):
    if value is None:
        return None
    if not isinstance(value, dict):
        raise CheckoutInputError("parameter_invalid", "customer must be an object with name, "
                                 "email and phone.", "customer")
    for name in value:
        if name not in CUSTOMER_FIELDS:
            raise CheckoutInputError("parameter_unknown",
                                     _unknown_message(name, CUSTOMER_FIELDS, "customer."),
                                     f"customer.{name}")
    out = {}
    name = _string(value, "name", 200, param="customer.name")
    if name:
        out["name"] = name
    email = _string(value, "email", 254, param="customer.email")
    if email:
        if not _EMAIL.fullmatch(email):
            raise CheckoutInputError("parameter_invalid", "customer.email is not an email "
                                     "address.", "customer.email")
        out["email"] = email
    phone = value.get("phone")
    if phone is not None:
        try:
            out["phone"] = normalize(phone, country)
        except PhoneError as exc:
            hint = "" if country else " Without country, give it in international form (+229...)."
            raise CheckoutInputError("phone_invalid", f"customer.phone: {exc}{hint}",
                                     "customer.phone") from exc
    return out or None


def _methods(value):
    if value is None:
        return None
    if not isinstance(value, list) or not value or len(value) > 50 or \
            not all(isinstance(v, str) and v for v in value):
        raise CheckoutInputError("parameter_invalid", "methods must be a non-empty list of "
                                 "method codes such as ['mtn_bj'].", "methods")
    return list(dict.fromkeys(value))


def _url(data, name, ctx, required=False):
    value = data.get(name)
    if value is None:
        if required:
            raise _missing(name)
        return None
    schemes = ("https",) if ctx.livemode else ("https", "http")
    parts = None
    if isinstance(value, str) and len(value) <= 2000 and not _URL_FORBIDDEN.search(value):
        try:
            parts = urlsplit(value)
            parts.port  # noqa: B018  (raises ValueError for a port that is not a number)
        except ValueError:
            parts = None
    ok = parts is not None and parts.scheme in schemes and bool(parts.hostname) \
        and "@" not in parts.netloc
    if not ok:
        need = "https" if ctx.livemode else "http(s)"
        raise CheckoutInputError(f"{name}_invalid", f"{name} must be an absolute {need} URL "
                                 f"of at most 2000 characters.", name)
    if parts.hostname.lower() not in ctx.return_hosts:
        raise CheckoutInputError(f"{name}_not_allowed", f"{parts.hostname} is not one of your "
                                 f"allowed return hosts (dashboard, Settings).", name)
    return value


def _metadata(value):
    if value is None:
        return None
    if not isinstance(value, dict) or len(value) > METADATA_MAX_KEYS:
        raise CheckoutInputError("parameter_invalid", f"metadata must be an object of at most "
                                 f"{METADATA_MAX_KEYS} keys.", "metadata")
    for k, v in value.items():
        if not k or len(k) > METADATA_KEY_MAX or not isinstance(v, str) \
                or len(v) > METADATA_VALUE_MAX:
            raise CheckoutInputError(
                "parameter_invalid", f"metadata keys are 1 to {METADATA_KEY_MAX} characters and "
                f"values strings of at most {METADATA_VALUE_MAX}.", f"metadata.{k}"[:80])
    return dict(value)


def _unknown_message(name, known, prefix=""):
    close = difflib.get_close_matches(str(name), known, n=1)
    hint = f" Did you mean '{prefix}{close[0]}'?" if close else ""
    return f"Unknown parameter '{prefix}{name}'.{hint}"
