"""The catalogs: every string of the code is extracted, translated in French and
Portuguese, with the same placeholders, and compiled."""
import gettext
import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[1]
TRANSLATIONS = ROOT / "checkout" / "translations"
PLACEHOLDER = re.compile(r"%\([a-z_]+\)s")


def catalog(path, locale=None):
    with open(path, "rb") as fh:
        return read_po(fh, locale=locale)


def ids(cat):
    return {m.id for m in cat if m.id}


def test_template_covers_every_string_in_the_code(tmp_path):
    out = tmp_path / "fresh.pot"
    pybabel = Path(sys.executable).with_name("pybabel")
    subprocess.run([str(pybabel), "extract", "-F", "babel.cfg", "-k", "_l",
                    "-o", str(out), "."], cwd=ROOT, check=True, capture_output=True)
    fresh, committed = ids(catalog(out)), ids(catalog(TRANSLATIONS / "messages.pot"))
    assert fresh - committed == set(), "new strings: re-extract (see babel.cfg)"
    assert committed - fresh == set(), "strings no longer used: re-extract"


@pytest.mark.parametrize("lang", ["fr", "pt", "sw"])
def test_every_string_is_translated(lang):
    template = catalog(TRANSLATIONS / "messages.pot")
    po = catalog(TRANSLATIONS / lang / "LC_MESSAGES" / "messages.po", locale=lang)
    for msg in template:
        if not msg.id:
            continue
        tr = po.get(msg.id)
        assert tr is not None, f"{lang}: {msg.id!r} missing"
        assert tr.string and tr.string.strip(), f"{lang}: {msg.id!r} untranslated"
        assert "fuzzy" not in tr.flags, f"{lang}: {msg.id!r} is fuzzy"
        assert sorted(PLACEHOLDER.findall(tr.string)) == sorted(PLACEHOLDER.findall(msg.id)), \
            f"{lang}: placeholders differ in {msg.id!r}"
        assert tr.string != msg.id, f"{lang}: {msg.id!r} left in English"


@pytest.mark.parametrize("lang", ["en", "fr", "pt", "sw"])
def test_compiled_catalogs_match_the_sources(lang):
    folder = TRANSLATIONS / lang / "LC_MESSAGES"
    po = catalog(folder / "messages.po", locale=lang)
    with open(folder / "messages.mo", "rb") as fh:
        mo = gettext.GNUTranslations(fh)
    for msg in po:
        if msg.id and msg.string and "fuzzy" not in msg.flags:
            assert mo.gettext(msg.id) == msg.string, f"{lang}: stale .mo for {msg.id!r}"
    compiled = {k for k in mo._catalog if k}
    assert compiled == {m.id for m in po if m.id and m.string and "fuzzy" not in m.flags}
