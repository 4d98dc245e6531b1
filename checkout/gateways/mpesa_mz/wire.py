"""Vodacom M-Pesa Mozambique wire formats (providers.md 5.1-5.7): URLs per operation,
the per-request Bearer token, our references, MSISDN and amount rules, request bodies.
Pure functions (the token is random by design: PKCS#1 v1.5 padding)."""
import base64
import binascii
import functools
import hashlib
import re
import secrets
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from checkout.gateways.errors import GatewayAuthError, GatewayDeclined

# 5.1: operation -> (port, path); the trailing slash is part of the path.
C2B, B2C, QUERY, REVERSAL = "c2b", "b2c", "query", "reversal"
OPERATIONS = {
    C2B: (18352, "/ipg/v1x/c2bPayment/singleStage/"),
    B2C: (18345, "/ipg/v1x/b2cPayment/"),
    QUERY: (18353, "/ipg/v1x/queryTransactionStatus/"),
    REVERSAL: (18354, "/ipg/v1x/reversal/"),
}
DEFAULT_HOST = "api.vm.co.mz"            # CONFLICT (5.1): api.mpesa.vm.co.mz; configurable
DEFAULT_ORIGIN = "developer.mpesa.vm.co.mz"
HOST_RE = re.compile(r"[A-Za-z0-9.-]{1,253}")
MSISDN_RE = re.compile(r"(?:\+|00)?(?:258)?(8[45]\d{7})")
RECEIPT_RE = re.compile(r"[A-Za-z0-9]{4,40}")
_B32 = re.compile(r"[A-Z2-7]")


def url_for(account_base: str, livemode: bool, host: str | None, operation: str) -> str:
    """Live: ``https://<host>:<port><path>`` (each operation on its own port); test:
    ``<base_url><path>`` (the simulator serves every path on one port)."""
    port, path = OPERATIONS[operation]
    if not livemode:
        return account_base.rstrip("/") + path
    return f"https://{host}:{port}{path}"


def live_host(credentials: Mapping[str, str], base_url: str) -> str:
    """The production host: the ``host`` credential (a name, or a URL whose host is
    taken), else the account's base URL's host, else DEFAULT_HOST. Raises
    GatewayAuthError("shop_not_configured") when it is not a host name."""
    raw = (credentials.get("host") or "").strip() or base_url or DEFAULT_HOST
    host = urlsplit(raw).hostname if "//" in raw else raw.split(":")[0].strip("/")
    if not host or not HOST_RE.fullmatch(host):
        raise GatewayAuthError("The M-Pesa host is not a host name.",
                               code="shop_not_configured")
    return host


@functools.lru_cache(maxsize=64)
def _load_key(text: str) -> rsa.RSAPublicKey:
    if "BEGIN" in text:
        key = serialization.load_pem_public_key(text.encode())
    else:
        key = serialization.load_der_public_key(
            base64.b64decode("".join(text.split()), validate=True))
    if not isinstance(key, rsa.RSAPublicKey):
        raise ValueError("not an RSA key")
    return key


def bearer_token(public_key: str, api_key: str) -> str:
    """base64(RSA-PKCS#1 v1.5(public key, utf8(api key))) (5.2): different on every call.
    ``public_key`` is the portal's one line of base64 DER (a PEM block is accepted).
    Raises GatewayAuthError("shop_not_configured") when the key cannot be loaded."""
    try:
        key = _load_key(public_key.strip())
        blob = key.encrypt(api_key.encode("utf-8"), padding.PKCS1v15())
    except (ValueError, TypeError, binascii.Error) as exc:
        raise GatewayAuthError(f"The M-Pesa public key cannot be used: "
                               f"{exc.__class__.__name__}",
                               code="shop_not_configured") from None
    return base64.b64encode(blob).decode("ascii")


def _digest_ref(prefix: str, value: str) -> str:
    digest = base64.b32encode(hashlib.sha256(value.encode("utf-8")).digest()).decode()
    return prefix + digest[:19]


def third_party_reference(payment_id: str) -> str:
    """The C2B ThirdPartyReference of a payment attempt: 20 characters derived from our
    payment id alone (one per attempt: the product never sends an attempt twice)."""
    return _digest_ref("C", "c2b:" + payment_id)


def reversal_reference(refund_id: str) -> str:
    """The reversal's ThirdPartyReference: one per refund, so a re-sent reversal is
    refused as a duplicate (INS-10) instead of reversing twice."""
    return _digest_ref("R", "reversal:" + refund_id)


def payout_reference(payout_id: str) -> str:
    return _digest_ref("B", "b2c:" + payout_id)


def query_reference() -> str:
    """A new ThirdPartyReference for one status query (5.3: unique per request)."""
    return "Q" + base64.b32encode(secrets.token_bytes(15)).decode()[:19]


def is_our_reference(value: object) -> bool:
    return isinstance(value, str) and len(value) == 20 and value[0] in "CRB" \
        and all(_B32.fullmatch(ch) for ch in value[1:])


def transaction_reference(our_id: str) -> str:
    """input_TransactionReference (1-20 characters, 5.3): the last 20 letters and digits
    of our id (the random part of ``pay_...``), what the merchant sees in the portal."""
    cleaned = re.sub(r"[^A-Za-z0-9]", "", our_id)
    return cleaned[-20:] if cleaned else _digest_ref("T", our_id)


def msisdn(e164: str | None) -> str:
    """``2588[45]XXXXXXX`` from our E.164 (or ``84...``, ``00258...``). Raises
    GatewayDeclined("invalid_phone") for anything but a Vodacom Mozambique number."""
    cleaned = re.sub(r"[\s.()-]", "", e164 or "")
    match = MSISDN_RE.fullmatch(cleaned)
    if match is None:
        raise GatewayDeclined("M-Pesa Mozambique needs a Vodacom number (+258 84/85).",
                              code="invalid_phone")
    return "258" + match.group(1)


def whole_meticais(amount: int) -> str:
    """Our minor units as whole meticais (5.7: whole units in practice). Raises
    GatewayDeclined("amount_out_of_limits") when not positive or not whole."""
    if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0 \
            or amount % 100:
        raise GatewayDeclined("M-Pesa takes whole meticais only.",
                              code="amount_out_of_limits")
    return str(amount // 100)


def payment_body(reference: str, phone: str, amount: str, tpr: str,
                 shortcode: str) -> dict[str, str]:
    """C2B single stage and B2C share their fields (5.3)."""
    return {"input_TransactionReference": reference, "input_CustomerMSISDN": phone,
            "input_Amount": amount, "input_ThirdPartyReference": tpr,
            "input_ServiceProviderCode": shortcode}


def reversal_body(transaction_id: str, credential: str, initiator: str, tpr: str,
                  shortcode: str, amount: str) -> dict[str, str]:
    return {"input_TransactionID": transaction_id, "input_SecurityCredential": credential,
            "input_InitiatorIdentifier": initiator, "input_ThirdPartyReference": tpr,
            "input_ServiceProviderCode": shortcode, "input_ReversalAmount": amount}


def query_params(query: str, tpr: str, shortcode: str) -> dict[str, str]:
    return {"input_QueryReference": query, "input_ThirdPartyReference": tpr,
            "input_ServiceProviderCode": shortcode}


def text(payload: Mapping[str, Any], key: str) -> str | None:
    value = payload.get(key)
    return value.strip() if isinstance(value, str) and value.strip() else None


def receipt_of(payload: Mapping[str, Any]) -> str | None:
    """output_TransactionID when it is one (not ``N/A``)."""
    value = text(payload, "output_TransactionID")
    return value if value and RECEIPT_RE.fullmatch(value) else None
