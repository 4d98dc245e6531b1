"""The method picker's content: offers grouped for display, the phone country, the
operator of a number and the method it selects."""
from dataclasses import dataclass, field
from functools import lru_cache

import phonenumbers
from babel import Locale
from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from checkout.core import phones

from .pages import locale_code

KIND_ORDER = ("mobile_money", "card", "cash")
KIND_NAMES = {"mobile_money": _l("Mobile money"), "card": _l("Card"),
              "cash": _l("Cash")}
# A cash method is named in words (a translation), not by a brand.
CASH_LABEL = _l("Cash on delivery")
# Method code prefix -> the short mark drawn on its badge (brand colours in the CSS).
_BADGES = {"mtn": "MTN", "moov": "Moov", "orange": "Or", "wave": "W", "celtiis": "Ce",
           "coris": "Co", "togocom": "T", "free": "Fr", "mobicash": "Mc", "mpesa": "M",
           "safaricom": "M", "telecel": "Te", "airtel": "Ai"}


@dataclass(frozen=True)
class Choice:
    code: str
    label: str
    badge: str          # text on the badge
    badge_class: str    # CSS class of the badge colours
    needs_phone: bool
    trouble: str | None = None   # its operator is failing right now (observability.health)


@dataclass
class Group:
    kind: str           # a method kind, or "elsewhere": other countries' mobile money
    title: str
    choices: list
    country: str | None = None
    subgroups: list = field(default_factory=list)   # "elsewhere": one Group per country

    def codes(self):
        return [c.code for c in self.choices] + [c for g in self.subgroups for c in g.codes()]


def operator_key(method):
    """The operator of a method: what it says, else the start of its code (``mtn_bj``)."""
    return method.operator_key


def to_choice(method, troubled=frozenset()):
    key = operator_key(method)
    if method.kind == "cash":
        badge, css = "", "b-cash"
    else:
        badge, css = _BADGES.get(key, method.label[:2]), f"b-{key}"
    label = CASH_LABEL if method.kind == "cash" else method.label
    trouble = None
    if method.kind == "mobile_money" and key in troubled:
        trouble = gettext("%(method)s is having trouble right now; another way to pay may "
                          "be faster.", method=method.label)
    return Choice(method.code, str(label), badge, css, method.needs_phone, trouble)


def country_name(country):
    try:
        return Locale.parse(locale_code()).territories.get(country, country)
    except (ValueError, TypeError):
        return country


def phone_country(checkout, merchant, offers):
    """The country the phone field is for: the checkout's, the merchant's, else the only
    country among the offered methods (None when they span several)."""
    if checkout.country or merchant.country:
        return checkout.country or merchant.country
    countries = {o.method.country for o in offers if o.method.country}
    return countries.pop() if len(countries) == 1 else None


def group_offers(offers, country, troubled=frozenset()):
    """Groups for display, by kind: mobile money of ``country`` (and country-less
    methods) first; the mobile money of other countries folded into one "elsewhere"
    group right after it (one subgroup per country); then cards, then cash. Methods of
    a ``troubled`` operator say so and come last in their group."""
    main = {kind: [] for kind in KIND_ORDER}
    others = {}
    ordered = sorted(offers, key=lambda o: operator_key(o.method) in troubled)
    for offer in ordered:
        m = offer.method
        if country and m.country and m.country != country:
            others.setdefault(m.country, []).append(to_choice(m, troubled))
        else:
            main.setdefault(m.kind, []).append(to_choice(m, troubled))
    groups = [Group(kind, str(KIND_NAMES.get(kind, kind)), items)
              for kind, items in main.items() if items]
    if others:
        elsewhere = Group("elsewhere", "", [], subgroups=[
            Group("mobile_money", country_name(c), items, country=c)
            for c, items in sorted(others.items(), key=lambda kv: country_name(kv[0]))])
        at = 1 if groups and groups[0].kind == "mobile_money" else 0
        groups.insert(at, elsewhere)
    return groups


def method_for_number(e164, offers):
    """The offered method of the operator a number belongs to, or None."""
    operator = phones.guess_operator(e164)
    if operator is None:
        return None
    region = phonenumbers.region_code_for_number(phonenumbers.parse(e164))
    for offer in offers:
        m = offer.method
        if operator_key(m) == operator and m.needs_phone and m.country in (None, region):
            return m.code
    return None


def preselected(customer, country, offers):
    """The method picked for the shopper from the merchant's customer phone, if any."""
    raw = (customer or {}).get("phone")
    if not raw or not isinstance(raw, str):
        return None
    try:
        e164 = phones.normalize(raw, country)
    except phones.PhoneError:
        return None
    return method_for_number(e164, offers)


def prefix_map(country, offers):
    """``{method code: "prefix prefix ..."}``: national-number prefixes of ``country``
    that select each offered method, for the page's script to pre-select as the shopper
    types (the server decides again on submit)."""
    if not country:
        return {}
    by_operator = _operator_prefixes(country)
    out = {}
    for offer in offers:
        m = offer.method
        if m.needs_phone and m.country in (None, country):
            prefixes = by_operator.get(operator_key(m))
            if prefixes and m.code not in out:
                out[m.code] = " ".join(prefixes)
    return out


@lru_cache(maxsize=64)
def _operator_prefixes(country):
    """Probe the numbering plan: which leading digits of a national number belong to
    which operator (Benin: four digits, ``01`` + two; elsewhere two)."""
    example = phonenumbers.example_number_for_type(country, phonenumbers.PhoneNumberType.MOBILE)
    if example is None:
        return {}
    cc = example.country_code
    nsn = phonenumbers.national_significant_number(example)
    lead = "01" if country == "BJ" else ""
    out = {}
    for i in range(100):
        prefix = f"{lead}{i:02d}"
        candidate = f"+{cc}{prefix}{nsn[len(prefix):]}"
        operator = phones.guess_operator(candidate)
        if operator:
            out.setdefault(operator, []).append(prefix)
    return out


def calling_code(country):
    return phonenumbers.country_code_for_region(country) if country else None


def example_number(country):
    """A national-format example mobile number for the field's hint."""
    example = phonenumbers.example_number_for_type(country, phonenumbers.PhoneNumberType.MOBILE) \
        if country else None
    if example is None:
        return None
    return phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.NATIONAL)
