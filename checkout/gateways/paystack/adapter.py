"""Paystack (NG, GH, KE, ZA, CI): cards on Paystack's hosted page, mobile money on our
own page through the Charge API, signed webhooks, refunds. Wire facts: providers.md 3.

Shape: cards are "redirect then verify" (``initiate`` returns the ``authorization_url``);
mobile money is "push then poll" with an optional OTP step (Telecel/Vodafone Ghana
answers ``send_otp``: the page asks for the voucher and calls ``submit_step``). Our
reference is made from our payment id, so every call is keyed on it. Webhooks are
signed (HMAC-SHA512 of the raw body with the secret key), so ``parse_notification``
returns a result applied without another call; ``fetch_status`` (verify) is the poll.
"""
import hashlib
import logging
import re
import secrets
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from urllib.parse import quote, urlencode

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

# method code -> (mobile_money.provider, country, currency, label); providers.md 3.4
# Paystack's provider code -> the network operator a number belongs to (core.phones'
# keys): the picker selects the method from the number typed and draws its badge.
OPERATORS = {"mtn": "mtn", "atl": "airtel", "vod": "telecel", "mpesa": "safaricom"}
MOBILE_MONEY = {
    "paystack_mtn_gh": ("mtn", "GH", "GHS", "MTN MoMo"),
    "paystack_atl_gh": ("atl", "GH", "GHS", "AirtelTigo Money"),
    "paystack_vod_gh": ("vod", "GH", "GHS", "Telecel Cash"),
    "paystack_mpesa_ke": ("mpesa", "KE", "KES", "M-Pesa"),
}
CARD = "paystack_card"
# Channels of the hosted page per currency (3.2): cards everywhere, plus what settles
# through the same verify/webhook flow in that market. Mobile money stays on our page.
# Card payments on Paystack's page per currency. XOF (Côte d'Ivoire) is left out until its
# subunit rule and channels are confirmed (providers.md 3.2, 8: UNCONFIRMED).
CHANNELS = {"NGN": ["card", "bank", "ussd", "bank_transfer"], "GHS": ["card"],
            "KES": ["card"], "ZAR": ["card", "eft"]}
TIMEOUT = (5, 25)                      # connect, read


