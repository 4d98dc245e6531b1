import pytest

from checkout.core.phones import PhoneError, guess_operator, mask_phone, normalize


@pytest.mark.parametrize("raw,country,e164", [
    ("0190000001", "BJ", "+2290190000001"),
    ("01 90 00 00 01", "BJ", "+2290190000001"),
    ("+229 01 97 44 48 93", "BJ", "+2290197444893"),
    ("2290197444893", "BJ", "+2290197444893"),
    ("00229 0197444893", "BJ", "+2290197444893"),
    ("97444893", "BJ", "+2290197444893"),            # pre-2024 8-digit form upgraded with 01
    ("+229 97 44 48 93", "BJ", "+2290197444893"),
    ("07 97 12 34 56", "CI", "+2250797123456"),
    ("0712345678", "KE", "+254712345678"),
    ("84 123 4567", "MZ", "+258841234567"),
])
def test_normalise_to_e164(raw, country, e164):
    assert normalize(raw, country) == e164


@pytest.mark.parametrize("raw,country", [
    ("", "BJ"), ("123", "BJ"), ("abc", "BJ"), ("+2250797123456", "BJ"), ("0990000001", "BJ"),
    (None, "BJ"), ("1" * 40, "BJ"),
])
def test_invalid_numbers_are_refused(raw, country):
    with pytest.raises(PhoneError):
        normalize(raw, country)


@pytest.mark.parametrize("e164,operator", [
    ("+2290190000001", "mtn"), ("+2290166000000", "mtn"), ("+2290145000002", "moov"),
    ("+2290199000000", "moov"), ("+2290140000000", "celtiis"), ("+2250797123456", "orange"),
    ("+254712345678", "safaricom"), ("+258841234567", "vodacom"),
])
def test_operator_guessed_from_prefix(e164, operator):
    assert guess_operator(e164) == operator


def test_mask_keeps_prefix_and_last_two_digits():
    assert mask_phone("+2290190000001") == "+229 01 90 ** ** 01"
    assert mask_phone(None) is None
    masked = mask_phone("+254712345678")
    assert masked.startswith("+254") and masked.endswith("78") and "3456" not in masked
