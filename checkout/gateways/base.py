"""The gateway interface every adapter implements.

Adapters know HTTP and their provider's formats, nothing else: they take and
return the small frozen dataclasses below, never ORM rows or Flask globals, and
fail with the typed errors of ``errors.py``. How each provider's shape maps onto
this interface is written in the README ("Gateway interface").
"""
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from .errors import GatewayNotSupported


class TokenCache(Protocol):
    """A small store shared by every process of the install (Redis), for what an adapter
    may reuse across calls and processes: an OAuth access token until shortly before it
    expires. Best effort: ``get`` answers None when the store is unreachable and ``set``
    then does nothing, so a lost cache costs a token call, never a payment."""

    def get(self, key: str) -> str | None: ...

    def set(self, key: str, value: str, ttl_seconds: int) -> None: ...

    def delete(self, key: str) -> None: ...


@dataclass(frozen=True)
class Account:
    """A merchant's account at a provider, as an adapter needs it."""

    credentials: Mapping[str, str]
    livemode: bool
    base_url: str          # the provider's API root (its simulator in test mode)
    notify_url: str        # our incoming-notification URL for this account
    # Shared by all workers; None in unit tests (an adapter then keeps its own memory).
    cache: TokenCache | None = field(default=None, compare=False)


@dataclass(frozen=True)
class PaymentRequest:
    payment_id: str        # our id; adapters may use it as their merchant reference
    method: str            # a method code of the gateway ("mtn_bj")
    amount: int            # minor units
    currency: str
    phone: str | None      # E.164 ("+2290190000001")
    description: str
    return_url: str        # where a redirect flow sends the shopper back (our page)
    cancel_url: str
    customer_name: str | None = None
    customer_email: str | None = None
    merchant_name: str | None = None   # who is paid, for the provider's page


@dataclass(frozen=True)
class NextAction:
    """What the shopper must do next: approve on the phone, follow a redirect, type an OTP."""

    type: str              # "approve_on_phone" | "redirect" | "otp"
    url: str | None = None
    message: str | None = None


@dataclass(frozen=True)
class GatewayResult:
    """The provider's word on one payment, in our vocabulary."""

    status: str                          # "pending" | "succeeded" | "failed"
    provider_reference: str | None = None
    amount: int | None = None            # minor units, as the provider reports it
    currency: str | None = None
    failure_code: str | None = None
    failure_message: str | None = None
    next_action: NextAction | None = None
    raw: Mapping[str, Any] = field(default_factory=dict)
    # The provider's own transaction id, as the payer's receipt shows it (M-Pesa's
    # "NLJ7RT61SV", Vodacom's output_TransactionID): stored on the payment, and what a
    # reversal needs when it differs from provider_reference.
    receipt: str | None = None
    # The payer's number as the provider reports it (E.164), when it does: an unsigned
    # notification that names another number than ours changes nothing.
    phone: str | None = None


@dataclass(frozen=True)
class RefundUpdate:
    """The provider's word on one refund, as a notification carries it."""

    status: str                          # "pending" | "succeeded" | "failed"
    provider_reference: str | None       # the provider's refund reference, if it has one
    payment_reference: str | None        # the refunded payment's provider reference
    amount: int | None = None            # minor units
    currency: str | None = None
    failure_message: str | None = None


@dataclass(frozen=True)
class Notification:
    """A verified (or to-be-confirmed) notification from a provider."""

    provider_reference: str
    dedup_key: str                       # equal for redeliveries of the same provider event
    result: GatewayResult | None = None  # None: only a status call can tell (unsigned hooks)
    # Our payment id as the provider echoed it (FeexPay callback_info): a hint to find the
    # attempt when no provider reference was stored (initiate timed out). Unverified: the
    # status call must confirm the reference belongs to that payment.
    payment_hint: str | None = None
    # A notification about a refund rather than a payment.
    refund: RefundUpdate | None = None


@dataclass(frozen=True)
class RefundResult:
    status: str                          # "pending" | "succeeded" | "failed"
    provider_reference: str | None = None
    failure_message: str | None = None


