"""indexes for calling the next ticket without a sort

Revision ID: 0010
Revises: 0009
"""

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_tickets_next",
        "tickets",
        ["queue_id", "status", "priority", "queued_at", "id"],
        unique=False,
    )
    op.create_index("ix_tickets_target", "tickets", ["target_window_id", "status"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_tickets_target", table_name="tickets")
    op.drop_index("ix_tickets_next", table_name="tickets")
