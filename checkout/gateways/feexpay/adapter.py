"""FeexPay (v2 API): mobile-money request-to-pay per network, status by reference,
unsigned webhook confirmed by a status call. Wire facts: providers.md section 1.

Shape: ``initiate`` pushes a request to the shopper's phone (or, for Wave/Orange, may
hand back a ``payment_url`` to redirect to) and returns pending with FeexPay's
reference; the outcome is learnt by ``fetch_status`` (polling, and the re-query that
confirms every webhook, since FeexPay signs nothing); ``callback_info`` carries our
payment id so a notification can be matched even when we never got the reference.
"""
import json
import logging
import re
import secrets
import string
from collections.abc import Mapping
from decimal import Decimal
from urllib.parse import quote

from checkout.gateways import http
from checkout.gateways.base import (
    Account,
    Gateway,
    GatewayResult,
    Method,
    NextAction,
    Notification,
    PaymentRequest,
    RefundResult,
)
from checkout.gateways.errors import (
    GatewayAuthError,
    GatewayDeclined,
    GatewayError,
    GatewayNotSupported,
    GatewayUnavailable,
    WebhookVerificationError,
)

from . import wire
from .errors import error_for, scrub

log = logging.getLogger(__name__)

# method code -> (network path segment, country, currency, brand label)
NETWORKS = {
    "mtn_bj": ("mtn", "BJ", "XOF", "MTN MoMo"),
    "moov_bj": ("moov", "BJ", "XOF", "Moov Money"),
    "celtiis_bj": ("celtiis_bj", "BJ", "XOF", "Celtiis Cash"),
    "coris_bj": ("coris", "BJ", "XOF", "Coris Money"),
    "togocom_tg": ("togocom_tg", "TG", "XOF", "T-Money"),
    "moov_tg": ("moov_tg", "TG", "XOF", "Moov Money (Flooz)"),
    "mtn_ci": ("mtn_ci", "CI", "XOF", "MTN MoMo"),
    "moov_ci": ("moov_ci", "CI", "XOF", "Moov Money"),
    "orange_ci": ("orange_ci", "CI", "XOF", "Orange Money"),
    "wave_ci": ("wave_ci", "CI", "XOF", "Wave"),
    "mtn_cg": ("mtn_cg", "CG", "XAF", "MTN MoMo"),
    "orange_sn": ("orange_sn", "SN", "XOF", "Orange Money"),
    "free_sn": ("free_sn", "SN", "XOF", "Free Money"),
    "wave_sn": ("wave_sn", "SN", "XOF", "Wave"),
    "moov_bf": ("moov_bf", "BF", "XOF", "Moov Money"),
    "orange_bf": ("orange_bf", "BF", "XOF", "Orange Money"),
    "wave_bf": ("wave_bf", "BF", "XOF", "Wave"),
    "orange_ml": ("orange_ml", "ML", "XOF", "Orange Money"),
    "mobicash_ml": ("mobicash_ml", "ML", "XOF", "Mobicash"),
}
MIN_AMOUNT, MAX_AMOUNT = 100, 2_000_000  # XOF, whole francs (providers.md 1.2)
INIT_TIMEOUT, STATUS_TIMEOUT = (5, 25), (5, 20)  # connect, read (providers.md 1.10)
MAX_NOTIFICATION_BYTES = 64 * 1024
# Currency zones, to name the currency of a status answer from its ``mode`` ("MTN CI").
_ZONE = {**dict.fromkeys(("BJ", "BF", "CI", "GW", "ML", "NE", "SN", "TG"), "XOF"),
         **dict.fromkeys(("CM", "CF", "CG", "GA", "GQ", "TD"), "XAF")}
_SHOP_ALPHABET = string.ascii_letters + string.digits
_BENIN_BRANDS = {"MTN", "MOOV", "CELTIIS", "CORIS"}   # Benin's modes carry no country