@dataclass(frozen=True)
class PayoutRequest:
    """Money sent from the merchant's account to a person (B2C): refunds by transfer,
    marketplace payouts. A capability only today: nothing in the product calls it yet."""

    payout_id: str         # our id; adapters derive their unique references from it
    amount: int            # minor units
    currency: str
    phone: str             # E.164
    description: str


@dataclass(frozen=True)
class PayoutResult:
    status: str                          # "pending" | "succeeded" | "failed"
    provider_reference: str | None = None
    failure_code: str | None = None
    failure_message: str | None = None
    raw: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ListedTransaction:
    """One transaction of a provider's transaction listing, in our vocabulary: what the
    daily comparison of its list with ours reads (``Gateway.list_transactions``)."""

    # The provider's reference of the transaction: our reference when we named it
    # (Paystack's ``reference``), else the provider's own id (Chapa's ``ref_id``), which is
    # what a payment keeps as its receipt.
    provider_reference: str
    payment_id: str | None     # our payment id when the provider echoes it (metadata)
    status: str                # "pending" | "succeeded" | "failed"
    amount: int | None         # minor units; None when the provider's cannot be read
    currency: str | None
    created_at: datetime       # naive UTC, as every stored datetime (core.timeutil)


@dataclass(frozen=True)
class Method:
    """A way to pay: a code, its gateway, where it works and how it is shown."""

    code: str
    gateway: str
    kind: str                  # "mobile_money" | "card" | "cash"
    label: str                 # brand shown to the shopper ("MTN MoMo")
    country: str | None        # ISO country, None = any
    currencies: tuple[str, ...]  # ISO currencies it takes, () = any
    min_amount: int = 0        # minor units
    max_amount: int | None = None
    needs_phone: bool = False
    # The provider requires the shopper's email (Paystack): the page asks for it when the
    # merchant did not give one.
    needs_email: bool = False
    # The mobile-money operator behind the method ("mtn", "mpesa"), when its code does not
    # start with it (paystack_mtn_gh): picks it from the number typed and draws its badge.
    operator: str | None = None
    # The provider takes whole units only (M-Pesa: whole shillings and meticais): an
    # amount in minor units must be a multiple of this to be offered (100 for KES).
    amount_step: int = 1

    @property
    def operator_key(self) -> str:
        """The operator behind the method: what it says, else the start of its code."""
        return self.operator or self.code.split("_", 1)[0]


