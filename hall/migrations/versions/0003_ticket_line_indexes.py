"""indexes for a queue's line and its recent service times

Revision ID: 0003
Revises: 0002
"""

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_tickets_line", "tickets", ["queue_id", "status", "queued_at", "id"], unique=False
    )
    op.create_index(
        "ix_tickets_served", "tickets", ["queue_id", "status", "finished_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_tickets_served", table_name="tickets")
    op.drop_index("ix_tickets_line", table_name="tickets")
