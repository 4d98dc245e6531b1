"""The web application: the base every process shares (``factory``), plus the
blueprints and the command line."""
from . import cli, health
from .api import bp as api_bp
from .factory import create_base_app
from .hosted import bp as hosted_bp
from .links import bp as links_bp
from .observability.endpoint import bp as metrics_bp
from .webhooks_in import bp as webhooks_in_bp


def create_app(config=None):
    """Build the web app (``wsgi.py``, ``flask --app wsgi``). Runs no queries and opens
    no connections (safe before gunicorn forks)."""
    app = create_base_app(config)
    for bp in (health.bp, metrics_bp, api_bp, hosted_bp, links_bp, webhooks_in_bp):
        app.register_blueprint(bp)
    cli.register_commands(app)
    if app.config["DEVELOPMENT"] or app.config.get("BENCH_ENDPOINTS"):
        # Development tools stay out of production processes entirely.
        from .devtools import register_devtools  # noqa: PLC0415
        register_devtools(app)
    return app
