"""Command line: ``flask --app wsgi <command>``.

    merchants create NAME --email E --password P --return-host HOST [--return-host ...]
    worker [--processes N]
    simulators [--host H] [--port 5001]
    reconcile report [--day YYYY-MM-DD] [--merchant PUBLIC_ID] [--run]
    demo                 (development only: checkout.devtools)
"""
import json
import logging
import threading
from datetime import timedelta

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy.exc import IntegrityError

from .core.timeutil import utcnow
from .extensions import db
from .jobs import reconcile_lists
from .merchants.accounts import create_merchant
from .merchants.testmode import register_test_accounts
from .models import Merchant
from .simulators import close, make_port_servers, make_simulator_server, serve_in_threads
from .worker.supervisor import Supervisor

log = logging.getLogger(__name__)

merchants_cli = AppGroup("merchants", help="Manage merchants.")


@merchants_cli.command("create")
@click.argument("name")
@click.option("--email", required=True, help="The merchant user's login email.")
@click.option("--password", required=True, help="The merchant user's password.")
@click.option("--return-host", "return_hosts", multiple=True,
              help="A host return/cancel URLs may point at (repeatable).")
@click.option("--country", default=None, help="ISO country code, e.g. BJ.")
def create_merchant_command(name, email, password, return_hosts, country):
    """Create a merchant with a test key, a link secret and test-mode gateway accounts."""
    try:
        merchant, key, secret = create_merchant(name, email, password, return_hosts,
                                                country.upper() if country else None)
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise click.ClickException(f"a merchant user with email {email} already exists") from None
    shops = register_test_accounts(merchant.id)
    click.echo(json.dumps({
        "public_id": merchant.public_id,
        "test_secret_key": key,
        "link_secret": secret,
        "return_hosts": merchant.return_hosts,
        "notes": [
            "The secret key and link secret are shown only now: store them.",
            "Test mode: payments go to the built-in simulators "
            f"({current_app.config['SIMULATOR_URL']}); "
            + ("the simulator knows this merchant's test shop."
               if shops else "start them with `flask simulators` (they register the "
                             "test shops when they start)."),
            "Magic phone numbers (last two digits): 01 succeeds, 02 insufficient funds, "
            "03 shopper cancels, 04 never answers, 05 succeeds without webhook, "
            "06 provider down, 07 succeeds late, 08 repeated webhooks.",
        ],
    }, indent=2))


@click.command("worker")
@click.option("--processes", default=1, show_default=True, type=click.IntRange(1, 64),
              help="Worker processes to run (each restarted if it dies).")
@click.option("--periodic-seconds", default=30, show_default=True, type=click.IntRange(1),
              help="How often checkout expiry and the sweeper are enqueued.")
def worker_command(processes, periodic_seconds):
    """Run the background workers, the job scheduler and the periodic jobs."""
    click.echo(f"starting {processes} worker process(es); Ctrl-C stops them")
    Supervisor(current_app._get_current_object(), processes=processes,
               periodic_seconds=periodic_seconds).run()


@click.command("simulators")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5001, show_default=True, type=int)
def simulators_command(host, port):
    """Serve the provider simulators (test mode), then register the test shops."""
    server = make_simulator_server(host, port)
    thread = threading.Thread(target=server.serve_forever, name="simulators", daemon=True)
    thread.start()
    extra = make_port_servers(server.app, host)
    serve_in_threads(extra)
    if extra:
        click.echo(f"also on the providers' own ports: {[s.server_port for s in extra]}")
    url = f"http://{host}:{server.server_port}"
    if url.rstrip("/") != current_app.config["SIMULATOR_URL"]:
        click.echo(f"note: SIMULATOR_URL is {current_app.config['SIMULATOR_URL']}, "
                   f"not {url}: test-mode payments will not reach these simulators", err=True)
    try:
        shops = register_test_accounts()
        click.echo(f"simulators on {url} ({len(shops)} test shop(s) registered); Ctrl-C stops")
    except Exception:  # noqa: BLE001 - no database yet: serve anyway
        log.exception("could not register the test shops")
        click.echo(f"simulators on {url} (test shops NOT registered: see the log)")
    try:
        while thread.is_alive():
            thread.join(1)
    except KeyboardInterrupt:
        pass
    finally:
        for other in [server, *extra]:
            other.shutdown()
            other.server_close()
        close(server.app)


reconcile_cli = AppGroup("reconcile", help="Compare providers' transaction lists with ours.")


@reconcile_cli.command("report")
@click.option("--day", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="The UTC day (default: yesterday).")
@click.option("--merchant", "merchant_public_id", default=None,
              help="Only this merchant (its public id).")
@click.option("--run", is_flag=True, help="Compare that day with the providers now first.")
def reconcile_report_command(day, merchant_public_id, run):
    """Print the differences found between the providers' transaction lists and ours."""
    day = day.date() if day else utcnow().date() - timedelta(days=1)
    merchant_id = None
    if merchant_public_id:
        merchant_id = db.session.execute(db.select(Merchant.id).where(
            Merchant.public_id == merchant_public_id)).scalar_one_or_none()
        if merchant_id is None:
            raise click.ClickException(f"no merchant {merchant_public_id}")
    if run:
        done = reconcile_lists.compare_day(day, merchant_id)
        click.echo(f"compared {done['compared']} account(s) for {day.isoformat()}"
                   + (f"; {done['failed']} could not be listed (see the log)"
                      if done["failed"] else ""))
    rows = reconcile_lists.report_rows(day, merchant_id)
    click.echo(f"Reconciliation report for {day.isoformat()} (UTC)")
    for diff, public_id in rows:
        click.echo(reconcile_lists.report_line(diff, public_id))
    click.echo(reconcile_lists.summary([diff for diff, _public_id in rows]))


def register_commands(app):
    app.cli.add_command(merchants_cli)
    app.cli.add_command(reconcile_cli)
    app.cli.add_command(worker_command)
    app.cli.add_command(simulators_command)
