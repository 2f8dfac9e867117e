"""cases: receipts in the print queue, several clock stops, postal delivery, shared timers

Print jobs get a kind (ticket | receipt) and a case; their ticket becomes optional. Each stop
of a case's clock becomes a row of its own (the one open stop of older cases is carried over).
A case sent by post keeps its address (encrypted and masked) and tracking number. ``timers``
holds the periodic jobs that one process of the group runs each round (the warning sweep).

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

import hall.db

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("print_jobs") as batch:
        batch.add_column(
            sa.Column("kind", sa.String(length=10), nullable=False, server_default="ticket")
        )
        batch.add_column(sa.Column("case_id", sa.Integer(), nullable=True))
        batch.alter_column("ticket_id", existing_type=sa.Integer(), nullable=True)
        batch.create_foreign_key("fk_print_jobs_case_id_cases", "cases", ["case_id"], ["id"])
        batch.create_index("ix_print_jobs_case_id", ["case_id"])
    with op.batch_alter_table("cases") as batch:
        batch.add_column(sa.Column("address_enc", sa.Text(), nullable=False, server_default=""))
        batch.add_column(
            sa.Column("address_masked", sa.String(length=120), nullable=False, server_default="")
        )
        batch.add_column(
            sa.Column("tracking_number", sa.String(length=60), nullable=False, server_default="")
        )
        batch.add_column(
            sa.Column("stopped_days", sa.Integer(), nullable=False, server_default="0")
        )
    op.create_table(
        "case_clock_stops",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("started_at", hall.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("started_by", sa.Integer(), nullable=True),
        sa.Column("ended_at", hall.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("ended_by", sa.Integer(), nullable=True),
        sa.Column("days", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"]),
        sa.ForeignKeyConstraint(["task_id"], ["case_tasks.id"]),
        sa.ForeignKeyConstraint(["started_by"], ["staff.id"]),
        sa.ForeignKeyConstraint(["ended_by"], ["staff.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_case_clock_stops_case_id", "case_clock_stops", ["case_id"])
    # A case whose clock stands now gets its one open stop as a row.
    op.execute(
        "INSERT INTO case_clock_stops (case_id, kind, reason, started_at, days) "
        "SELECT id, CASE WHEN clock_stop = 'suspension' THEN 'other' ELSE 'correction' END, "
        "'', clock_stopped_at, 0 FROM cases WHERE clock_stopped_at IS NOT NULL"
    )
    op.execute("UPDATE cases SET stopped_days = paused_days + suspended_days")
    op.create_table(
        "timers",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("due_at", hall.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ran_at", hall.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("ran_by", sa.String(length=80), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )


def downgrade() -> None:
    op.drop_table("timers")
    op.drop_index("ix_case_clock_stops_case_id", table_name="case_clock_stops")
    op.drop_table("case_clock_stops")
    with op.batch_alter_table("cases") as batch:
        batch.drop_column("stopped_days")
        batch.drop_column("tracking_number")
        batch.drop_column("address_masked")
        batch.drop_column("address_enc")
    op.execute("DELETE FROM print_jobs WHERE ticket_id IS NULL")
    with op.batch_alter_table("print_jobs") as batch:
        batch.drop_index("ix_print_jobs_case_id")
        batch.drop_constraint("fk_print_jobs_case_id_cases", type_="foreignkey")
        batch.alter_column("ticket_id", existing_type=sa.Integer(), nullable=False)
        batch.drop_column("case_id")
        batch.drop_column("kind")
