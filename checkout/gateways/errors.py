"""Typed gateway failures. Adapters raise these; nothing returns an error flag."""
from typing import Any


class GatewayError(Exception):
    """Base of every gateway failure. ``code`` is a stable snake_case reason."""

    code = "gateway_error"
    retryable = False

    def __init__(self, message: str = "", code: str | None = None,
                 retryable: bool | None = None, http_status: int | None = None) -> None:
        super().__init__(message or self.__class__.__name__)
        self.message = message
        if code:
            self.code = code
        if retryable is not None:
            self.retryable = retryable
        self.http_status = http_status


class GatewayDeclined(GatewayError):
    """The provider refused this payment (bad number, limits, funds...). Not retryable as is."""

    code = "declined"


class GatewayUnavailable(GatewayError):
    """The provider could not be reached or failed (5xx, timeout). Nothing was debited
    unless ``outcome_unknown`` is set (a timeout after the request was sent)."""

    code = "gateway_unavailable"
    retryable = True

    def __init__(self, message: str = "", outcome_unknown: bool = False, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.outcome_unknown = outcome_unknown


class GatewayAuthError(GatewayError):
    """Our credentials were refused: a configuration problem for the merchant."""

    code = "gateway_auth_failed"


class GatewayNotSupported(GatewayError):
    """The gateway cannot do this (a refund, a currency, a method)."""

    code = "not_supported"


class WebhookVerificationError(GatewayError):
    """An incoming notification failed verification; act on nothing in it."""

    code = "webhook_verification_failed"
