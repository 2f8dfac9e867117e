"""device pairing codes; when each device was last seen

Revision ID: 0016
Revises: 0015
"""

import sqlalchemy as sa
from alembic import op

from hall.db import UTCDateTime

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "device_pairings",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("code_hash", sa.String(64), nullable=False),
        sa.Column("secret_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("address", sa.String(45), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("claimed_at", UTCDateTime(), nullable=True),
        sa.Column("device_id", sa.Integer(), sa.ForeignKey("devices.id"), nullable=True),
        sa.Column("options", sa.JSON(), nullable=False),
    )
    op.create_index("ix_device_pairings_code_hash", "device_pairings", ["code_hash"])
    with op.batch_alter_table("devices") as batch:
        batch.add_column(sa.Column("last_seen_at", UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("devices") as batch:
        batch.drop_column("last_seen_at")
    op.drop_index("ix_device_pairings_code_hash", table_name="device_pairings")
    op.drop_table("device_pairings")
