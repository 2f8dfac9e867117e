"""calendar_days: the national holiday arrangement as the administrators entered it

Revision ID: 0021
Revises: 0020
"""

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "calendar_days",
        sa.Column("day", sa.Date(), primary_key=True),
        sa.Column("workday", sa.Boolean(), nullable=False),
        sa.Column("name", sa.String(40), nullable=False, server_default=""),
    )


def downgrade() -> None:
    op.drop_table("calendar_days")
