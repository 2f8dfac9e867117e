"""appointments, checked in at a kiosk by code

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

import hall.db

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "appointments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("hall_id", sa.Integer(), nullable=False),
        sa.Column("matter_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=12), nullable=False),
        sa.Column("starts_at", hall.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=True),
        sa.Column("booked_by", sa.Integer(), nullable=True),
        sa.Column("created_at", hall.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("checked_in_at", hall.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["booked_by"], ["staff.id"]),
        sa.ForeignKeyConstraint(["hall_id"], ["halls.id"]),
        sa.ForeignKeyConstraint(["matter_id"], ["matters.id"]),
        sa.ForeignKeyConstraint(["ticket_id"], ["tickets.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code"),
    )
    op.create_index("ix_appointments_hall_id", "appointments", ["hall_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_appointments_hall_id", table_name="appointments")
    op.drop_table("appointments")
