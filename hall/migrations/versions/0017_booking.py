"""booking from the phone: slot length, capacity and window per hall (and per matter); a
phone booking's secret link, its phone (sealed, masked and keyed-hashed) and its cancellation

Revision ID: 0017_booking
Revises: 0016
"""

import sqlalchemy as sa
from alembic import op

import hall.db

revision = "0017_booking"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("halls") as batch:
        batch.add_column(
            sa.Column("booking_days", sa.Integer(), nullable=False, server_default="14")
        )
        batch.add_column(
            sa.Column("booking_slot_min", sa.Integer(), nullable=False, server_default="30")
        )
        batch.add_column(
            sa.Column("booking_capacity", sa.Integer(), nullable=False, server_default="2")
        )
        batch.add_column(
            sa.Column("booking_per_phone", sa.Integer(), nullable=False, server_default="2")
        )
    with op.batch_alter_table("matters") as batch:
        batch.add_column(sa.Column("booking_slot_min", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("booking_capacity", sa.Integer(), nullable=True))
    with op.batch_alter_table("appointments") as batch:
        batch.add_column(sa.Column("source", sa.String(12), nullable=False, server_default="staff"))
        batch.add_column(sa.Column("token_hash", sa.String(64), nullable=True))
        batch.add_column(sa.Column("phone_hash", sa.String(64), nullable=True))
        batch.add_column(sa.Column("phone_enc", sa.Text(), nullable=False, server_default=""))
        batch.add_column(
            sa.Column("phone_masked", sa.String(20), nullable=False, server_default="")
        )
        batch.add_column(
            sa.Column("cancelled_at", hall.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch.create_unique_constraint("uq_appointments_token_hash", ["token_hash"])
        batch.create_index("ix_appointments_phone_hash", ["phone_hash"])
        batch.create_index("ix_appointments_matter_starts", ["matter_id", "starts_at"])


def downgrade() -> None:
    with op.batch_alter_table("appointments") as batch:
        batch.drop_index("ix_appointments_matter_starts")
        batch.drop_index("ix_appointments_phone_hash")
        batch.drop_constraint("uq_appointments_token_hash", type_="unique")
        for name in ("cancelled_at", "phone_masked", "phone_enc", "phone_hash", "token_hash"):
            batch.drop_column(name)
        batch.drop_column("source")
    with op.batch_alter_table("matters") as batch:
        batch.drop_column("booking_capacity")
        batch.drop_column("booking_slot_min")
    with op.batch_alter_table("halls") as batch:
        for name in ("booking_per_phone", "booking_capacity", "booking_slot_min", "booking_days"):
            batch.drop_column(name)
