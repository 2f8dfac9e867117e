"""the roll-up of closed days' figures (stats_rollup_days, stats_rollups); the wait a ticket
was told at issue (tickets.estimated_wait_s); ratings of cases (ratings.case_id, stage)

Revision ID: 0013
Revises: 0012
"""

import sqlalchemy as sa
from alembic import op

from hall.db import UTCDateTime

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "stats_rollup_days",
        sa.Column("hall_id", sa.Integer(), sa.ForeignKey("halls.id"), primary_key=True),
        sa.Column("day", sa.Date(), primary_key=True),
        sa.Column("target_s", sa.Integer(), nullable=False),
        sa.Column("fingerprint", sa.String(200), nullable=False),
        sa.Column("unsettled", sa.Integer(), nullable=False),
        sa.Column("built_at", UTCDateTime(), nullable=False),
    )
    op.create_table(
        "stats_rollups",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("hall_id", sa.Integer(), sa.ForeignKey("halls.id"), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("dim", sa.String(12), nullable=False),
        sa.Column("key", sa.Integer(), nullable=True),
        sa.Column("data", sa.Text(), nullable=False),
    )
    op.create_index("ix_stats_rollups_day", "stats_rollups", ["hall_id", "day", "dim"])
    with op.batch_alter_table("tickets") as batch:
        batch.add_column(sa.Column("estimated_wait_s", sa.Integer(), nullable=True))
    with op.batch_alter_table("ratings") as batch:
        batch.add_column(
            sa.Column(
                "case_id",
                sa.Integer(),
                sa.ForeignKey("cases.id", name="fk_ratings_case_id"),
                nullable=True,
            )
        )
        batch.add_column(sa.Column("stage", sa.String(10), nullable=False, server_default=""))
        batch.create_unique_constraint(
            "uq_rating_case_stage_channel", ["case_id", "stage", "channel"]
        )


def downgrade() -> None:
    with op.batch_alter_table("ratings") as batch:
        batch.drop_constraint("uq_rating_case_stage_channel", type_="unique")
        batch.drop_column("stage")
        batch.drop_column("case_id")
    with op.batch_alter_table("tickets") as batch:
        batch.drop_column("estimated_wait_s")
    op.drop_index("ix_stats_rollups_day", table_name="stats_rollups")
    op.drop_table("stats_rollups")
    op.drop_table("stats_rollup_days")
