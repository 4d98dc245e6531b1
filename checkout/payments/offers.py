"""Which ways to pay a checkout offers: the gateways' methods, filtered by the merchant's
enabled accounts, the currency, the country, the amount limits and the checkout's list."""
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from checkout.extensions import db
from checkout.gateways import all_methods
from checkout.gateways.base import Method
from checkout.models import Checkout, GatewayAccount


@dataclass(frozen=True)
class Offer:
    method: Method
    account_id: int


def enabled_accounts(merchant_id: int, livemode: bool) -> Sequence[GatewayAccount]:
    return db.session.execute(
        db.select(GatewayAccount).where(GatewayAccount.merchant_id == merchant_id,
                                        GatewayAccount.livemode == livemode,
                                        GatewayAccount.enabled.is_(True))
    ).scalars().all()


def method_fits(method: Method, currency: str, amount: int, country: str | None = None) -> bool:
    """Whether ``method`` can take this amount in this currency (and country, if given)."""
    if method.currencies and currency not in method.currencies:
        return False
    if country and method.country and method.country != country:
        return False
    if amount < method.min_amount or (method.max_amount and amount > method.max_amount):
        return False
    return amount % method.amount_step == 0


def offers_for(checkout: Checkout,
               accounts: Iterable[GatewayAccount] | None = None) -> list[Offer]:
    """The methods the shopper may pick for ``checkout``, in catalog order."""
    accounts = accounts if accounts is not None else enabled_accounts(checkout.merchant_id,
                                                                      checkout.livemode)
    catalog = all_methods()
    allowed = set(checkout.methods) if checkout.methods else None
    out = []
    for account in accounts:
        for code in account.methods:
            method = catalog.get(code)
            if method is None or method.gateway != account.gateway:
                continue
            if allowed is not None and code not in allowed:
                continue
            if method_fits(method, checkout.currency, checkout.amount, checkout.country):
                out.append(Offer(method, account.id))
    order = list(catalog)
    out.sort(key=lambda o: order.index(o.method.code))
    return _one_per_operator(out)


def _one_per_operator(offers: list[Offer]) -> list[Offer]:
    """One mobile-money offer per operator and country: when two gateways reach the same
    wallets (Daraja's and Paystack's M-Pesa), the shopper sees one choice, the first in
    catalog order. A checkout that lists its methods may name the other one."""
    seen, out = set(), []
    for offer in offers:
        m = offer.method
        if m.kind == "mobile_money":
            key = (m.operator_key, m.country)
            if key in seen:
                continue
            seen.add(key)
        out.append(offer)
    return out
