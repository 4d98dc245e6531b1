"""M-Pesa Kenya through Safaricom Daraja (Lipa Na M-Pesa Online, "M-Pesa Express"): STK
push, STK query, the unsigned STK callback, and refunds through the Reversal API. Wire
facts: providers.md 4 and Safaricom's Reversal page.

Shape: "push then poll". ``initiate`` sends the STK push and returns pending with the
``CheckoutRequestID`` and ``approve_on_phone``; ``fetch_status`` is the STK query, the
only proof (it names no amount: ``status_has_amount = False``); the callback is unsigned,
so its result is confirmed by a query (``notifications_need_confirmation``). A reversal
is asynchronous and full-amount only: ``refund`` returns pending with the
OriginatorConversationID, and the Result POSTed to our URL settles it as is
(``refund_results_trusted``: no call can confirm it).

Credentials: ``consumer_key``, ``consumer_secret`` (OAuth), ``shortcode`` (the paybill,
or the store / head-office number of a till), ``passkey``, ``account_type``
(``paybill`` | ``till``), ``till_number`` (PartyB of a till), ``initiator_name``,
``initiator_password`` and ``certificate`` (Safaricom's public certificate; reversals),
optional ``allowed_ips`` (comma separated callback sources).
"""
import secrets
from collections.abc import Mapping
from dataclasses import dataclass

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
from checkout.gateways.text import scrub

from . import client, notifications, wire
from .errors import error_for, is_being_processed
from .keys import SANDBOX_PASSKEY, SANDBOX_SHORTCODE, TEST_CERTIFICATE

NAME = "mpesa_ke"
STK_PUSH = "/mpesa/stkpush/v1/processrequest"
STK_QUERY = "/mpesa/stkpushquery/v1/query"
REVERSAL = "/mpesa/reversal/v1/request"
MAX_SHILLINGS = 250_000     # per transaction (UNCONFIRMED: Safaricom's current limit)


@dataclass(frozen=True)
class Keys:
    consumer_key: str
    consumer_secret: str
    shortcode: str
    passkey: str
    account_type: str
    till_number: str | None


