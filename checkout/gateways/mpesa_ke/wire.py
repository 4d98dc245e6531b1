"""Daraja's wire formats (providers.md 4.3-4.7, Safaricom's Reversal page): the STK push,
STK query and reversal bodies we send, the password and timestamp rule, the reversal's
SecurityCredential, and the result codes in our vocabulary. Pure functions."""
import base64
import binascii
import re
from datetime import datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from checkout.gateways.base import PaymentRequest
from checkout.gateways.errors import GatewayAuthError, GatewayDeclined
from checkout.gateways.text import scrub

# Kenya keeps East Africa Time all year (UTC+3, no daylight saving): the fixed offset is
# exact and needs no tz database. Daraja's Timestamp is EAT by convention (4.3).
EAT = timezone(timedelta(hours=3), "EAT")
PAYBILL, TILL = "CustomerPayBillOnline", "CustomerBuyGoodsOnline"
MSISDN_RE = re.compile(r"254[17]\d{8}")
SHORTCODE_RE = re.compile(r"\d{5,7}")
REFERENCE_RE = re.compile(r"[A-Za-z0-9_.-]{1,80}")      # CheckoutRequestID, conversation ids
RECEIPT_RE = re.compile(r"[A-Z0-9]{8,12}")                # MpesaReceiptNumber "NLJ7RT61SV"
ACCOUNT_REFERENCE_MAX, DESCRIPTION_MAX = 12, 13

# STK result codes (4.4's official table, plus 1031/1001 seen in the wild) -> our codes.
RESULT_CODES = {
    "1": "insufficient_funds", "2": "amount_out_of_limits", "3": "amount_out_of_limits",
    "4": "daily_limit", "8": "amount_out_of_limits", "17": "repeat_too_soon",
    "1001": "subscriber_busy", "1019": "expired", "1025": "provider_error",
    "1031": "canceled", "1032": "canceled", "1037": "phone_unreachable",
    "2001": "wrong_pin", "2028": "shop_not_configured", "8006": "gateway_auth_failed",
    "SFC_IC0003": "invalid_phone",
}


def now_eat() -> datetime:
    return datetime.now(EAT)


def timestamp(at: datetime | None = None) -> str:
    """Daraja's ``Timestamp``: ``YYYYMMDDHHmmss`` in Kenyan time (EAT)."""
    return (at or now_eat()).astimezone(EAT).strftime("%Y%m%d%H%M%S")


def password(shortcode: str, passkey: str, stamp: str) -> str:
    """Daraja's ``Password``: base64(BusinessShortCode + Passkey + Timestamp)."""
    return base64.b64encode(f"{shortcode}{passkey}{stamp}".encode()).decode()


def msisdn(e164: str | None) -> str:
    """Our E.164 Kenyan mobile number as Daraja's 12 digits (``2547…``/``2541…``).
    Raises GatewayDeclined("invalid_phone")."""
    digits = (e164 or "").strip().removeprefix("+")
    if not (digits.isascii() and MSISDN_RE.fullmatch(digits)):
        raise GatewayDeclined("M-Pesa needs a Kenyan mobile number (+2547… or +2541…).",
                              code="invalid_phone")
    return digits


def whole_shillings(amount: int) -> int:
    """Our minor units (cents) as M-Pesa's whole shillings. Raises GatewayDeclined
    ("amount_out_of_limits") for a non-positive amount or one with cents."""
    if isinstance(amount, bool) or not isinstance(amount, int) or amount < 100 \
            or amount % 100:
        raise GatewayDeclined("M-Pesa takes whole shillings, at least KES 1.",
                              code="amount_out_of_limits")
    return amount // 100


def account_reference(payment_id: str) -> str:
    """``AccountReference`` (≤12, shown on the prompt): the last 12 letters and digits
    of our payment id (its random part), enough for the shopper and the merchant to
    recognise it; the payment is matched by CheckoutRequestID, never by this."""
    alnum = "".join(ch for ch in str(payment_id).removeprefix("pay_")
                    if ch.isascii() and ch.isalnum())
    return alnum[-ACCOUNT_REFERENCE_MAX:] or "Payment"


def description(text: str | None) -> str:
    """``TransactionDesc`` (≤13): the description's letters, digits and spaces."""
    clean = " ".join("".join(ch if ch.isascii() and (ch.isalnum() or ch == " ") else " "
                             for ch in str(text or "")).split())
    return clean[:DESCRIPTION_MAX].strip() or "Payment"


def stk_body(shortcode: str, passkey: str, account_type: str, till: str | None,
             request: PaymentRequest, callback_url: str, at: datetime | None = None) \
        -> dict[str, Any]:
    """The body of ``POST /mpesa/stkpush/v1/processrequest`` (4.3)."""
    phone, stamp = msisdn(request.phone), timestamp(at)
    till_account = account_type == "till"
    return {"BusinessShortCode": shortcode, "Password": password(shortcode, passkey, stamp),
            "Timestamp": stamp, "TransactionType": TILL if till_account else PAYBILL,
            "Amount": whole_shillings(request.amount), "PartyA": phone,
            "PartyB": till if till_account else shortcode, "PhoneNumber": phone,
            "CallBackURL": callback_url,
            "AccountReference": account_reference(request.payment_id),
            "TransactionDesc": description(request.description)}


