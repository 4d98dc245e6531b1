"""checkouts remember the signed link that created them

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02 05:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("checkouts") as batch_op:
        batch_op.add_column(sa.Column("link_signature", sa.String(length=64), nullable=True))


def downgrade():
    with op.batch_alter_table("checkouts") as batch_op:
        batch_op.drop_column("link_signature")
