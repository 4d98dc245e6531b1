"""The method picker: amount, offers, phone pre-selection, languages, input errors."""
import re

from checkout.extensions import db
from checkout.models import Payment

from .conftest import csrf_token


def radios(html):
    return re.findall(r'name="method" value="([a-z_]+)"', html)


def checked(html):
    return re.findall(r'name="method" value="([a-z_]+)" checked', html)


def test_xof_amount_has_no_decimals(client, make_checkout):
    cid = make_checkout(amount=5000, currency="XOF")
    html = client.get(f"/c/{cid}").get_data(as_text=True)
    assert "5,000\xa0F\xa0CFA" in html
    assert "5000.00" not in html and "5,000.00" not in html
    fr = client.get(f"/c/{cid}?lang=fr").get_data(as_text=True)
    assert "5\u202f000\xa0F\xa0CFA" in fr


def test_kes_amount_has_two_decimals(client, make_checkout):
    cid = make_checkout(amount=150000, currency="KES", country="KE")
    html = client.get(f"/c/{cid}").get_data(as_text=True)
    assert "1,500.00" in html


def test_only_methods_for_the_currency_and_country(client, make_checkout):
    bj = client.get(f"/c/{make_checkout(country='BJ')}").get_data(as_text=True)
    assert radios(bj) == ["mtn_bj", "moov_bj", "celtiis_bj", "coris_bj", "cod"]
    ci = client.get(f"/c/{make_checkout(country='CI')}").get_data(as_text=True)
    assert set(radios(ci)) == {"mtn_ci", "moov_ci", "orange_ci", "wave_ci", "cod"}
    xaf = client.get(f"/c/{make_checkout(currency='XAF', country='CG')}").get_data(as_text=True)
    assert radios(xaf) == ["mtn_cg", "cod"]
    # Kenya: M-Pesa once (Daraja's: first in the catalog, Paystack's hidden behind it)
    # with the phone field, Paystack's card page, cash.
    kes = client.get(f"/c/{make_checkout(currency='KES', amount=150000, country='KE')}")
    kes = kes.get_data(as_text=True)
    assert radios(kes) == ["mpesa_ke", "paystack_card", "cod"]
    assert 'name="phone"' in kes and 'name="email"' in kes
    # A checkout naming Paystack's M-Pesa gets it.
    named = make_checkout(currency="KES", amount=150000, country="KE",
                          methods=["paystack_mpesa_ke", "cod"])
    assert radios(client.get(f"/c/{named}").get_data(as_text=True)) == \
        ["paystack_mpesa_ke", "cod"]
    # Mozambique: Vodacom's M-Pesa and cash; no email field (nobody needs it).
    mzn = client.get(f"/c/{make_checkout(currency='MZN', amount=150000, country='MZ')}")
    mzn = mzn.get_data(as_text=True)
    assert radios(mzn) == ["mpesa_mz", "cod"]
    assert 'name="phone"' in mzn and 'name="email"' not in mzn
    # Whole meticais only: 1,500.50 MT leaves cash alone.
    cents = client.get(f"/c/{make_checkout(currency='MZN', amount=150050, country='MZ')}")
    assert radios(cents.get_data(as_text=True)) == ["cod"]


def test_checkout_method_list_restricts_the_picker(client, make_checkout):
    html = client.get(f"/c/{make_checkout(methods=['moov_bj', 'cod'])}").get_data(as_text=True)
    assert radios(html) == ["moov_bj", "cod"]


def test_other_countries_are_folded_away(client, make_checkout, make_merchant):
    """Without a checkout country, the merchant's country leads; the rest of the XOF
    methods sit in closed per-country sections."""
    cid = make_checkout(country=None)
    html = client.get(f"/c/{cid}").get_data(as_text=True)
    main, _sep, rest = html.partition("<details")
    assert "mtn_bj" in main and "mtn_ci" not in main
    assert "mtn_ci" in rest and "Mobile money from Côte d’Ivoire" in rest
    assert "+229" in main