class MpesaKenya(Gateway):
    name = NAME
    methods = {
        "mpesa_ke": Method("mpesa_ke", NAME, "mobile_money", "M-Pesa", "KE", ("KES",),
                           min_amount=100, max_amount=MAX_SHILLINGS * 100, needs_phone=True,
                           operator="safaricom", amount_step=100),
    }
    test_base_path = "/daraja"
    live_base_url = "https://api.safaricom.co.ke"
    # Daraja advises polling every 5-10 s and spike-arrests more; the prompt lives about a
    # minute (1037/1019 after), so an attempt still pending after 3 min is dead (the
    # margin lets a late callback or query land first).
    poll_schedule = (5, 5, 10, 10, 15, 30)
    # Daraja spike-arrests bursts of calls (providers.md 4.5): at most this many STK
    # queries per second per account, shared by every worker (a Redis token bucket).
    status_calls_per_second = 20.0   # Safaricom publishes no figure: a guess, see README
    deadline_seconds = 180
    notifications_need_confirmation = True      # unsigned callbacks: confirm by STK query
    status_has_amount = False                   # the STK query names no amount
    supports_refund = True                      # the Reversal API
    partial_refunds = False                     # a reversal is of the whole transaction
    refund_results_trusted = True               # the Result to our ResultURL is final

    def initiate(self, account: Account, request: PaymentRequest) -> GatewayResult:
        """Send the STK push (4.3) and return pending with the CheckoutRequestID as
        provider reference and ``approve_on_phone``. ``ResponseCode "0"`` only means
        accepted: the query or the callback tells the outcome.

        Raises GatewayNotSupported (method, currency), GatewayDeclined (phone, amount,
        "subscriber_busy": Daraja could not lock the subscriber because a prompt is already
        open on that phone -- the shopper should wait about a minute), GatewayAuthError
        (keys, password or shortcode refused), GatewayUnavailable ("rate_limited" on
        spike arrest -- retry later, not at once; outages; ``outcome_unknown`` on a read
        timeout or an accepted answer we cannot read)."""
        if request.method not in self.methods:
            raise GatewayNotSupported(f"{request.method!r} is not an M-Pesa Kenya method.",
                                      code="method_not_supported")
        if request.currency != "KES":
            raise GatewayNotSupported("M-Pesa Kenya takes KES only.",
                                      code="currency_not_supported")
        if wire.whole_shillings(request.amount) > MAX_SHILLINGS:
            raise GatewayDeclined("Above M-Pesa's limit per transaction.",
                                  code="amount_out_of_limits")
        keys = self._keys(account)
        if keys.account_type == "till" and not keys.till_number:
            raise GatewayAuthError("An M-Pesa till account needs its till_number.",
                                   code="shop_not_configured")
        body = wire.stk_body(keys.shortcode, keys.passkey, keys.account_type,
                             keys.till_number, request, account.notify_url)
        payload, status = client.call(account, keys.consumer_key, keys.consumer_secret,
                                      STK_PUSH, body, "initiate")
        payload = payload if isinstance(payload, dict) else {}
        code = wire.result_code(payload.get("ResponseCode"))
        reference = wire.valid_reference(payload.get("CheckoutRequestID"))
        if code not in (None, "0"):
            text = scrub(payload.get("ResponseDescription") or f"ResponseCode {code}")
            raise GatewayDeclined(f"Daraja: {text}", code="declined", http_status=status)
        if code is None or reference is None:
            raise GatewayUnavailable("Daraja accepted the push without a usable "
                                     "CheckoutRequestID", code="invalid_response",
                                     outcome_unknown=True, http_status=status)
        raw = {"CheckoutRequestID": reference, "ResponseCode": code,
               "MerchantRequestID": wire.valid_reference(payload.get("MerchantRequestID"))}
        return GatewayResult(status="pending", provider_reference=reference, currency="KES",
                             next_action=NextAction(type="approve_on_phone"),
                             raw={k: v for k, v in raw.items() if v})

    def fetch_status(self, account: Account, provider_reference: str,
                     payment_id: str) -> GatewayResult:
        """The STK query (4.5), with a fresh password and timestamp.

        HTTP 500 "500.001.1001 The transaction is being processed" (and an answer
        without ResultCode) -> pending; ResultCode "0" -> succeeded (no amount: the one
        our push fixed); any other code -> failed with its failure code. Raises
        GatewayUnavailable("rate_limited") on spike arrest -- the poller must back off
        (Daraja advises 5-10 s between queries) --, GatewayDeclined("unknown_reference",
        retryable) for a CheckoutRequestID Daraja does not know, WebhookVerificationError
        when the answer is about another request, GatewayAuthError."""
        reference = wire.valid_reference(provider_reference)
        if reference is None:
            raise GatewayDeclined("Not a CheckoutRequestID.", code="unknown_reference",
                                  retryable=True)
        keys = self._keys(account)
        payload, status = client.call(account, keys.consumer_key, keys.consumer_secret,
                                      STK_QUERY,
                                      wire.query_body(keys.shortcode, keys.passkey, reference),
                                      "status", raise_for=False)
        if is_being_processed(status, payload):
            return GatewayResult(status="pending", provider_reference=reference,
                                 raw={"CheckoutRequestID": reference,
                                      "errorCode": "500.001.1001"})
        if not 200 <= status < 300:
            raise error_for(status, payload, "status")
        payload = payload if isinstance(payload, dict) else {}
        echoed = payload.get("CheckoutRequestID")
        if echoed is not None and echoed != reference:
            raise WebhookVerificationError("Daraja answered about another request",
                                           code="reference_mismatch")
        code = wire.result_code(payload.get("ResultCode"))
        desc = payload.get("ResultDesc")
        message = scrub(desc) if isinstance(desc, str) and desc.strip() else None
        raw = {k: v for k, v in {"CheckoutRequestID": reference, "ResultCode": code,
                                 "ResultDesc": message}.items() if v}
        if code is None:
            return GatewayResult(status="pending", provider_reference=reference, raw=raw)
        if code == "0":
            return GatewayResult(status="succeeded", provider_reference=reference,
                                 currency="KES", raw=raw)
        return GatewayResult(status="failed", provider_reference=reference, currency="KES",
                             failure_code=wire.failure_code(code),
                             failure_message=message or f"M-Pesa result {code}", raw=raw)

    def parse_notification(self, account: Account, headers: Mapping[str, str],
                           body: bytes) -> Notification:
        """Read an STK callback (4.4) or a reversal Result (see notifications.parse).
        Nothing is signed: with ``allowed_ips`` the sender's address
        (``X-Checkout-Client-Address``) must be listed; the payment result is confirmed
        by an STK query, the refund result is matched on its OriginatorConversationID.
        Raises WebhookVerificationError (address, size, JSON, shape)."""
        return notifications.parse((account.credentials or {}).get("allowed_ips"),
                                   headers, body)

    def refund(self, account: Account, provider_reference: str, amount: int, currency: str,
               reason: str | None, refund_id: str, receipt: str | None = None) -> RefundResult:
        """Reverse the whole payment (Reversal API): ``TransactionID`` is the payment's
        M-Pesa receipt, ``SecurityCredential`` the initiator's password RSA-encrypted
        with the account's certificate. Returns pending with the OriginatorConversationID
        (the Result POSTed to our URL settles it), or failed when Daraja refuses the
        request. Raises GatewayNotSupported (no receipt known, not KES),
        GatewayAuthError (keys, initiator or certificate missing or refused),
        GatewayUnavailable (outage, spike arrest, an answer we cannot read)."""
        if not receipt or wire.receipt_of(receipt) is None:
            raise GatewayNotSupported("This M-Pesa payment has no M-Pesa receipt number "
                                      "on record, so it cannot be reversed through the API: "
                                      "reverse it from the M-Pesa portal.", code="no_receipt")
        if currency != "KES":
            raise GatewayNotSupported("M-Pesa Kenya refunds KES only.",
                                      code="currency_not_supported")
        try:
            shillings = wire.whole_shillings(amount)
        except GatewayDeclined as exc:
            return RefundResult(status="failed", failure_message=exc.message)
        keys, creds = self._keys(account), account.credentials or {}
        initiator, secret = creds.get("initiator_name"), creds.get("initiator_password")
        certificate = creds.get("certificate")
        if not (initiator and secret and certificate):
            raise GatewayAuthError("Reversals need the account's initiator_name, "
                                   "initiator_password and certificate.",
                                   code="shop_not_configured")
        body = wire.reversal_body(str(initiator), wire.security_credential(str(secret),
                                                                           str(certificate)),
                                  wire.receipt_of(receipt), shillings, keys.shortcode,
                                  account.notify_url, reason, refund_id)
        try:
            payload, status = client.call(account, keys.consumer_key, keys.consumer_secret,
                                          REVERSAL, body, "refund")
        except GatewayDeclined as exc:      # a refusal: nothing was queued
            return RefundResult(status="failed",
                                failure_message=exc.message.removeprefix("Daraja: "))
        payload = payload if isinstance(payload, dict) else {}
        code = wire.result_code(payload.get("ResponseCode"))
        reference = wire.valid_reference(payload.get("OriginatorConversationID"))
        if code not in (None, "0"):
            text = scrub(payload.get("ResponseDescription") or f"ResponseCode {code}")
            return RefundResult(status="failed", failure_message=text)
        if reference is None:
            raise GatewayUnavailable("Daraja accepted the reversal without an "
                                     "OriginatorConversationID", code="invalid_response",
                                     outcome_unknown=True, http_status=status)
        return RefundResult(status="pending", provider_reference=reference)

    def fetch_refund(self, account: Account, refund_reference: str | None,
                     payment_reference: str, refund_id: str) -> RefundResult:
        """Daraja has no synchronous reversal status: only the Result POSTed to our
        ResultURL tells (a Transaction Status query answers asynchronously too)."""
        raise GatewayNotSupported("Daraja reports reversals only to the ResultURL.",
                                  code="not_supported")

    def test_credentials(self) -> dict[str, str]:
        """Made-up consumer key and secret, Safaricom's public sandbox shortcode and
        passkey, a paybill account, an initiator, and the simulator's certificate."""
        return {"consumer_key": secrets.token_hex(24), "consumer_secret": secrets.token_hex(16),
                "shortcode": SANDBOX_SHORTCODE, "passkey": SANDBOX_PASSKEY,
                "account_type": "paybill", "initiator_name": "testapi",
                "initiator_password": "Sim-" + secrets.token_urlsafe(12),
                "certificate": TEST_CERTIFICATE}

    def register_test_account(self, account: Account,
                              timeout: tuple[float, float]) -> str | None:
        """PUT the account's keys to the simulator's ``/_sim/accounts/<consumer key>``
        (what Safaricom's portal holds). Daraja has no per-account callback URL: each
        push names its own CallBackURL. Returns the id; raises GatewayUnavailable
        (simulator unreachable) or GatewayError (refused)."""
        keys, creds = self._keys(account), account.credentials or {}
        body = {"consumer_key": keys.consumer_key, "consumer_secret": keys.consumer_secret,
                "shortcode": keys.shortcode, "passkey": keys.passkey,
                "account_type": keys.account_type, "till_number": keys.till_number,
                "initiator_name": creds.get("initiator_name"),
                "initiator_password": creds.get("initiator_password")}
        resp = http.session("simulator-admin", timeout=timeout).put(
            f"{client.base_of(account)}/_sim/accounts/{keys.consumer_key}", json=body)
        if resp.status_code not in (200, 201):
            raise GatewayError(f"the simulator refused the account ({resp.status_code})")
        return keys.consumer_key

    @staticmethod
    def _keys(account: Account) -> Keys:
        creds = account.credentials or {}
        values = {k: str(creds.get(k) or "").strip() for k in (
            "consumer_key", "consumer_secret", "shortcode", "passkey", "account_type",
            "till_number")}
        if not (values["consumer_key"].isascii() and values["consumer_key"].isalnum()
                and values["consumer_secret"] and values["passkey"]
                and wire.SHORTCODE_RE.fullmatch(values["shortcode"])):
            raise GatewayAuthError("The M-Pesa account needs its consumer key and secret, "
                                   "shortcode and passkey.", code="shop_not_configured")
        kind = values["account_type"].lower() or "paybill"
        if kind not in ("paybill", "till"):
            raise GatewayAuthError("account_type must be paybill or till.",
                                   code="shop_not_configured")
        till = values["till_number"] or None
        if till is not None and not wire.SHORTCODE_RE.fullmatch(till):
            raise GatewayAuthError("till_number must be 5 to 7 digits.",
                                   code="shop_not_configured")
        return Keys(values["consumer_key"], values["consumer_secret"], values["shortcode"],
                    values["passkey"], kind, till)
