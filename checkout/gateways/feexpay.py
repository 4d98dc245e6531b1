"""FeexPay (v2 API): mobile-money request-to-pay per network, status by reference,
unsigned webhook confirmed by a status call. Wire facts: providers.md section 1."""
from . import register
from .base import Gateway, Method

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


@register
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