def test_operator_preselected_from_customer_phone(client, make_checkout):
    moov = make_checkout(customer={"phone": "+2290195123456"})
    assert checked(client.get(f"/c/{moov}").get_data(as_text=True)) == ["moov_bj"]
    # The former 8-digit form is upgraded before the prefix is read.
    mtn = make_checkout(customer={"phone": "90000001"})
    assert checked(client.get(f"/c/{mtn}").get_data(as_text=True)) == ["mtn_bj"]
    nobody = make_checkout()
    assert checked(client.get(f"/c/{nobody}").get_data(as_text=True)) == []


def test_customer_phone_is_not_printed(client, make_checkout):
    cid = make_checkout(customer={"phone": "+2290190000001"})
    html = client.get(f"/c/{cid}").get_data(as_text=True)
    assert "90000001" not in html and "0190000001" not in html


def test_prefix_table_for_typing(client, make_checkout):
    html = client.get(f"/c/{make_checkout()}").get_data(as_text=True)
    assert 'data-cc="229"' in html
    ops = re.search(r'data-ops="([^"]+)"', html).group(1).replace("&#34;", '"')
    assert '"mtn_bj": "0142 0146' in ops and "0190" in ops and "0195" not in ops.split(
        '"mtn_bj"')[1]


def test_language_from_browser_and_from_link(client, make_checkout):
    cid = make_checkout()
    fr = client.get(f"/c/{cid}", headers={"Accept-Language": "fr-FR,fr;q=0.9"})
    html = fr.get_data(as_text=True)
    assert '<html lang="fr">' in html and "Payer 5" in html and "Paiement à la livraison" in html
    pt = client.get(f"/c/{cid}?lang=pt", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert '<html lang="pt">' in pt and "Pagar 5" in pt
    # Remembered in the session for the next page.
    again = client.get(f"/c/{cid}", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert '<html lang="pt">' in again
    assert f'href="/c/{cid}?lang=en"' in again


def test_merchant_locale_beats_the_browser(client, make_checkout):
    cid = make_checkout(locale="fr")
    html = client.get(f"/c/{cid}", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert '<html lang="fr">' in html


def post_pay(client, cid, **data):
    token = csrf_token(client.get(f"/c/{cid}").get_data(as_text=True))
    return client.post(f"/c/{cid}/pay", data={"csrf_token": token, **data})


def attempts():
    return db.session.execute(db.select(Payment)).scalars().all()


def test_wrong_phone_shows_the_page_again_with_the_input(client, make_checkout):
    cid = make_checkout()
    resp = post_pay(client, cid, method="mtn_bj", phone="12ab")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 400
    assert 'class="error" id="phone-error"' in html and 'aria-invalid="true"' in html
    assert 'value="12ab"' in html
    # The language links lead to the page again, not to a re-sent form.
    assert f'href="/c/{cid}?lang=fr"' in html
    assert checked(html) == ["mtn_bj"]
    assert attempts() == []


def test_phone_errors_are_specific_and_translated(client, make_checkout):
    cid = make_checkout()
    empty = post_pay(client, cid, method="mtn_bj", phone="").get_data(as_text=True)
    assert "Enter your mobile money number." in empty
    foreign = post_pay(client, cid, method="mtn_bj", phone="+33612345678").get_data(as_text=True)
    assert "not from the country" in foreign
    short = post_pay(client, cid, method="mtn_bj", phone="0190").get_data(as_text=True)
    assert "not valid" in short
    client.get(f"/c/{cid}?lang=fr")
    fr = post_pay(client, cid, method="mtn_bj", phone="").get_data(as_text=True)
    assert "Saisissez votre numéro Mobile Money." in fr
    assert attempts() == []


def test_no_method_chosen_or_unknown_method(client, make_checkout):
    cid = make_checkout(methods=["mtn_bj", "moov_bj"])
    none = post_pay(client, cid, phone="0190000001")
    assert none.status_code == 400 and "Choose a way to pay." in none.get_data(as_text=True)
    other = post_pay(client, cid, method="orange_ci", phone="0190000001")
    assert other.status_code == 400 and "Choose a way to pay." in other.get_data(as_text=True)
    assert attempts() == []


def test_no_offer_at_all(client, make_checkout):
    cid = make_checkout(currency="EUR", amount=1000, methods=["mtn_bj"])
    html = client.get(f"/c/{cid}").get_data(as_text=True)
    assert "No way to pay is available" in html and "pay-form" not in html
