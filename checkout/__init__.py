"""Hosted checkout for African payment methods."""
import os

from flask import Flask

from .config import load_config


def create_app(config=None):
    """Build the app. Runs no queries and opens no connections (safe before a fork)."""
    app = Flask(__name__, instance_relative_config=True)
    os.makedirs(app.instance_path, exist_ok=True)
    app.config.update(load_config(config, app.instance_path))
    register_logging(app)
    register_extensions(app)
    register_blueprints(app)
    register_errors(app)
    register_cli(app)
    return app


def register_logging(app):
    from .logs import configure_logging
    configure_logging(app)


def register_extensions(app):
    from .database import init_database
    from .extensions import babel, csrf, db, login_manager, migrate
    from .i18n import select_locale
    from .security import register_security_headers
    init_database(app)
    migrate.init_app(app, db, directory=os.path.join(os.path.dirname(app.root_path), "migrations"),
                     render_as_batch=True, compare_type=True)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    login_manager.init_app(app)
    register_security_headers(app)


def register_blueprints(app):
    from . import health
    from .api import bp as api_bp
    from .hosted import bp as hosted_bp
    from .links import bp as links_bp
    from .notifications import bp as notifications_bp
    app.register_blueprint(health.bp)
    app.register_blueprint(api_bp)
    app.register_blueprint(hosted_bp)
    app.register_blueprint(links_bp)
    app.register_blueprint(notifications_bp)
    if app.config["DEVELOPMENT"]:
        from .demo import bp as demo_bp
        app.register_blueprint(demo_bp)
    if app.config.get("BENCH_ENDPOINTS"):
        from .benchpoints import bp as bench_bp
        app.register_blueprint(bench_bp)


def register_errors(app):
    from .errors import register_error_handlers
    register_error_handlers(app)


def register_cli(app):
    from .cli import register_commands
    register_commands(app)
