"""The application factory: configuration, extensions, blueprints, the wiring between
subjects (event listeners, sweepers), error pages and the command line."""
import os

from flask import Flask

from . import cli, health
from .api import bp as api_bp
from .config import load_config
from .database import init_database
from .errors import register_error_handlers
from .events import add_listener
from .extensions import babel, csrf, db, login_manager, migrate
from .hosted import bp as hosted_bp
from .i18n import select_locale
from .jobs.sweep import add_sweeper
from .links import bp as links_bp
from .logs import configure_logging
from .security import register_security_headers
from .webhooks_in import bp as webhooks_in_bp
from .webhooks_out import deliveries, jobs as webhook_jobs


def create_app(config=None):
    """Build the app. Runs no queries and opens no connections (safe before a fork)."""
    app = Flask("checkout", instance_relative_config=True)
    os.makedirs(app.instance_path, exist_ok=True)
    app.config.update(load_config(config, app.instance_path))
    configure_logging(app)
    register_extensions(app)
    register_blueprints(app)
    register_wiring(app)
    register_error_handlers(app)
    cli.register_commands(app)
    if app.config["DEVELOPMENT"] or app.config.get("BENCH_ENDPOINTS"):
        # Development tools stay out of production processes entirely.
        from .devtools import register_devtools  # noqa: PLC0415
        register_devtools(app)
    return app


def register_extensions(app):
    init_database(app)
    migrate.init_app(app, db, directory=os.path.join(os.path.dirname(app.root_path), "migrations"),
                     render_as_batch=True, compare_type=True)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    login_manager.init_app(app)
    register_security_headers(app)


def register_blueprints(app):
    for bp in (health.bp, api_bp, hosted_bp, links_bp, webhooks_in_bp):
        app.register_blueprint(bp)


def register_wiring(app):
    """Who hears what: every new merchant event fans out to webhook deliveries (in the
    event's transaction), and the sweeper also repairs deliveries and purges old events.
    Explicit here, so that any process built by this factory (web, worker, command)
    sends merchant webhooks, whatever it imported."""
    add_listener(app, deliveries.fan_out)
    add_sweeper(app, webhook_jobs.sweep_deliveries)
    add_sweeper(app, webhook_jobs.purge_events_hourly)
