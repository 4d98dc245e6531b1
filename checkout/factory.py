"""What every process of the product is built on (web, worker, commands): configuration,
logging, extensions and the wiring between subjects. ``app.create_app`` adds the web
(blueprints) and the command line; a worker process (``python -m checkout.worker``)
needs only this, and never imports the API or the hosted pages."""
import os

from flask import Flask

from .config import load_config
from .database import init_database
from .errors import register_error_handlers
from .events import add_listener
from .extensions import babel, csrf, db, login_manager, migrate
from .i18n import select_locale
from .jobs import payments as payment_jobs
from .jobs import reconcile, reconcile_lists, retention
from .jobs.sweep import add_sweeper
from .logs import configure_logging
from .security import limit_streamed_bodies, register_security_headers, trust_proxies
from .webhooks_out import deliveries
from .webhooks_out import jobs as webhook_jobs


def create_base_app(config=None):
    """An app with config, logs, extensions and wiring, and no views. Runs no queries
    and opens no connections (safe before a fork)."""
    app = Flask("checkout", instance_relative_config=True)
    os.makedirs(app.instance_path, exist_ok=True)
    app.config.update(load_config(config, app.instance_path))
    configure_logging(app)
    register_extensions(app)
    register_wiring(app)
    register_error_handlers(app)
    return app


def register_extensions(app):
    init_database(app)
    migrate.init_app(app, db, directory=os.path.join(os.path.dirname(app.root_path), "migrations"),
                     render_as_batch=True, compare_type=True)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    login_manager.init_app(app)
    register_security_headers(app)
    trust_proxies(app)
    limit_streamed_bodies(app)


def register_wiring(app):
    """Who hears what: every new merchant event fans out to webhook deliveries (in the
    event's transaction), and the sweeper also repairs deliveries and purges what is past
    its retention (events, idempotency records), asks about refunds a provider queued and
    about attempts that ended without the provider's final word (reconciliation), and
    compares yesterday's transaction lists of the providers that have one with ours.
    Explicit here, so that any process built on this factory (web, worker, command)
    sends merchant webhooks, whatever else it imported."""
    add_listener(app, deliveries.fan_out)
    add_sweeper(app, webhook_jobs.sweep_deliveries)
    add_sweeper(app, webhook_jobs.purge_events_hourly)
    add_sweeper(app, retention.purge_idempotency_hourly)
    add_sweeper(app, payment_jobs.poll_pending_refunds)
    add_sweeper(app, reconcile.reconcile_due)
    add_sweeper(app, reconcile_lists.compare_yesterday)
