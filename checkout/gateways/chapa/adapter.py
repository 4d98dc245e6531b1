"""Chapa (Ethiopia, v1 API): a hosted checkout page, verify by our tx_ref, HMAC-signed
webhooks, a GET callback, queued refunds. Wire facts: providers.md section 2.

Shape: ``initiate`` asks for a checkout page and returns pending with our ``tx_ref``
(derived from the payment id) and a redirect to Chapa's page; the outcome is learnt by
``fetch_status`` (the verify call: after the shopper's return, on polls, after the
unsigned GET callback) and by the signed webhook, whose verified result can be applied
as is. Refunds are queued by Chapa and settled by the ``charge.refunded`` webhook or by
``fetch_refund`` (verify says ``refunded``).
"""
import logging
import secrets
import string
from collections.abc import Mapping
from datetime import datetime
from urllib.parse import quote

from checkout.gateways import http
from checkout.gateways.base import (
    Account,
    Gateway,
    GatewayResult,
    ListedTransaction,
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

from . import listing, notifications, wire
from .errors import error_for, provider_text, scrub

log = logging.getLogger(__name__)

INIT_TIMEOUT, STATUS_TIMEOUT = (5, 30), (5, 20)   # connect, read (2.9: the CLI waits 30 s)
_KEY_ALPHABET = string.ascii_letters + string.digits


class Chapa(Gateway):
    name = "chapa"
    methods = {"chapa": Method("chapa", "chapa", "card", "Chapa", "ET", wire.CURRENCIES)}
    test_base_path = "/chapa"
    live_base_url = "https://api.chapa.co"      # paths carry the version: /v1/...
    # A shopper on a hosted page takes a minute or more; the return page and the webhook
    # usually settle the attempt first.
    poll_schedule = (10, 10, 20, 30, 60, 120)
    deadline_seconds = 30 * 60
    # Webhooks are HMAC-verified on the raw bytes and carry a result we apply as is.
    notifications_need_confirmation = False
    supports_refund = True
    lists_transactions = True

    def initiate(self, account: Account, request: PaymentRequest) -> GatewayResult:
        """Ask Chapa for a hosted checkout page (providers.md 2.2).

        Returns pending with ``provider_reference`` = our tx_ref and a redirect to
        ``checkout_url``. Raises GatewayNotSupported (not Chapa's method or currency),
        GatewayDeclined (duplicate_reference, currency_not_supported, invalid_request,
        ...), GatewayAuthError (key refused, API payments disabled) and
        GatewayUnavailable (outage, timeout, an answer without a usable checkout_url).
        GatewayUnavailable is never ``outcome_unknown`` here: without the checkout_url,
        which only this answer carries, nobody can pay the transaction, so nothing can
        have been debited and the shopper may simply try again (a new attempt, a new
        tx_ref)."""
        if request.method not in self.methods:
            raise GatewayNotSupported(f"{request.method!r} is not a Chapa method.",
                                      code="method_not_supported")
        if request.currency not in wire.CURRENCIES:
            raise GatewayNotSupported(f"Chapa takes ETB or USD, not {request.currency}.",
                                      code="currency_not_supported")
        if isinstance(request.amount, bool) or not isinstance(request.amount, int) \
                or request.amount <= 0:
            raise GatewayDeclined("Chapa needs a positive amount.", code="invalid_amount")
        secret_key = self._secret_key(account)
        tx_ref = wire.tx_ref_for(request.payment_id)
        # Chapa's page shows customization[title] as its heading: the merchant's name
        # when the request carries one (PaymentRequest has no such field yet), else the
        # description (the checkout's description or order id).
        title = request.merchant_name or request.description
        body = wire.initialize_body(request, tx_ref, account.notify_url, title)
        try:
            resp = http.session("chapa", timeout=INIT_TIMEOUT).post(
                f"{self._base(account)}/v1/transaction/initialize", json=body,
                headers=_headers(secret_key))
        except GatewayUnavailable as exc:
            raise GatewayUnavailable(exc.message, code=exc.code) from exc
        payload = wire.decode(resp.content)
        if not 200 <= resp.status_code < 300:
            error = error_for(resp.status_code, payload, "initiate")
            if isinstance(error, GatewayUnavailable):
                error.outcome_unknown = False
            raise error
        url = wire.checkout_url(payload, account.livemode)
        if url is None or wire.word(payload.get("status")) != "success":
            raise GatewayUnavailable("Chapa answered without a usable checkout_url",
                                     code="invalid_response", http_status=resp.status_code)
        return GatewayResult(status="pending", provider_reference=tx_ref,
                             next_action=NextAction(type="redirect", url=url),
                             raw={"tx_ref": tx_ref, "message": scrub(provider_text(payload))})

    def fetch_status(self, account: Account, provider_reference: str,
                     payment_id: str) -> GatewayResult:
        """Verify a transaction (providers.md 2.4): the only proof of payment.

        ``provider_reference`` is our tx_ref (when missing, the payment's own tx_ref is
        asked about). Returns succeeded (also for refunded/reversed: the payment did
        succeed), failed (failed/cancelled) or pending, with the amount in minor units
        and the currency Chapa reports. Raises WebhookVerificationError when the
        reference is not this payment's, when the answer is about another tx_ref or
        when its ``mode`` is not the account's; GatewayDeclined("unknown_reference",
        retryable) when Chapa knows no such transaction (not a payment outcome: never
        fail an attempt on it); GatewayAuthError; GatewayUnavailable (outage, an answer
        we cannot read, a success without a readable amount)."""
        tx_ref = self._reference(provider_reference, payment_id)
        data = self._verify(account, tx_ref)
        currency = wire.currency_of(data)
        try:
            amount = wire.minor_amount(data.get("amount"), currency)
        except ValueError as exc:
            # The service skips the amount check when none is reported: never let a
            # success through without one.
            if wire.PAYMENT_STATUS.get(wire.word(data.get("status"))) == "succeeded":
                raise GatewayUnavailable(f"Chapa success without a readable amount: {exc}",
                                         code="invalid_response") from exc
            amount = None
        return wire.status_result(tx_ref, data, amount, currency)

    def parse_notification(self, account: Account, headers: Mapping[str, str],
                           body: bytes) -> Notification:
        """Verify and read a Chapa webhook (providers.md 2.5); see ``notifications``."""
        return notifications.parse_webhook(account, headers, body)

    def parse_callback(self, account: Account, query: Mapping[str, str]) -> Notification:
        """Read Chapa's GET callback (providers.md 2.3); see ``notifications``."""
        return notifications.parse_callback(query)

    def refund(self, account: Account, provider_reference: str, amount: int, currency: str,
               reason: str | None, refund_id: str, receipt: str | None = None) -> RefundResult:
        """Ask Chapa to refund ``amount`` of a payment (providers.md 2.6). Chapa queues
        refunds: an accepted one is "pending" (settled later by the charge.refunded
        webhook or ``fetch_refund``) unless the answer says it is already done. A refusal
        (4xx) is "failed" with Chapa's words. Raises GatewayAuthError (key refused) and
        GatewayUnavailable (outage; ``outcome_unknown`` when the refund may have been
        queued: a read timeout, 500 or 504)."""
        tx_ref = wire.valid_tx_ref(provider_reference)
        if tx_ref is None:
            return RefundResult(status="failed", failure_message="Not a Chapa tx_ref.")
        if currency not in wire.CURRENCIES or isinstance(amount, bool) \
                or not isinstance(amount, int) or amount <= 0:
            return RefundResult(status="failed", failure_message="Not a refundable amount.")
        body = {"amount": wire.major_amount(amount, currency), "reference": refund_id}
        if reason:
            body["reason"] = scrub(reason, 200)
        resp = http.session("chapa", timeout=INIT_TIMEOUT).post(
            f"{self._base(account)}/v1/refund/{quote(tx_ref, safe='')}", json=body,
            headers=_headers(self._secret_key(account)))
        payload = wire.decode(resp.content)
        if not 200 <= resp.status_code < 300:
            error = error_for(resp.status_code, payload, "refund")
            if isinstance(error, (GatewayAuthError, GatewayUnavailable)):
                raise error
            return RefundResult(status="failed", failure_message=error.message)
        if not isinstance(payload, dict) or wire.word(payload.get("status")) != "success":
            return RefundResult(status="failed", failure_message=scrub(
                f"Chapa: {provider_text(payload) or 'refund not accepted'}"))
        data = payload.get("data") if isinstance(payload.get("data"), dict) else {}
        # "success" at the top only says the request was taken; data.status must say done.
        done = wire.word(data.get("status")) in (*wire.REFUNDED, "completed", "processed")
        return RefundResult(status="succeeded" if done else "pending")

    def fetch_refund(self, account: Account, refund_reference: str | None,
                     payment_reference: str, refund_id: str) -> RefundResult:
        """Where a queued refund stands: Chapa has no refund status call, so the payment
        is verified; ``refunded``/``reversed`` means its refunds are done ("succeeded"),
        anything else "pending" (a partial refund leaves the payment ``success``: only
        its charge.refunded webhook settles it). Raises what ``fetch_status`` raises."""
        tx_ref = self._reference(payment_reference, "")
        data = self._verify(account, tx_ref)
        done = wire.word(data.get("status")) in wire.REFUNDED
        return RefundResult(status="succeeded" if done else "pending")

    def list_transactions(self, account: Account, since: datetime,
                          until: datetime) -> list[ListedTransaction]:
        """The account's transactions created in ``[since, until)``: ``GET
        /v1/transactions?page=N`` (no date filter exists), page after page while
        ``next_page_url`` names one, stopping at a page wholly older than ``since`` (the
        list is newest first, UNCONFIRMED) or at ``listing.MAX_PAGES``. Raises
        GatewayAuthError, GatewayUnavailable (outage, an answer without a list, more
        pages than the bound)."""
        headers, found = _headers(self._secret_key(account)), []
        for page in range(1, listing.MAX_PAGES + 1):
            resp = http.session("chapa", timeout=STATUS_TIMEOUT).get(
                f"{self._base(account)}/v1/transactions", params={"page": page},
                headers=headers)
            payload = wire.decode(resp.content)
            if not 200 <= resp.status_code < 300:
                raise error_for(resp.status_code, payload, "list")
            rows = listing.transactions_of(payload)
            if rows is None:
                raise GatewayUnavailable("Chapa list answer has no transactions",
                                         code="invalid_response", http_status=resp.status_code)
            page_rows = [t for t in map(listing.listed, rows) if t is not None]
            found += [t for t in page_rows if since <= t.created_at < until]
            if not rows or not listing.has_next(payload) or \
                    (page_rows and all(t.created_at < since for t in page_rows)):
                return found
        raise GatewayUnavailable("Chapa listing longer than we read", code="listing_too_long")

    def test_credentials(self) -> dict[str, str]:
        """A random test secret key (``CHASECK_TEST-…``) and webhook secret."""
        key = "".join(secrets.choice(_KEY_ALPHABET) for _ in range(32))
        return {"secret_key": "CHASECK_TEST-" + key, "webhook_secret": secrets.token_hex(24)}

    def register_test_account(self, account: Account,
                              timeout: tuple[float, float]) -> str | None:
        """PUT the account (secret key, webhook secret, our notification URL: what
        Chapa's dashboard holds) to the simulator's ``/_sim/accounts/<id>``, the id being
        the key's last 12 characters. Returns that id; raises GatewayUnavailable when the
        simulator is unreachable, GatewayError when it refuses the account."""
        secret_key = self._secret_key(account)
        account_id = "".join(ch for ch in secret_key if ch in _KEY_ALPHABET)[-12:]
        resp = http.session("simulator-admin", timeout=timeout).put(
            f"{self._base(account)}/_sim/accounts/{account_id}",
            json={"secret_key": secret_key,
                  "webhook_secret": (account.credentials or {}).get("webhook_secret"),
                  "webhook_url": account.notify_url})
        if resp.status_code not in (200, 201):
            raise GatewayError(f"the simulator refused the account ({resp.status_code})")
        return account_id

    def _verify(self, account: Account, tx_ref: str) -> Mapping:
        """``data`` of a verify answer about ``tx_ref`` in the account's mode."""
        resp = http.session("chapa", timeout=STATUS_TIMEOUT).get(
            f"{self._base(account)}/v1/transaction/verify/{quote(tx_ref, safe='')}",
            headers=_headers(self._secret_key(account)))
        payload = wire.decode(resp.content)
        if not 200 <= resp.status_code < 300:
            raise error_for(resp.status_code, payload, "verify")
        data = payload.get("data") if isinstance(payload, dict) else None
        if not isinstance(data, dict):
            raise GatewayUnavailable("Chapa verify answer has no data object",
                                     code="invalid_response", http_status=resp.status_code)
        if wire.valid_tx_ref(data.get("tx_ref")) != tx_ref:
            log.warning("chapa verify of %s answered about another tx_ref", tx_ref)
            raise WebhookVerificationError("Chapa answered about another tx_ref",
                                           code="reference_mismatch")
        if not wire.mode_matches(data.get("mode"), account.livemode):
            log.warning("chapa verify of %s answered in another mode", tx_ref)
            raise WebhookVerificationError("Chapa answered in another mode than the "
                                           "account's", code="mode_mismatch")
        return data

    @staticmethod
    def _reference(provider_reference: str | None, payment_id: str) -> str:
        """The tx_ref to verify; refuses one that is not this payment's."""
        if not provider_reference and payment_id:
            return wire.tx_ref_for(payment_id)
        tx_ref = wire.valid_tx_ref(provider_reference)
        if tx_ref is None:
            raise GatewayDeclined("Not a Chapa tx_ref.", code="unknown_reference",
                                  retryable=True)
        if payment_id and tx_ref != wire.tx_ref_for(payment_id):
            raise WebhookVerificationError("That tx_ref is not this payment's",
                                           code="reference_mismatch")
        return tx_ref

    @staticmethod
    def _secret_key(account: Account) -> str:
        key = (account.credentials or {}).get("secret_key")
        if not isinstance(key, str) or not key.strip() or not key.strip().isprintable():
            raise GatewayAuthError("The Chapa account needs a secret key.",
                                   code="gateway_auth_failed")
        return key.strip()

    @staticmethod
    def _base(account: Account) -> str:
        return account.base_url.rstrip("/")


def _headers(secret_key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret_key}", "Accept": "application/json"}
