"""tickets: a partial index of priority tickets in line order, for call-next's priority probe

Revision ID: 0019
Revises: 0018
"""

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_tickets_priority_line",
        "tickets",
        ["queue_id", "status", "queued_at", "id"],
        postgresql_where=sa.text("priority IS NOT NULL"),
        sqlite_where=sa.text("priority IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_tickets_priority_line", table_name="tickets")