class FeexPay(Gateway):
    name = "feexpay"
    methods = {
        code: Method(code, "feexpay", "mobile_money", label, country, (currency,),
                     MIN_AMOUNT, MAX_AMOUNT, needs_phone=True)
        for code, (_seg, country, currency, label) in NETWORKS.items()
    }
    test_base_path = "/feexpay"
    live_base_url = "https://api-v2.feexpay.me"
    poll_schedule = (3, 3, 5, 5, 10, 15, 30, 60)
    deadline_seconds = 30 * 60

    def initiate(self, account: Account, request: PaymentRequest) -> GatewayResult:
        """Send a request-to-pay to the shopper's phone (providers.md 1.2).

        Returns pending with FeexPay's reference and the next action: a redirect to
        ``payment_url`` when FeexPay gives one (Wave, Orange), else approve-on-phone.
        Never returns a final status (see below). Raises GatewayNotSupported (method or
        currency not FeexPay's), GatewayDeclined (refused: bad number, limits, funds,
        network not enabled...), GatewayAuthError (key, shop or IP refused),
        GatewayUnavailable (outage, rate limit, timeout; ``outcome_unknown`` when the
        push may have gone out)."""
        segment, country, currency = self._network(request.method)
        if request.currency != currency:
            raise GatewayNotSupported(f"FeexPay {request.method} takes {currency}, "
                                      f"not {request.currency}.", code="currency_not_supported")
        if isinstance(request.amount, bool) or not isinstance(request.amount, int) \
                or request.amount <= 0:
            raise GatewayDeclined("FeexPay needs a positive whole number of francs.",
                                  code="amount_out_of_limits")
        api_key, shop = self._credentials(account)
        body = wire.payin_body(shop, request, country)
        resp = http.session("feexpay", timeout=INIT_TIMEOUT).post(
            f"{self._base(account)}/api/transactions/public/requesttopay/{segment}",
            json=body, headers=_headers(api_key))
        payload = _decode(resp)
        if not 200 <= resp.status_code < 300:
            raise error_for(resp.status_code, payload, "initiate")
        data = wire.unwrap(payload)
        reference = wire.valid_reference(data.get("reference")) if data else None
        if reference is None and data and wire.status_of(data) == "failed":
            # Refused outright with nothing to verify (no reference to poll): a refusal.
            # Should it still turn out paid, the webhook (found by callback_info) and the
            # status call record it as a late payment.
            refusal = error_for(400, data, "initiate")   # mapped like a 4xx refusal
            refusal.http_status = resp.status_code
            raise refusal
        if reference is None:
            # Accepted, but with no reference we cannot follow it: the push may ring.
            # Unknown outcome; the webhook (matched on callback_info) or the deadline decides.
            raise GatewayUnavailable("FeexPay accepted the request but returned no reference",
                                     outcome_unknown=True, code="invalid_response",
                                     http_status=resp.status_code)
        url = wire.redirect_url(data, account.livemode)
        action = NextAction(type="redirect", url=url) if url \
            else NextAction(type="approve_on_phone")
        reported = data.get("status")
        raw = {"reference": reference, "status": scrub(reported, 40) if reported else None,
               "message": scrub(data.get("message"), 120) if data.get("message") else None,
               "payment_url": bool(url)}
        # providers.md 1.2: Moov BJ often answers a FINAL status (FAILED on low balance,
        # SUCCESSFUL if already confirmed) right here. "Do not settle on this response;
        # still verify": we report pending, keep FeexPay's word in ``raw``, and the
        # status call (polled soon) is what settles the attempt.
        return GatewayResult(status="pending", provider_reference=reference,
                             next_action=action,
                             raw={k: v for k, v in raw.items() if v is not None})

    def fetch_status(self, account: Account, provider_reference: str,
                     payment_id: str) -> GatewayResult:
        """Ask FeexPay where a payment stands (providers.md 1.3): the only proof of payment.

        Returns succeeded (with the amount FeexPay reports, in whole francs, and the
        currency of its network), failed (with our failure code) or pending. Raises
        GatewayAuthError, GatewayUnavailable (outage, rate limit, an answer we cannot
        read, a success without a readable amount), WebhookVerificationError when the
        answer's ``callback_info`` names another payment (the reference is not this
        payment's: act on nothing), and GatewayDeclined("unknown_reference") on 404.

        unknown_reference is NOT a payment outcome and callers must not fail an attempt
        on it: for a reference FeexPay itself gave us at initiation it is a provider
        inconsistency (it may still appear; the deadline settles the attempt), and for a
        reference taken from a notification it means the notification is not about any
        payment of this account (reject it). It is marked retryable for that reason."""
        reference = wire.valid_reference(provider_reference)
        if reference is None:
            raise GatewayDeclined("Not a FeexPay reference.", code="unknown_reference")
        api_key, _shop = self._credentials(account)
        resp = http.session("feexpay", timeout=STATUS_TIMEOUT).get(
            f"{self._base(account)}/api/transactions/public/single/status/"
            f"{quote(reference, safe='')}",
            headers=_headers(api_key))       # v2 requires the Bearer here too (1.1)
        payload = _decode(resp)
        if not 200 <= resp.status_code < 300:
            raise error_for(resp.status_code, payload, "status")
        data = wire.unwrap(payload)
        if data is None:
            raise GatewayUnavailable("FeexPay status answer is not a JSON object",
                                     code="invalid_response", http_status=resp.status_code)
        echoed = data.get("reference")
        if isinstance(echoed, str) and echoed.strip() and echoed.strip() != reference:
            raise GatewayUnavailable("FeexPay answered about another reference",
                                     code="invalid_response")
        hint = data.get("callback_info")
        if isinstance(hint, str) and hint.strip() and payment_id \
                and hint.strip() != payment_id:
            log.warning("feexpay reference %s belongs to another payment", reference)
            raise WebhookVerificationError(
                "FeexPay reference belongs to another payment", code="reference_mismatch")
        result_status = wire.status_of(data)
        try:
            amount = wire.parse_amount(data.get("amount"))
        except ValueError as exc:
            amount = None
            if result_status == "succeeded":
                raise GatewayUnavailable(f"FeexPay success with an unreadable amount: {exc}",
                                         code="invalid_response") from exc
        if result_status == "succeeded" and amount is None:
            # The service skips the amount check when none is reported: never let a
            # success through without one.
            raise GatewayUnavailable("FeexPay success without an amount",
                                     code="invalid_response")
        return wire.status_result(reference, data, amount, _currency_of(data))

    def parse_notification(self, account: Account, headers: Mapping[str, str],
                           body: bytes) -> Notification:
        """Read a FeexPay webhook (providers.md 1.7). FeexPay signs nothing, so nothing
        in it is believed: only ``reference`` (what to re-query) and ``callback_info``
        (a hint to our payment id) are taken; ``result`` is None so the caller must
        confirm with fetch_status. Raises WebhookVerificationError for a body that is
        not a JSON object with a usable reference."""
        if not isinstance(body, (bytes, bytearray, str)) or len(body) > MAX_NOTIFICATION_BYTES:
            raise WebhookVerificationError("FeexPay notification is missing or too large")
        try:
            payload = json.loads(body)
        except (ValueError, RecursionError):
            raise WebhookVerificationError("FeexPay notification is not JSON") from None
        data = wire.unwrap(payload)
        if data is None:
            raise WebhookVerificationError("FeexPay notification is not a JSON object")
        reference = wire.valid_reference(data.get("reference"))
        if reference is None:
            raise WebhookVerificationError("FeexPay notification has no usable reference")
        status = re.sub(r"[^A-Z0-9 _]", "", str(data.get("status") or "").upper())[:40]
        hint = data.get("callback_info")
        hint = hint.strip() if isinstance(hint, str) else ""
        hint = hint if re.fullmatch(r"[A-Za-z0-9_-]{1,64}", hint) else None
        return Notification(provider_reference=reference,
                            dedup_key=f"{reference}:{status.strip()}",
                            result=None, payment_hint=hint)

    def refund(self, account: Account, provider_reference: str, amount: int, currency: str,
               reason: str | None, refund_id: str, receipt: str | None = None) -> RefundResult:
        """FeexPay's v2 API documents no refund or reversal (providers.md 1.4-1.6; its
        payouts are a separate, IP-whitelisted product). Always raises
        GatewayNotSupported."""
        raise GatewayNotSupported("FeexPay has no refund API: refund the shopper from the "
                                  "FeexPay dashboard (or by a payout) and record it there.")

    def test_credentials(self) -> dict[str, str]:
        """A random API key and 15-character shop id, as FeexPay's dashboard issues."""
        return {"api_key": "fp_test_" + secrets.token_hex(16),
                "shop": "".join(secrets.choice(_SHOP_ALPHABET) for _ in range(15))}

    def register_test_account(self, account: Account,
                              timeout: tuple[float, float]) -> str | None:
        """PUT the shop (its API key and our notification URL) to the simulator's
        ``/_sim/shops/<shop>``. Returns the shop id; raises GatewayUnavailable when
        the simulator is unreachable, GatewayError when it refuses the shop."""
        api_key, shop = self._credentials(account)
        resp = http.session("simulator-admin", timeout=timeout).put(
            f"{self._base(account)}/_sim/shops/{quote(shop, safe='')}",
            json={"api_key": api_key, "webhook_url": account.notify_url, "networks": None})
        if resp.status_code not in (200, 201):
            raise GatewayError(f"the simulator refused the shop ({resp.status_code})")
        return shop

    def _network(self, method):
        try:
            segment, country, currency, _label = NETWORKS[method]
        except KeyError:
            raise GatewayNotSupported(f"{method!r} is not a FeexPay method.",
                                      code="method_not_supported") from None
        return segment, country, currency

    @staticmethod
    def _credentials(account):
        creds = account.credentials or {}
        api_key, shop = creds.get("api_key"), creds.get("shop")
        if not (isinstance(api_key, str) and api_key.strip()
                and isinstance(shop, str) and shop.strip()):
            raise GatewayAuthError("The FeexPay account needs an API key and a shop id.",
                                   code="gateway_auth_failed")
        return api_key.strip(), shop.strip()

    @staticmethod
    def _base(account):
        return account.base_url.rstrip("/")


def _headers(api_key):
    return {"Authorization": f"Bearer {api_key}", "Accept": "application/json"}


def _decode(resp):
    """The JSON body (floats as Decimal, never float), else the text, else None."""
    try:
        return resp.json(parse_float=Decimal)
    except (ValueError, RecursionError):
        return resp.text[:2000] if resp.text else None


def _currency_of(data):
    """The currency of a status answer: its own ``currency`` if it is an ISO code, else
    the currency zone of the country in ``mode`` ("MTN CI" -> XOF, "MTN CG" -> XAF);
    Benin's modes name no country. None when it cannot be told (no check is better
    than a wrong one: it would fail a paid attempt as a mismatch)."""
    currency = data.get("currency")
    if isinstance(currency, str) and re.fullmatch(r"[A-Za-z]{3}", currency.strip()):
        return currency.strip().upper()
    mode = data.get("mode") or data.get("reseau")
    if not isinstance(mode, str):
        return None
    tokens = re.split(r"[\s_-]+", mode.strip().upper())
    zones = {_ZONE[t] for t in tokens if t in _ZONE}
    if len(zones) == 1:
        return zones.pop()
    if not zones and len(tokens) == 1 and tokens[0] in _BENIN_BRANDS:
        return "XOF"
    return None