def query_body(shortcode: str, passkey: str, checkout_request_id: str,
               at: datetime | None = None) -> dict[str, str]:
    """The body of ``POST /mpesa/stkpushquery/v1/query`` (4.5): a fresh password."""
    stamp = timestamp(at)
    return {"BusinessShortCode": shortcode, "Password": password(shortcode, passkey, stamp),
            "Timestamp": stamp, "CheckoutRequestID": checkout_request_id}


def load_public_key(certificate: str) -> rsa.RSAPublicKey:
    """The RSA public key of ``certificate``: an X.509 certificate (Safaricom's ``.cer``)
    or a bare public key, PEM or base64 DER. Raises GatewayAuthError when unreadable."""
    text = (certificate or "").strip()
    key = None
    try:
        if text.startswith("-----BEGIN CERTIFICATE"):
            key = x509.load_pem_x509_certificate(text.encode()).public_key()
        elif text.startswith("-----BEGIN"):
            key = serialization.load_pem_public_key(text.encode())
        elif text:
            der = base64.b64decode("".join(text.split()), validate=True)
            try:
                key = x509.load_der_x509_certificate(der).public_key()
            except ValueError:
                key = serialization.load_der_public_key(der)
    except (ValueError, TypeError, binascii.Error):
        key = None
    if not isinstance(key, rsa.RSAPublicKey):
        raise GatewayAuthError("The M-Pesa account's certificate is not an RSA certificate "
                               "or public key.", code="shop_not_configured")
    return key


def security_credential(initiator_password: str, certificate: str) -> str:
    """``SecurityCredential``: the initiator's password encrypted with RSA PKCS#1 v1.5
    under the certificate's public key, base64 (Safaricom's rule)."""
    key = load_public_key(certificate)
    return base64.b64encode(key.encrypt(initiator_password.encode(), padding.PKCS1v15())) \
        .decode()


def reversal_body(initiator: str, credential: str, receipt: str, shillings: int,
                  shortcode: str, notify_url: str, remarks: str | None,
                  occasion: str) -> dict[str, str]:
    """The body of ``POST /mpesa/reversal/v1/request`` (Safaricom's Reversal page; its
    sample sends every value as a string, and ``RecieverIdentifierType`` is spelt so)."""
    note = scrub(remarks or "", 100) or "Refund"
    return {"Initiator": initiator, "SecurityCredential": credential,
            "CommandID": "TransactionReversal", "TransactionID": receipt,
            "Amount": str(shillings), "ReceiverParty": shortcode,
            "RecieverIdentifierType": "11", "ResultURL": notify_url,
            "QueueTimeOutURL": notify_url, "Remarks": note if len(note) >= 2 else "Refund",
            "Occasion": scrub(occasion, 100)}


def result_code(value: object) -> str | None:
    """A ResultCode (a number in callbacks, a string in query answers) as a string."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return str(value)
    if isinstance(value, (str, Decimal, float)):
        text = str(value).strip()
        if re.fullmatch(r"-?\d+(\.0+)?", text):
            return str(int(Decimal(text)))
        return text[:40] if re.fullmatch(r"[A-Za-z0-9_.]{1,40}", text) else None
    return None


def failure_code(code: str) -> str:
    """Our failure code for a non-zero Daraja ResultCode; unknown ones are ``declined``."""
    return RESULT_CODES.get(code, "declined")


def amount_minor(value: object) -> int | None:
    """A reported amount in shillings (``1.00`` or ``"1"``) as our minor units, or None
    when absent. Raises ValueError when it is not a positive whole number of cents."""
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, (int, str, Decimal, float)) \
            or len(str(value)) > 24:
        raise ValueError("amount is not a number")
    try:
        number = Decimal(str(value).strip()) * 100
    except InvalidOperation:
        raise ValueError("amount is not a number") from None
    if not number.is_finite() or number <= 0 or number % 1 or number >= 10 ** 15:
        raise ValueError("amount is not whole cents")
    return int(number)


def phone_e164(value: object) -> str | None:
    """A reported PhoneNumber (a number, 2547…) in E.164; None when absent or masked."""
    text = str(value).strip() if isinstance(value, (int, str)) and \
        not isinstance(value, bool) else ""
    return "+" + text if MSISDN_RE.fullmatch(text) else None


def receipt_of(value: object) -> str | None:
    text = value.strip().upper() if isinstance(value, str) else ""
    return text if RECEIPT_RE.fullmatch(text) else None


def valid_reference(value: object) -> str | None:
    if isinstance(value, str) and REFERENCE_RE.fullmatch(value.strip()):
        return value.strip()
    return None
