"""Locale choice: an explicit ?lang= (remembered in the session), else the language the
merchant set on the checkout being shown, else the browser's Accept-Language."""
from urllib.parse import urlencode

from flask import current_app, g, request, session, url_for


def select_locale():
    supported = current_app.config["LANGUAGES"]
    lang = request.args.get("lang")
    if lang in supported:
        session["lang"] = lang
        return lang
    if session.get("lang") in supported:
        return session["lang"]
    merchant_choice = (g.get("checkout_locale") or "")[:2].lower()
    if merchant_choice in supported:
        return merchant_choice
    return request.accept_languages.best_match(supported) or "en"


# Each language named in itself, for the switcher on every page.
LANGUAGE_NAMES = {"en": "English", "fr": "Français", "pt": "Português", "sw": "Kiswahili"}


def language_links():
    """``[(code, name, url)]``: the current page again in each supported language.
    A page shown in answer to a form (POST) links to its checkout's page instead, so a
    language switch never re-sends the form."""
    args = [(k, v) for k, v in request.args.items(multi=True) if k != "lang"]
    path = request.path
    if request.method != "GET":
        checkout_id = (request.view_args or {}).get("checkout_id")
        path = url_for("hosted.picker", checkout_id=checkout_id) if checkout_id else "/"
        args = []
    return [(code, LANGUAGE_NAMES.get(code, code),
             path + "?" + urlencode(args + [("lang", code)]))
            for code in current_app.config["LANGUAGES"]]
