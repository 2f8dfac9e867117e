"""matters get search keywords; a transferred ticket carries a short note for its next window

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("matters") as batch:
        batch.add_column(sa.Column("keywords", sa.JSON(), nullable=False, server_default="[]"))
    with op.batch_alter_table("tickets") as batch:
        batch.add_column(
            sa.Column("transfer_note", sa.String(length=120), nullable=False, server_default="")
        )


def downgrade() -> None:
    with op.batch_alter_table("tickets") as batch:
        batch.drop_column("transfer_note")
    with op.batch_alter_table("matters") as batch:
        batch.drop_column("keywords")
