"""differences found by the daily comparison of provider transaction lists with ours

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03 09:00:00

"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "reconciliation_differences",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("merchant_id", sa.Integer(), nullable=False),
        sa.Column("gateway_account_id", sa.Integer(), nullable=False),
        sa.Column("gateway", sa.String(length=32), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("payment_id", sa.String(length=40), nullable=True),
        sa.Column("provider_reference", sa.String(length=128), nullable=False),
        sa.Column("ours", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()),
                                                 "postgresql"), nullable=True),
        sa.Column("theirs", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()),
                                                   "postgresql"), nullable=True),
        sa.Column("found_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["gateway_account_id"], ["gateway_accounts.id"],
                                name="fk_reconciliation_differences_account"),
        sa.ForeignKeyConstraint(["merchant_id"], ["merchants.id"],
                                name="fk_reconciliation_differences_merchant"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reconciliation_differences")),
        sa.UniqueConstraint("gateway_account_id", "day", "kind", "provider_reference",
                            name="uq_reconciliation_differences_once"),
    )
    with op.batch_alter_table("reconciliation_differences") as batch_op:
        batch_op.create_index("ix_reconciliation_differences_day", ["day", "merchant_id"],
                              unique=False)


def downgrade():
    with op.batch_alter_table("reconciliation_differences") as batch_op:
        batch_op.drop_index("ix_reconciliation_differences_day")
    op.drop_table("reconciliation_differences")
