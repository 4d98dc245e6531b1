"""Locale choice: an explicit ?lang= (remembered in the session), else the browser."""
from flask import current_app, request, session


def select_locale():
    supported = current_app.config["LANGUAGES"]
    lang = request.args.get("lang")
    if lang in supported:
        session["lang"] = lang
        return lang
    if session.get("lang") in supported:
        return session["lang"]
    return request.accept_languages.best_match(supported) or "en"
