"""a resident's own actions on a ticket: how many times it was deferred, and when it said late

Revision ID: 0014
Revises: 0013
"""

import sqlalchemy as sa
from alembic import op

import hall.db

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tickets") as batch:
        batch.add_column(sa.Column("defers", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("late_at", hall.db.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("tickets") as batch:
        batch.drop_column("late_at")
        batch.drop_column("defers")
