"""The hosted-page blueprint, with what every page of it needs (language, user, the
render-time metric)."""
import time

from flask import Blueprint, g, request
from flask_babel import get_locale, refresh

from checkout.i18n import language_links
from checkout.observability import metrics

bp = Blueprint("hosted", __name__)
# Every page (base.html, error pages included) names its language and links to the others.
bp.add_app_template_global(language_links)
bp.add_app_template_global(get_locale)


@bp.record_once
def _anonymous_until_dashboard(state):
    # Flask-Login's template context processor raises on every render_template (error
    # pages included) while no user loader exists. Until the dashboard registers its own
    # (which then replaces this one), everyone is anonymous.
    manager = getattr(state.app, "login_manager", None)
    if manager is not None and manager._user_callback is None \
            and manager._request_callback is None:
        manager.user_loader(lambda _user_id: None)


@bp.before_request
def _fresh_locale():
    # The locale is chosen per request (i18n.select_locale); never reuse one cached in
    # an application context that outlived its request (as the test client's does).
    g.pop("checkout_locale", None)
    refresh()
    g.page_started = time.perf_counter()


@bp.after_request
def _render_time(response):
    started = g.pop("page_started", None)
    if started is not None and request.endpoint:
        metrics.PAGE_SECONDS.labels(request.endpoint.removeprefix("hosted.")).observe(
            time.perf_counter() - started)
    return response
