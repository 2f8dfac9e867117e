"""ratings (好差评) with their follow-up; the hall's waiting target; an index for figures

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

from hall.db import UTCDateTime

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ratings",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("hall_id", sa.Integer(), sa.ForeignKey("halls.id"), nullable=False),
        sa.Column("subject", sa.String(10), nullable=False),
        sa.Column("ticket_id", sa.Integer(), sa.ForeignKey("tickets.id"), nullable=True),
        sa.Column("matter_id", sa.Integer(), sa.ForeignKey("matters.id"), nullable=True),
        sa.Column("window_id", sa.Integer(), sa.ForeignKey("windows.id"), nullable=True),
        sa.Column("staff_id", sa.Integer(), sa.ForeignKey("staff.id"), nullable=True),
        sa.Column("department_id", sa.Integer(), sa.ForeignKey("departments.id"), nullable=True),
        sa.Column("channel", sa.String(12), nullable=False),
        sa.Column("device_id", sa.Integer(), sa.ForeignKey("devices.id"), nullable=True),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("added", sa.Boolean(), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("text", sa.String(500), nullable=False),
        sa.Column("resident_name", sa.String(40), nullable=True),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("callback_at", UTCDateTime(), nullable=True),
        sa.Column("callback_by", sa.Integer(), sa.ForeignKey("staff.id"), nullable=True),
        sa.Column("callback_note", sa.String(500), nullable=False),
        sa.Column("outcome", sa.String(20), nullable=True),
        sa.Column("outcome_at", UTCDateTime(), nullable=True),
        sa.Column("outcome_note", sa.String(500), nullable=False),
        sa.Column("fixed_at", UTCDateTime(), nullable=True),
        sa.Column("appeal", sa.String(12), nullable=True),
        sa.Column("appeal_note", sa.String(500), nullable=False),
        sa.UniqueConstraint("ticket_id", "channel", name="uq_rating_ticket_channel"),
    )
    op.create_index("ix_ratings_hall_at", "ratings", ["hall_id", "at"])
    op.create_index("ix_tickets_hall_day", "tickets", ["hall_id", "service_date"])
    with op.batch_alter_table("halls") as batch:
        batch.add_column(
            sa.Column("wait_target_min", sa.Integer(), nullable=False, server_default="30")
        )


def downgrade() -> None:
    with op.batch_alter_table("halls") as batch:
        batch.drop_column("wait_target_min")
    op.drop_index("ix_tickets_hall_day", table_name="tickets")
    op.drop_index("ix_ratings_hall_at", table_name="ratings")
    op.drop_table("ratings")