class Paystack(Gateway):
    name = "paystack"
    methods = {
        CARD: Method(CARD, "paystack", "card", "Card (Paystack)", None, tuple(CHANNELS),
                     needs_email=True),
        **{code: Method(code, "paystack", "mobile_money", label, country, (currency,),
                        needs_phone=True, needs_email=True, operator=OPERATORS[provider])
           for code, (provider, country, currency, label) in MOBILE_MONEY.items()},
    }
    test_base_path = "/paystack"
    live_base_url = "https://api.paystack.co"
    poll_schedule = (5, 5, 10, 15, 30, 60)
    deadline_seconds = 30 * 60
    notifications_need_confirmation = False    # signed: parse_notification verifies
    supports_refund = True
    lists_transactions = True

    def initiate(self, account: Account, request: PaymentRequest) -> GatewayResult:
        """Start a payment: for cards, initialize a transaction and return pending with a
        redirect to Paystack's page (3.2); for mobile money, charge the phone (3.4) and
        return pending with ``approve_on_phone`` or ``otp`` (Vodafone's voucher).

        A ``success`` in the charge answer is kept in ``raw`` but never believed: the
        first poll decides. Raises GatewayNotSupported (method or currency),
        GatewayDeclined (refused: failed charge, bad phone or email, duplicate
        reference...), GatewayAuthError (key refused), GatewayUnavailable (outage, rate
        limit, timeout; ``outcome_unknown`` when Paystack may have acted)."""
        method = self.methods.get(request.method)
        if method is None:
            raise GatewayNotSupported(f"{request.method!r} is not a Paystack method.",
                                      code="method_not_supported")
        if request.currency not in method.currencies:
            raise GatewayNotSupported(f"Paystack {request.method} does not take "
                                      f"{request.currency}.", code="currency_not_supported")
        if isinstance(request.amount, bool) or not isinstance(request.amount, int) \
                or request.amount <= 0:
            raise GatewayDeclined("Paystack needs a positive amount.",
                                  code="amount_out_of_limits")
        key, email = self._key(account), wire.email_of(request)
        reference = wire.reference_for(request.payment_id)
        if request.method == CARD:
            return self._initialize(account, key, request, reference, email)
        provider, country, _currency, _label = MOBILE_MONEY[request.method]
        body = wire.charge_body(request, reference, email, provider, country)
        payload, status = self._call(account, key, "POST", "/charge", "initiate", body)
        return wire.charge_result(reference, payload, status, "initiate")

    def submit_step(self, account: Account, provider_reference: str,
                    data: Mapping[str, str]) -> GatewayResult:
        """Send the shopper's OTP / voucher (``data["otp"]``) to ``/charge/submit_otp``
        (3.4) and return the new state: pending with ``approve_on_phone``, or pending
        with ``otp`` again and ``failure_code="invalid_otp"`` when the code was wrong or
        malformed (ask again). Raises GatewayDeclined when Paystack says the charge
        failed (or ``unknown_reference``), GatewayAuthError, GatewayUnavailable."""
        reference = wire.valid_reference(provider_reference)
        if reference is None:
            raise GatewayDeclined("Not a Paystack reference.", code="unknown_reference")
        otp = str((data or {}).get("otp") or "").strip()
        if not re.fullmatch(r"[0-9A-Za-z]{3,12}", otp):
            return wire.wrong_otp(reference, "Type the code you received.")
        payload, status = self._call(account, self._key(account), "POST",
                                     "/charge/submit_otp", "submit_step",
                                     {"otp": otp, "reference": reference})
        return wire.charge_result(reference, payload, status, "submit_step")

    def fetch_status(self, account: Account, provider_reference: str,
                     payment_id: str) -> GatewayResult:
        """Verify a transaction (3.3): the only proof of payment besides a signed webhook.

        Returns succeeded (amount in our minor units and currency; ``reversed`` too: the
        payment did succeed, its refund is tracked apart), failed (``abandoned`` only
        once older than ``deadline_seconds``: Paystack says abandoned for a checkout page
        the shopper has not finished yet) or pending. Raises WebhookVerificationError
        when the reference is not this payment's or the answer's ``domain`` is not the
        account's mode; GatewayDeclined("unknown_reference", retryable) on "Transaction
        reference not found" (400) -- NOT a payment outcome: right after initialize the
        reference may not be visible yet, so callers never fail an attempt on it (the
        deadline settles it); GatewayAuthError; GatewayUnavailable (outage, or a
        success whose amount cannot be read)."""
        reference = wire.valid_reference(provider_reference)
        if reference is None:
            raise GatewayDeclined("Not a Paystack reference.", code="unknown_reference")
        if payment_id and reference != wire.reference_for(payment_id):
            raise WebhookVerificationError("That Paystack reference is not this payment's.",
                                           code="reference_mismatch")
        payload, _status = self._call(account, self._key(account), "GET",
                                      f"/transaction/verify/{quote(reference, safe='')}",
                                      "status")
        data = wire.data_of(payload)
        if data is None:
            raise GatewayUnavailable("Paystack verify answer has no data",
                                     code="invalid_response")
        if data.get("reference") != reference:
            raise WebhookVerificationError("Paystack answered about another reference",
                                           code="reference_mismatch")
        wire.check_domain(account.livemode, data)
        metadata = data.get("metadata")
        if isinstance(metadata, dict) and isinstance(metadata.get("payment_id"), str) \
                and payment_id and metadata["payment_id"] != payment_id:
            log.warning("paystack reference %s belongs to another payment", reference)
            raise WebhookVerificationError("Paystack transaction belongs to another payment",
                                           code="reference_mismatch")
        try:
            return wire.verify_result(reference, data, self.deadline_seconds)
        except ValueError as exc:
            raise GatewayUnavailable(f"Paystack success with an unreadable amount: {exc}",
                                     code="invalid_response") from exc

    def parse_notification(self, account: Account, headers: Mapping[str, str],
                           body: bytes) -> Notification:
        """Verify and read a Paystack webhook (3.5). ``x-paystack-signature`` must be the
        hex HMAC-SHA512 of the raw body keyed by the account's secret key (compared in
        constant time); with ``allowed_ips`` in the credentials, the sender's address
        (``X-Checkout-Client-Address``, set by our receiver) must be one of them.
        ``charge.success`` -> a verified succeeded result (or none, to be confirmed by
        verify, when its amount cannot be read); ``refund.*`` -> a RefundUpdate. Raises
        WebhookVerificationError (signature, address, shape, or another mode's
        ``domain``) and GatewayNotSupported for events we do not act on."""
        return notifications.parse(self._key(account), account.livemode,
                                   (account.credentials or {}).get("allowed_ips"), headers, body)

    def refund(self, account: Account, provider_reference: str, amount: int, currency: str,
               reason: str | None, refund_id: str, receipt: str | None = None) -> RefundResult:
        """Ask Paystack to refund ``amount`` of a payment (3.6). Returns pending (Paystack
        queues refunds) with the refund's id as provider reference, or failed with
        Paystack's words for a documented refusal (balance, fully reversed, amount,
        unknown transaction). Raises GatewayAuthError and GatewayUnavailable."""
        reference = wire.valid_reference(provider_reference)
        if reference is None:
            return RefundResult(status="failed", failure_message="Not a Paystack reference.")
        body = {"transaction": reference, "amount": wire.to_subunits(amount, currency)}
        if reason:
            body["merchant_note"] = scrub(reason, 200)
        try:
            payload, _status = self._call(account, self._key(account), "POST", "/refund",
                                          "refund", body)
        except GatewayDeclined as exc:     # a 4xx refusal: nothing was queued
            return RefundResult(status="failed",
                                failure_message=exc.message.removeprefix("Paystack: "))
        data = wire.data_of(payload) or {}
        own = data.get("id")
        own = str(own) if isinstance(own, int) and not isinstance(own, bool) else None
        return RefundResult(status=wire.refund_status(wire.status_word(data)),
                            provider_reference=own)

    def fetch_refund(self, account: Account, refund_reference: str | None,
                     payment_reference: str, refund_id: str) -> RefundResult:
        """Where a refund stands (``GET /refund/{id}``, 3.6): processed -> succeeded,
        failed -> failed, anything else -> pending. Raises GatewayNotSupported without a
        refund id (only the webhooks can tell), WebhookVerificationError when the refund
        is of another transaction or mode, GatewayDeclined("unknown_refund"),
        GatewayAuthError, GatewayUnavailable."""
        if not (isinstance(refund_reference, str) and refund_reference.isdigit()
                and len(refund_reference) <= 20):
            raise GatewayNotSupported("No Paystack refund id to ask about.",
                                      code="unknown_refund")
        payload, _status = self._call(account, self._key(account), "GET",
                                      f"/refund/{refund_reference}", "fetch_refund")
        data = wire.data_of(payload)
        if data is None:
            raise GatewayUnavailable("Paystack refund answer has no data",
                                     code="invalid_response")
        echoed = data.get("transaction_reference")
        if isinstance(echoed, str) and echoed != payment_reference:
            raise WebhookVerificationError("That refund is of another transaction",
                                           code="reference_mismatch")
        wire.check_domain(account.livemode, data)
        status = wire.refund_status(wire.status_word(data))
        message = None
        if status == "failed":
            message = scrub(provider_text(data) or "Paystack could not process the refund.")
        return RefundResult(status=status, provider_reference=refund_reference,
                            failure_message=message)

    def list_transactions(self, account: Account, since: datetime,
                          until: datetime) -> list[ListedTransaction]:
        """The account's transactions created in ``[since, until)`` (``GET /transaction``
        with ``from``/``to``, every page up to ``listing.MAX_PAGES``; see ``listing``).
        Raises GatewayAuthError, GatewayUnavailable (outage, an answer without a list, or
        more pages than the bound: an incomplete list would report payments missing)."""
        key, found = self._key(account), []
        for page in range(1, listing.MAX_PAGES + 1):
            payload, _status = self._call(
                account, key, "GET",
                f"/transaction?{urlencode(listing.query(since, until, page))}", "list")
            rows = payload.get("data")
            if not isinstance(rows, list):
                raise GatewayUnavailable("Paystack list answer has no data list",
                                         code="invalid_response")
            found += [t for t in (listing.listed(row, account.livemode) for row in rows)
                      if t is not None and since <= t.created_at < until]
            count = listing.page_count(payload)
            if not rows or (count is not None and page >= count) or \
                    (count is None and len(rows) < listing.PER_PAGE):
                return found
        raise GatewayUnavailable("Paystack listing longer than we read",
                                 code="listing_too_long")

    def test_credentials(self) -> dict[str, str]:
        """A random test secret key, as Paystack's dashboard issues (``sk_test_...``)."""
        return {"secret_key": "sk_test_" + secrets.token_hex(20)}

    def register_test_account(self, account: Account,
                              timeout: tuple[float, float]) -> str | None:
        """PUT the account (its secret key and our notification URL) to the simulator's
        ``/_sim/accounts/<id>``, the id derived from the key. Returns the id; raises
        GatewayUnavailable when the simulator is unreachable, GatewayError when it
        refuses the account."""
        key = self._key(account)
        account_id = "acct_" + hashlib.sha256(key.encode()).hexdigest()[:16]
        resp = http.session("simulator-admin", timeout=timeout).put(
            f"{_base(account)}/_sim/accounts/{account_id}",
            json={"secret_key": key, "webhook_url": account.notify_url})
        if resp.status_code not in (200, 201):
            raise GatewayError(f"the simulator refused the account ({resp.status_code})")
        return account_id

    # -- helpers --------------------------------------------------------------------------
    def _initialize(self, account, key, request, reference, email):
        body = wire.initialize_body(request, reference, email, CHANNELS[request.currency])
        payload, status = self._call(account, key, "POST", "/transaction/initialize",
                                     "initiate", body)
        data = wire.data_of(payload) or {}
        url = wire.redirect_url(data.get("authorization_url"), account.livemode)
        if url is None or data.get("reference") not in (None, reference):
            # Accepted, but nothing we can send the shopper to: the transaction exists.
            raise GatewayUnavailable("Paystack initialize answer without a usable "
                                     "authorization_url", outcome_unknown=True,
                                     code="invalid_response", http_status=status)
        return GatewayResult(status="pending", provider_reference=reference,
                             next_action=NextAction(type="redirect", url=url),
                             raw={"reference": reference,
                                  "access_code": scrub(data.get("access_code") or "", 64)})

    def _call(self, account, key, method, path, operation, body=None):
        """One Paystack call; returns (decoded JSON, HTTP status) for 2xx (and for a 4xx
        charge/submit answer that carries a charge state), else raises error_for."""
        resp = http.session("paystack", timeout=TIMEOUT).request(
            method, f"{_base(account)}{path}", json=body,
            headers={"Authorization": f"Bearer {key}", "Accept": "application/json"})
        try:
            payload = resp.json(parse_float=Decimal)
        except (ValueError, RecursionError):
            payload = resp.text[:2000] if resp.text else None
        charge = wire.data_of(payload)
        if operation in ("initiate", "submit_step") and charge and wire.status_word(charge) \
                and (200 <= resp.status_code < 300 or resp.status_code in (400, 402, 422)):
            return payload, resp.status_code        # a charge state, even on a refusal
        if 200 <= resp.status_code < 300:
            if not isinstance(payload, dict) or payload.get("status") is False:
                raise GatewayUnavailable("Paystack answered 2xx without success",
                                         code="invalid_response", http_status=resp.status_code,
                                         outcome_unknown=operation != "status")
            return payload, resp.status_code
        raise error_for(resp.status_code, payload, operation)

    @staticmethod
    def _key(account):
        key = (account.credentials or {}).get("secret_key")
        if not (isinstance(key, str) and key.strip().startswith("sk_")):
            raise GatewayAuthError("The Paystack account needs a secret key (sk_...).")
        return key.strip()


def _base(account):
    return account.base_url.rstrip("/")
