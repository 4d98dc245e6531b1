"""Phone numbers: validation and E.164 normalisation per country (phonenumbers),
operator guess from the prefix, and masking for every output and log line."""
import re

import phonenumbers
from phonenumbers import carrier

# Benin's operator prefixes (the national 10-digit "01XX..." plan; providers.md 1.8).
_BJ_PREFIXES = {
    "mtn": "42 46 50 51 52 53 54 56 57 59 61 62 66 67 69 90 91 92 93 96 97",
    "moov": "45 55 58 60 63 64 65 68 94 95 98 99",
    "celtiis": "40 41 43 44 47",
}
_BJ_OPERATOR = {f"01{p}": op for op, ps in _BJ_PREFIXES.items() for p in ps.split()}
# phonenumbers' carrier names, to our operator keys.
_CARRIERS = {"mtn": "mtn", "moov": "moov", "orange": "orange", "free": "free",
             "expresso": "expresso", "safaricom": "safaricom", "airtel": "airtel",
             "vodacom": "vodacom", "togo telecom": "togocom", "togocom": "togocom", "mcel": "tmcel",
             "celtiis": "celtiis", "telecel": "telecel", "movitel": "movitel", "tmcel": "tmcel"}


# Every operator key guess_operator may answer: a method whose operator is one of these is
# tied to that network's numbers (a wallet such as Wave is not: any number may hold one).
CARRIER_OPERATORS = frozenset(_CARRIERS.values()) | frozenset(_BJ_PREFIXES)


class PhoneError(ValueError):
    """A number that cannot be a mobile number of that country."""

    code = "phone_invalid"


def normalize(raw, country):
    """Return the E.164 form (``+2290190000001``) of ``raw`` read as a number of
    ``country``; raises PhoneError if it is not a valid number there. Benin's pre-2024
    8-digit numbers are upgraded by inserting ``01``."""
    if not raw or not isinstance(raw, str) or len(raw) > 32:
        raise PhoneError("Enter a phone number.")
    cleaned = re.sub(r"[\s.\-()/]", "", raw)
    if cleaned.startswith("00"):
        cleaned = "+" + cleaned[2:]
    if country == "BJ":
        national = cleaned[4:] if cleaned.startswith("+229") else cleaned
        if national.startswith("229") and len(national) in (11, 13):
            national = national[3:]
        if re.fullmatch(r"\d{8}", national):
            national = "01" + national
        cleaned = "+229" + national if not cleaned.startswith("+") or cleaned.startswith("+229") \
            else cleaned
    try:
        parsed = phonenumbers.parse(cleaned, country)
    except phonenumbers.NumberParseException:
        raise PhoneError("This is not a phone number.") from None
    if not phonenumbers.is_valid_number(parsed):
        raise PhoneError("This number is not valid.")
    if country and phonenumbers.region_code_for_number(parsed) != country:
        raise PhoneError("This number is not from the selected country.")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def guess_operator(e164):
    """Our operator key for a number ("mtn", "moov", "orange"...), or None."""
    if e164.startswith("+229") and len(e164) == 14:
        return _BJ_OPERATOR.get(e164[4:8])
    try:
        name = carrier.name_for_number(phonenumbers.parse(e164), "en").lower()
    except phonenumbers.NumberParseException:
        return None
    for key, op in _CARRIERS.items():
        if key in name:
            return op
    return None


def mask_phone(e164):
    """``+2290190000001`` -> ``+229 01 90 ** ** 01``: the operator prefix and the last two
    digits stay readable, the rest is hidden. None stays None."""
    if not e164:
        return None
    try:
        parsed = phonenumbers.parse(e164)
        text = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
        cc = f"+{parsed.country_code}"
    except phonenumbers.NumberParseException:
        return "*" * 6 + e164[-2:]
    rest = text[len(cc):]
    digits = [i for i, ch in enumerate(rest) if ch.isdigit()]
    hidden = set(digits[4:-2])
    return cc + "".join("*" if i in hidden else ch for i, ch in enumerate(rest))
