"""The migrations run from empty on PostgreSQL and SQLite, and agree with the models."""
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

from checkout.app import create_app
from checkout.extensions import db


def _diff(engine):
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        return compare_metadata(ctx, db.metadata)


def test_postgresql_schema_matches_models(app):
    # The session's database was built by `upgrade()` from empty (tests/conftest.py).
    assert _diff(db.engine) == []


def test_sqlite_upgrade_from_empty_and_back(tmp_path):
    app = create_app({"ENV": "test", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/m.db"})
    with app.app_context():
        upgrade()
        tables = set(inspect(db.engine).get_table_names())
        assert {"checkouts", "payments", "payment_events", "events", "api_keys"} <= tables
        assert _diff(db.engine) == []
        downgrade(revision="base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
        db.engine.dispose()
