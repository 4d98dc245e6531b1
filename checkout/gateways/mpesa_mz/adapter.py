"""Vodacom M-Pesa Mozambique ("M-Pesa API", IPG v1x): C2B single stage, status query,
reversal (our refund) and B2C payouts. Wire facts: providers.md 5.

Shape: "blocking push". The C2B call holds the HTTP request open until the customer
types the PIN, cancels or the platform gives up (5.5), and its answer is final: so
``initiate_blocks`` (the product runs it in a worker job) and ``initiate`` returns the
outcome itself. Our ThirdPartyReference is derived from the attempt's id and stored by
the product before the call (``reference_before_call``): a call cut off by a timeout or a
killed worker is settled by ``fetch_status`` (queryTransactionStatus) and never re-sent.
No notifications exist for this flow (5.7). Every request carries a fresh Bearer token
(RSA of the API key, 5.2) and the ``Origin`` header.
"""
import hashlib
import logging
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from checkout.gateways import http
from checkout.gateways.base import (
    Account,
    Gateway,
    GatewayResult,
    Method,
    NextAction,
    PaymentRequest,
    PayoutRequest,
    PayoutResult,
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
from .errors import classify, code_of, describe, error_for, raw_of
from .keys import SIMULATOR_PUBLIC_KEY

log = logging.getLogger(__name__)

METHOD = "mpesa_mz"
CURRENCY = "MZN"
C2B_TIMEOUT = (10, 120)        # connect, read: the customer has up to ~2 minutes (5.5)
CALL_TIMEOUT = (10, 60)        # reversal, B2C
QUERY_TIMEOUT = (10, 30)
# Query statuses (5.4; Pending and Failed appear in some copies only: UNCONFIRMED).
FAILED_STATUSES = {"cancelled": "canceled", "canceled": "canceled", "expired": "timeout",
                   "failed": "declined"}
NOT_FOUND = ("INS-14", "INS-18", "INS-997")    # the reference is unknown (yet)


@dataclass(frozen=True)
class _Creds:
    api_key: str
    public_key: str
    shortcode: str
    origin: str


class MpesaMz(Gateway):
    name = "mpesa_mz"
    methods = {METHOD: Method(METHOD, "mpesa_mz", "mobile_money", "M-Pesa", "MZ", (CURRENCY,),
                              min_amount=100, needs_phone=True, operator="vodacom",
                              amount_step=100)}
    initiate_blocks = True
    poll_schedule = (5, 10, 15, 30, 60)
    deadline_seconds = 5 * 60
    test_base_path = "/mpesa-mz"
    live_base_url = "https://" + wire.DEFAULT_HOST
    supports_refund = True
    partial_refunds = True
    status_has_amount = False      # the query names no amount (5.4)
    supports_payout = True
    c2b_timeout = C2B_TIMEOUT

    def reference_before_call(self, payment_id: str) -> str | None:
        """The attempt's C2B ThirdPartyReference, known before the call."""
        return wire.third_party_reference(payment_id)

    def initiate(self, account: Account, request: PaymentRequest) -> GatewayResult:
        """Run a C2B single-stage payment to its end (blocks up to ~2 minutes).

        INS-0 -> succeeded with our amount, ``receipt`` = output_TransactionID and
        ``provider_reference`` = the ThirdPartyReference; INS-10 (that reference was
        already used: a call with it exists) -> pending, so the product asks the status.
        Raises GatewayNotSupported (method, currency), GatewayDeclined (before any call:
        invalid_phone for a non-Vodacom number, amount_out_of_limits; after: the INS
        refusals of errors.INS), GatewayAuthError (credentials, shortcode),
        GatewayUnavailable (INS-16 / unreachable: nothing debited; a read timeout, INS-1,
        a 5xx or an unreadable answer: ``outcome_unknown``)."""
        if request.method != METHOD:
            raise GatewayNotSupported(f"{request.method!r} is not an M-Pesa Mozambique "
                                      "method.", code="method_not_supported")
        if request.currency != CURRENCY:
            raise GatewayNotSupported(f"M-Pesa Mozambique does not take {request.currency}.",
                                      code="currency_not_supported")
        amount, phone = wire.whole_meticais(request.amount), wire.msisdn(request.phone)
        creds = _credentials(account)
        tpr = wire.third_party_reference(request.payment_id)
        body = wire.payment_body(wire.transaction_reference(request.payment_id), phone,
                                 amount, tpr, creds.shortcode)
        payload, status = self._call(account, creds, wire.C2B, "POST", self.c2b_timeout,
                                     json=body)
        kind, code = classify(payload, status, c2b=True)
        if kind == "ok" and 200 <= status < 300 and \
                wire.text(payload, "output_ThirdPartyReference") in (None, tpr):
            return GatewayResult(status="succeeded", provider_reference=tpr,
                                 amount=request.amount, currency=CURRENCY,
                                 receipt=wire.receipt_of(payload), raw=raw_of(payload))
        if kind == "ok":
            raise GatewayUnavailable(f"{describe(payload, status)}: not our answer",
                                     code="invalid_response", outcome_unknown=True,
                                     http_status=status)
        if kind == "duplicate":
            return GatewayResult(status="pending", provider_reference=tpr,
                                 failure_message=describe(payload, status),
                                 next_action=NextAction(type="approve_on_phone"),
                                 raw=raw_of(payload))
        raise error_for(kind, code, payload, status)

    def fetch_status(self, account: Account, provider_reference: str,
                     payment_id: str) -> GatewayResult:
        """Query a C2B payment by its ThirdPartyReference (5.3, a new reference for the
        query itself). Completed -> succeeded without amount (``status_has_amount`` is
        False) and with the receipt when named; Cancelled / Expired / Failed -> failed;
        Pending, N/A, anything else or a not-found answer -> pending (the call may still
        be open: the deadline settles it). Raises WebhookVerificationError when the
        reference is not this attempt's, GatewayAuthError, GatewayUnavailable."""
        if payment_id and provider_reference != wire.third_party_reference(payment_id):
            raise WebhookVerificationError("That M-Pesa reference is not this payment's.",
                                           code="reference_mismatch")
        if not wire.is_our_reference(provider_reference):
            raise GatewayDeclined("Not an M-Pesa Mozambique reference.",
                                  code="unknown_reference")
        word, payload = self._query(account, provider_reference)
        raw = raw_of(payload)
        if word == "completed":
            return GatewayResult(status="succeeded", provider_reference=provider_reference,
                                 currency=CURRENCY, receipt=wire.receipt_of(payload), raw=raw)
        if word in FAILED_STATUSES:
            return GatewayResult(status="failed", provider_reference=provider_reference,
                                 currency=CURRENCY, failure_code=FAILED_STATUSES[word],
                                 failure_message=f"M-Pesa status {word}", raw=raw)
        return GatewayResult(status="pending", provider_reference=provider_reference, raw=raw)

    def refund(self, account: Account, provider_reference: str, amount: int, currency: str,
               reason: str | None, refund_id: str, receipt: str | None = None) -> RefundResult:
        """Reverse ``amount`` (all or part) of a paid C2B payment (5.3): PUT reversal
        naming the payment's receipt (output_TransactionID). INS-0 -> succeeded at once,
        provider_reference = the reversal's TransactionID; INS-10 -> pending (a reversal
        with this refund's reference exists: ``fetch_refund`` tells); a refusal ->
        failed. Raises GatewayNotSupported without a receipt, GatewayAuthError
        (credentials, initiator), GatewayUnavailable (``outcome_unknown`` after a
        timeout or an internal error)."""
        if not (isinstance(receipt, str) and wire.RECEIPT_RE.fullmatch(receipt)):
            raise GatewayNotSupported("No M-Pesa TransactionID known for this payment: "
                                      "it cannot be reversed through the API.")
        if currency != CURRENCY:
            return RefundResult(status="failed", failure_message=f"Not {CURRENCY}.")
        try:
            value = wire.whole_meticais(amount)
        except GatewayDeclined as exc:
            return RefundResult(status="failed", failure_message=exc.message)
        creds = _credentials(account)
        extra = account.credentials or {}
        initiator = (extra.get("initiator_identifier") or "").strip()
        credential = (extra.get("security_credential") or "").strip()
        if not (initiator and credential):
            raise GatewayAuthError("Reversals need the initiator identifier and security "
                                   "credential Vodacom issued.", code="shop_not_configured")
        body = wire.reversal_body(receipt, credential, initiator,
                                  wire.reversal_reference(refund_id), creds.shortcode, value)
        payload, status = self._call(account, creds, wire.REVERSAL, "PUT", CALL_TIMEOUT,
                                     json=body)
        kind, code = classify(payload, status)
        if kind == "ok" and 200 <= status < 300:
            return RefundResult(status="succeeded", provider_reference=wire.receipt_of(payload)
                                or wire.reversal_reference(refund_id))
        if kind == "duplicate":
            return RefundResult(status="pending")
        if kind == "declined":
            return RefundResult(status="failed", failure_message=describe(payload, status))
        raise error_for("unknown" if kind == "ok" else kind, code, payload, status)

    def fetch_refund(self, account: Account, refund_reference: str | None,
                     payment_reference: str, refund_id: str) -> RefundResult:
        """Query the reversal by this refund's ThirdPartyReference: Completed ->
        succeeded, Cancelled / Expired / Failed -> failed, anything else (not found
        included: it may not be recorded yet) -> pending. Raises GatewayAuthError,
        GatewayUnavailable."""
        word, payload = self._query(account, wire.reversal_reference(refund_id))
        if word == "completed":
            return RefundResult(status="succeeded", provider_reference=wire.receipt_of(payload)
                                or refund_reference)
        if word in FAILED_STATUSES:
            return RefundResult(status="failed", provider_reference=refund_reference,
                                failure_message=f"M-Pesa reversal status {word}")
        return RefundResult(status="pending", provider_reference=refund_reference)

    def payout(self, account: Account, request: PayoutRequest) -> PayoutResult:
        """Send money to a Vodacom number (B2C, 5.3). INS-0 -> succeeded with the
        TransactionID; INS-10 -> pending (already sent with this payout's reference);
        a refusal -> failed with our code. Raises GatewayDeclined before any call (phone,
        amount), GatewayAuthError, GatewayUnavailable (``outcome_unknown`` after a timeout
        or an internal error)."""
        if request.currency != CURRENCY:
            raise GatewayNotSupported(f"M-Pesa Mozambique does not pay out "
                                      f"{request.currency}.", code="currency_not_supported")
        amount, phone = wire.whole_meticais(request.amount), wire.msisdn(request.phone)
        creds = _credentials(account)
        tpr = wire.payout_reference(request.payout_id)
        body = wire.payment_body(wire.transaction_reference(request.payout_id), phone,
                                 amount, tpr, creds.shortcode)
        payload, status = self._call(account, creds, wire.B2C, "POST", CALL_TIMEOUT,
                                     json=body)
        kind, code = classify(payload, status)
        raw = raw_of(payload)
        if kind == "ok" and 200 <= status < 300:
            return PayoutResult(status="succeeded", provider_reference=wire.receipt_of(payload)
                                or tpr, raw=raw)
        if kind == "duplicate":
            return PayoutResult(status="pending", provider_reference=tpr, raw=raw)
        if kind == "declined":
            return PayoutResult(status="failed", provider_reference=tpr, failure_code=code,
                                failure_message=describe(payload, status), raw=raw)
        raise error_for("unknown" if kind == "ok" else kind, code, payload, status)

    def test_credentials(self) -> dict[str, str]:
        """Made-up credentials for the simulator: a random API key and security
        credential, the sandbox shortcode 171717, and the simulator's public key."""
        return {"api_key": secrets.token_hex(16), "public_key": SIMULATOR_PUBLIC_KEY,
                "service_provider_code": "171717", "origin": wire.DEFAULT_ORIGIN,
                "initiator_identifier": "checkout_test",
                "security_credential": secrets.token_urlsafe(12)}

    def register_test_account(self, account: Account,
                              timeout: tuple[float, float]) -> str | None:
        """PUT ``{api_key, service_provider_code, initiator_identifier,
        security_credential}`` to the simulator's ``/_sim/accounts/<id>`` (the id derived
        from the API key: every test merchant shares shortcode 171717). Returns the id;
        raises GatewayUnavailable (unreachable) or GatewayError (refused)."""
        creds = _credentials(account)
        extra = account.credentials or {}
        account_id = "mz_" + hashlib.sha256(creds.api_key.encode()).hexdigest()[:16]
        body = {"api_key": creds.api_key, "service_provider_code": creds.shortcode,
                **{k: extra[k] for k in ("initiator_identifier", "security_credential")
                   if extra.get(k)}}
        resp = http.session("simulator-admin", timeout=timeout).put(
            f"{account.base_url.rstrip('/')}/_sim/accounts/{account_id}", json=body)
        if resp.status_code not in (200, 201):
            raise GatewayError(f"the simulator refused the account ({resp.status_code})")
        return account_id

    # -- helpers --------------------------------------------------------------------------
    def _query(self, account: Account, reference: str) -> tuple[str, dict[str, Any]]:
        """(lower-case output_ResponseTransactionStatus, answer) of a status query; a
        not-found answer reads as ``n/a``. Raises GatewayAuthError, GatewayUnavailable."""
        creds = _credentials(account)
        params = wire.query_params(reference, wire.query_reference(), creds.shortcode)
        payload, status = self._call(account, creds, wire.QUERY, "GET", QUERY_TIMEOUT,
                                     params=params)
        kind, code = classify(payload, status)
        if kind == "ok" and 200 <= status < 300:
            word = wire.text(payload, "output_ResponseTransactionStatus") or "n/a"
            return word.lower()[:20], payload
        if code_of(payload) in NOT_FOUND:
            return "n/a", payload
        if kind in ("auth", "busy"):
            raise error_for(kind, code, payload, status)
        raise GatewayUnavailable(describe(payload, status), code=code or "provider_error",
                                 http_status=status)

    def _call(self, account: Account, creds: _Creds, operation: str, method: str,
              timeout: tuple[float, float], **kwargs: Any) -> tuple[dict[str, Any], int]:
        """One call with a fresh token; returns (JSON object or {}, HTTP status)."""
        host = wire.live_host(account.credentials or {}, account.base_url) \
            if account.livemode else None
        url = wire.url_for(account.base_url, account.livemode, host, operation)
        headers = {"Authorization": "Bearer " + wire.bearer_token(creds.public_key,
                                                                  creds.api_key),
                   "Origin": creds.origin, "Content-Type": "application/json",
                   "Accept": "application/json"}
        resp = http.session("mpesa_mz", timeout=timeout).request(
            method, url, headers=headers, timeout=timeout, **kwargs)
        try:
            payload = resp.json()
        except (ValueError, RecursionError):
            payload = None
        return (payload if isinstance(payload, dict) else {}), resp.status_code


def _credentials(account: Account) -> _Creds:
    creds: Mapping[str, str] = account.credentials or {}
    values = {k: (creds.get(k) or "").strip() if isinstance(creds.get(k), str) else ""
              for k in ("api_key", "public_key", "service_provider_code", "origin")}
    if not (values["api_key"] and values["public_key"]):
        raise GatewayAuthError("The M-Pesa account needs its API key and public key.",
                               code="shop_not_configured")
    code = values["service_provider_code"]
    if not (code.isdigit() and 5 <= len(code) <= 6):
        raise GatewayAuthError("The M-Pesa service provider code must be 5-6 digits.",
                               code="shop_not_configured")
    return _Creds(values["api_key"], values["public_key"], code,
                  values["origin"] or wire.DEFAULT_ORIGIN)
