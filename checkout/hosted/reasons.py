"""Why an attempt failed, in plain words for the shopper (never the provider's text)."""
from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from checkout.payments.state import PaymentStatus

_NOT_ENOUGH = _l("There is not enough money on this mobile money account. Top it up and "
                 "try again, or choose another way to pay.")
_CANCELED = _l("The payment was canceled on the phone. If that was a mistake, try again.")
_UNKNOWN_NUMBER = _l("This number is not registered for mobile money with this operator. "
                     "Check the number, or choose the right operator.")
_NETWORK_DOWN = _l("The mobile money network is not available right now. Nothing was "
                   "taken from your account. Try again in a few minutes.")
_NOT_OFFERED = _l("This way to pay is not available for this shop right now. "
                  "Choose another way to pay.")
_TOO_LATE = _l("The payment was not approved in time. Nothing was taken from your "
               "account. Try again and approve it on your phone.")
_LIMITS = _l("This amount is above or below what this way to pay accepts. "
             "Choose another way to pay.")
_DECLINED = _l("The payment was refused, on the phone or by the operator. Try again, or "
               "choose another way to pay.")
_UNCONFIRMED = _l("We could not confirm this payment. If money was taken from your "
                  "account, contact the shop.")
_IN_PROGRESS = _l("A payment for this order is already in progress. Wait a moment, then "
                  "try again.")
_NEEDS_CODE = _l("This operator asks for a payment code, which this page cannot take yet. "
                 "Choose another way to pay.")
_GENERIC = _l("The payment did not go through. Try again, or choose another way to pay.")
_PHONE_BUSY = _l("A payment request is already open on this phone. Answer or cancel it, "
                 "wait about a minute, then try again.")
_UNREACHABLE = _l("Your phone could not be reached. Check that it is on and has signal, "
                  "then try again.")
_WRONG_PIN = _l("The PIN entered on the phone was wrong. Nothing was taken from your "
                "account. Try again with the right PIN.")
_REPEAT = _l("You just paid this amount from this number. If you mean to pay it again, "
             "wait two minutes and try again.")
_DAILY_LIMIT = _l("This payment would go over your daily mobile money limit. Choose "
                  "another way to pay, or try again tomorrow.")
_ACCOUNT_INACTIVE = _l("This mobile money account is not active. Contact your operator, "
                       "or choose another way to pay.")

REASONS = {
    "insufficient_funds": _NOT_ENOUGH, "low_balance": _NOT_ENOUGH,
    "canceled": _CANCELED, "cancelled": _CANCELED, "shopper_canceled": _CANCELED,
    "invalid_phone": _UNKNOWN_NUMBER, "payer_not_found": _UNKNOWN_NUMBER,
    "phone_invalid": _UNKNOWN_NUMBER, "number_not_registered": _UNKNOWN_NUMBER,
    "operator_unavailable": _NETWORK_DOWN, "provider_maintenance": _NETWORK_DOWN,
    "provider_timeout": _NETWORK_DOWN, "provider_error": _NETWORK_DOWN,
    "gateway_unavailable": _NETWORK_DOWN, "rate_limited": _NETWORK_DOWN,
    "invalid_response": _NETWORK_DOWN, "network_unavailable": _NETWORK_DOWN,
    "network_not_enabled": _NOT_OFFERED, "not_supported": _NOT_OFFERED,
    "gateway_auth_failed": _NOT_OFFERED, "ip_not_allowed": _NOT_OFFERED,
    "shop_not_configured": _NOT_OFFERED,
    "expired": _TOO_LATE, "abandoned": _TOO_LATE, "deadline": _TOO_LATE,
    "deadline_passed": _TOO_LATE, "timeout": _TOO_LATE,
    "amount_out_of_limits": _LIMITS,
    "declined": _DECLINED,
    "amount_mismatch": _UNCONFIRMED,
    "duplicate": _IN_PROGRESS,
    "otp_required": _NEEDS_CODE,
    "subscriber_busy": _PHONE_BUSY,
    "phone_unreachable": _UNREACHABLE,
    "wrong_pin": _WRONG_PIN,
    "repeat_too_soon": _REPEAT,
    "daily_limit": _DAILY_LIMIT,
    "account_inactive": _ACCOUNT_INACTIVE,
}

# PaymentStateError codes of payments.flow / payments.service, for the picker.
START_ERRORS = {
    "method_unavailable": _l("This way to pay is not available for this order. "
                             "Choose another one."),
    "phone_required": _l("Enter your mobile money number."),
    "email_required": _l("Enter your email address: this way to pay needs it."),
    "too_many_attempts": _l("Too many payment requests were sent for this order. Choose "
                            "another way to pay, or ask the shop for help."),
}


def phone_busy_text(minutes):
    """The shopper's message when a number had all the pushes it may get for now."""
    return gettext("A request was already sent to this number: approve it on your phone, "
                   "or ask for another in %(minutes)s min.", minutes=minutes)


def failure_text(payment):
    """The plain-words reason an attempt failed."""
    if payment is None:
        return str(_GENERIC)
    code = (payment.failure_code or "").lower()
    if payment.status == PaymentStatus.EXPIRED and code not in REASONS:
        return str(_TOO_LATE)
    return str(REASONS.get(code, _GENERIC))


def can_retry(payment):
    """Whether trying the same method and number again makes sense."""
    code = (payment.failure_code or "").lower() if payment is not None else ""
    return REASONS.get(code) not in (_NOT_OFFERED, _LIMITS, _UNKNOWN_NUMBER, _NEEDS_CODE,
                                     _UNCONFIRMED, _DAILY_LIMIT, _ACCOUNT_INACTIVE)
