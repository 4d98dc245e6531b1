"""Development and benchmarking tools: the one-command dev server, the demo merchant
with its stand-in return page, and the bare benchmark endpoints. Nothing a production
process imports: ``create_app`` loads this package only in development (the demo) or
when ``CHECKOUT_BENCH_ENDPOINTS`` asks for the bench endpoints."""
import json

import click

from . import benchpoints, demo


@click.command("demo")
def demo_command():
    """Create (once) a demo merchant and print a checkout link ready to open."""
    try:
        info = demo.seed_demo()
    except demo.DemoError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(json.dumps(info, indent=2))


def register_devtools(app):
    """Add the demo (development only) and the bench endpoints (when asked) to ``app``."""
    if app.config["DEVELOPMENT"]:
        app.register_blueprint(demo.bp)
        app.cli.add_command(demo_command)
    if app.config.get("BENCH_ENDPOINTS"):
        app.register_blueprint(benchpoints.bp)
