"""payments keep the provider's receipt and a reconciliation schedule

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 07:10:00

"""
import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("payments") as batch_op:
        batch_op.add_column(sa.Column("provider_receipt", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("reconcile_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("reconcile_attempts", sa.Integer(), nullable=False,
                                      server_default="0"))
        batch_op.create_index("ix_payments_reconcile", ["reconcile_at"], unique=False)


def downgrade():
    with op.batch_alter_table("payments") as batch_op:
        batch_op.drop_index("ix_payments_reconcile")
        batch_op.drop_column("reconcile_attempts")
        batch_op.drop_column("reconcile_at")
        batch_op.drop_column("provider_receipt")
