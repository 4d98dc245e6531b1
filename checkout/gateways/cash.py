"""Cash on delivery: nothing happens online. The attempt stays pending until the
merchant confirms the cash was received (API now, dashboard later)."""
from .base import Account, Gateway, GatewayResult, Method, NextAction, PaymentRequest


class CashOnDelivery(Gateway):
    name = "cod"
    methods = {"cod": Method("cod", "cod", "cash", "Cash on delivery", None, ())}
    poll_schedule = ()          # nobody to ask: the merchant confirms
    deadline_seconds = None     # cash may take days to arrive
    notifications_need_confirmation = False
    confirmed_by_merchant = True

    def initiate(self, account: Account, request: PaymentRequest) -> GatewayResult:
        """Accept the order for cash payment; nothing is sent anywhere."""
        return GatewayResult(status="pending", provider_reference=None,
                             next_action=NextAction(type="cash_on_delivery"))

    def fetch_status(self, account: Account, provider_reference: str,
                     payment_id: str) -> GatewayResult:
        """Cash has no provider to ask: the attempt is pending until confirmed."""
        return GatewayResult(status="pending", provider_reference=provider_reference)
