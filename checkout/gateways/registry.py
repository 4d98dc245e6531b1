"""The gateway registry: one line per provider package, and the lookups built on it."""
from .base import Gateway, Method
from .cash import CashOnDelivery
from .chapa import Chapa
from .errors import GatewayNotSupported
from .feexpay import FeexPay
from .mpesa_ke import MpesaKenya
from .mpesa_mz import MpesaMz
from .paystack import Paystack

# Catalog order: the hosted page lists methods in this order, and when two gateways offer
# one operator in one country (M-Pesa Kenya: Daraja's and Paystack's), the first one here
# is shown (payments.offers). Add a gateway here.
GATEWAYS: dict[str, Gateway] = {gw.name: gw for gw in (
    FeexPay(), Chapa(), MpesaKenya(), MpesaMz(), Paystack(), CashOnDelivery())}
METHODS: dict[str, Method] = {code: m for gw in GATEWAYS.values() for code, m in gw.methods.items()}


def get_gateway(name: str) -> Gateway:
    """The adapter registered under ``name``; raises GatewayNotSupported if none."""
    try:
        return GATEWAYS[name]
    except KeyError:
        raise GatewayNotSupported(f"unknown gateway {name!r}") from None


def all_gateways() -> dict[str, Gateway]:
    return dict(GATEWAYS)


def all_methods() -> dict[str, Method]:
    """Every method code of every gateway: {code: Method}, in catalog order."""
    return dict(METHODS)