class Gateway:
    """Base class of adapters. Subclasses set ``name`` and ``methods`` and override what
    their provider supports; the defaults raise GatewayNotSupported."""

    name = ""
    methods: dict[str, Method] = {}
    # The provider's initiate call blocks until the shopper answers (Vodacom MZ):
    # run it in a job and show "approve on your phone" meanwhile.
    initiate_blocks = False
    # Seconds between status polls for a pending attempt (the last one repeats).
    poll_schedule: tuple[int, ...] = (5, 5, 10, 15, 30, 60)
    # Status calls per second one account may make, across every worker (Daraja answers
    # "spike arrest" beyond its rate); None: no limit of ours.
    status_calls_per_second: float | None = None
    # After this many seconds a pending attempt is given up as expired.
    deadline_seconds: int | None = 30 * 60
    # A notification proves nothing by itself: confirm with fetch_status.
    notifications_need_confirmation = True
    test_base_path = ""       # where its simulator is mounted ("/feexpay")
    live_base_url = ""
    # The provider has a refund (or reversal) API: ``refund`` works.
    supports_refund = False
    # Nothing online tells the outcome (cash on delivery): the merchant confirms that the
    # money arrived, nothing polls, and the shopper is told how to pay on delivery.
    confirmed_by_merchant = False
    # A refund may be less than what is left of the payment (Daraja's reversal is
    # full-amount only: a partial refund is refused before any call).
    partial_refunds = True
    # The status call names the amount paid. When it does not (Daraja's STK query), a
    # success it reports is for the amount our initiate call fixed: the shopper could not
    # change it. An unsigned notification's amount is still checked against ours.
    status_has_amount = True
    # A refund notification that matches a refund reference only the provider and we
    # know is final as it stands (Daraja's reversal result to our ResultURL: there is no
    # synchronous status call to confirm it with). Otherwise it is confirmed with
    # ``fetch_refund`` when notifications need confirmation.
    refund_results_trusted = False
    # The adapter can send money to a phone (``payout``).
    supports_payout = False
    # The provider lists an account's transactions (``list_transactions``): a daily job
    # compares that list with our payments (jobs.reconcile_lists).
    lists_transactions = False

    def test_credentials(self) -> dict[str, str]:
        """Made-up credentials for a new test-mode account at this gateway's simulator."""
        return {}

    def register_test_account(self, account: Account, timeout: tuple[float, float]) -> str | None:
        """Tell this gateway's simulator about a test-mode account (what the provider's
        dashboard does for a real one: keys, our notification URL). Returns the
        simulator's id of the account, or None when there is nothing to register.
        Raises GatewayUnavailable (simulator unreachable) or GatewayError (refused)."""
        return None

    def reference_before_call(self, payment_id: str) -> str | None:
        """The provider reference of this attempt when it is ours and known before the
        initiate call (Vodacom's ThirdPartyReference). It is stored before the call, so a
        call cut off (timeout, worker killed) leaves an attempt that the status call can
        settle, and the attempt is never sent twice. None: the provider names it."""
        return None

    def initiate(self, account: Account, request: PaymentRequest) -> GatewayResult:
        """Start a payment. Returns the first known result (usually pending, with a
        provider reference and a next action). Raises GatewayDeclined, GatewayUnavailable,
        GatewayAuthError."""
        raise GatewayNotSupported(f"{self.name} cannot start payments")

    def fetch_status(self, account: Account, provider_reference: str,
                     payment_id: str) -> GatewayResult:
        """Ask the provider where a payment stands (the only proof of payment)."""
        raise GatewayNotSupported(f"{self.name} has no status call")

    def parse_notification(self, account: Account, headers: Mapping[str, str],
                           body: bytes) -> Notification:
        """Verify and parse an incoming notification from its raw bytes. Raises
        WebhookVerificationError on a bad signature or shape; never returns a bool."""
        raise GatewayNotSupported(f"{self.name} sends no notifications")

    def parse_callback(self, account: Account, query: Mapping[str, str]) -> Notification:
        """A provider's GET callback to our notification URL (Chapa's ``callback_url``).
        Never trusted: returns the reference it names, with no result, and the worker
        confirms with ``fetch_status``. Raises WebhookVerificationError on a bad shape."""
        raise GatewayNotSupported(f"{self.name} sends no GET callbacks")

    def submit_step(self, account: Account, provider_reference: str,
                    data: Mapping[str, str]) -> GatewayResult:
        """An extra shopper step mid-payment (an OTP): send it on, return the new state."""
        raise GatewayNotSupported(f"{self.name} has no extra payment step")

    def refund(self, account: Account, provider_reference: str, amount: int, currency: str,
               reason: str | None, refund_id: str, receipt: str | None = None) -> RefundResult:
        """Refund (or reverse) part or all of a succeeded payment. ``receipt`` is the
        payment's ``GatewayResult.receipt`` when one was reported (a reversal names the
        provider's transaction id). Raises GatewayNotSupported when this payment cannot
        be refunded after all (no receipt known)."""
        raise GatewayNotSupported(f"{self.name} cannot refund through its API")

    def payout(self, account: Account, request: PayoutRequest) -> PayoutResult:
        """Send money to a phone (B2C)."""
        raise GatewayNotSupported(f"{self.name} cannot send payouts")

    def fetch_refund(self, account: Account, refund_reference: str | None,
                     payment_reference: str, refund_id: str) -> RefundResult:
        """Where a pending refund stands at the provider (polling of refunds the provider
        queued). Raises GatewayNotSupported when only notifications can tell."""
        raise GatewayNotSupported(f"{self.name} has no refund status call")

    def list_transactions(self, account: Account, since: datetime,
                          until: datetime) -> list[ListedTransaction]:
        """Every transaction of the account created in ``[since, until)`` (naive UTC), all
        pages read (a bounded number). Raises GatewayAuthError, GatewayUnavailable."""
        raise GatewayNotSupported(f"{self.name} has no transaction listing")
