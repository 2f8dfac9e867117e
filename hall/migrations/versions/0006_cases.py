"""cases: matter catalogue fields and guide versions, cases, tasks, visits, timeline

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

import hall.db

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "matter_departments",
        sa.Column("matter_id", sa.Integer(), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.Column("lead", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["departments.id"],
        ),
        sa.ForeignKeyConstraint(
            ["matter_id"],
            ["matters.id"],
        ),
        sa.PrimaryKeyConstraint("matter_id", "department_id"),
    )
    op.create_table(
        "matter_guides",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("matter_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("changed_on", sa.Date(), nullable=False),
        sa.Column("created_at", hall.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("on_the_spot", sa.Boolean(), nullable=False),
        sa.Column("time_limit_days", sa.Integer(), nullable=False),
        sa.Column("statutory_limit_days", sa.Integer(), nullable=False),
        sa.Column("fee", sa.String(length=120), nullable=False),
        sa.Column("conditions", sa.Text(), nullable=False),
        sa.Column("legal_basis", sa.Text(), nullable=False),
        sa.Column("documents", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["matter_id"],
            ["matters.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("matter_id", "version"),
    )
    with op.batch_alter_table("matter_guides", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_matter_guides_matter_id"), ["matter_id"], unique=False)

    op.create_table(
        "cases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=24), nullable=False),
        sa.Column("token", sa.String(length=43), nullable=False),
        sa.Column("hall_id", sa.Integer(), nullable=False),
        sa.Column("matter_id", sa.Integer(), nullable=False),
        sa.Column("guide_id", sa.Integer(), nullable=True),
        sa.Column("guide_version", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=True),
        sa.Column("window_id", sa.Integer(), nullable=True),
        sa.Column("staff_id", sa.Integer(), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "awaiting_documents",
                "refused",
                "in_review",
                "returned",
                "ready",
                "closed",
                name="casestatus",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("applicant_kind", sa.String(length=10), nullable=False),
        sa.Column("applicant_name_enc", sa.Text(), nullable=False),
        sa.Column("applicant_id_enc", sa.Text(), nullable=False),
        sa.Column("applicant_phone_enc", sa.Text(), nullable=False),
        sa.Column("applicant_name_masked", sa.String(length=120), nullable=False),
        sa.Column("applicant_id_masked", sa.String(length=40), nullable=False),
        sa.Column("applicant_phone_masked", sa.String(length=20), nullable=False),
        sa.Column("documents_received", sa.JSON(), nullable=False),
        sa.Column("missing", sa.JSON(), nullable=False),
        sa.Column("deferred", sa.JSON(), nullable=False),
        sa.Column("delivery", sa.String(length=10), nullable=False),
        sa.Column("on_the_spot", sa.Boolean(), nullable=False),
        sa.Column("result_pickup", sa.Boolean(), nullable=False, server_default=sa.true()),
        sa.Column("deadline", sa.Date(), nullable=True),
        sa.Column("statutory_deadline", sa.Date(), nullable=True),
        sa.Column("clock_stopped_at", hall.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("clock_stop", sa.String(length=12), nullable=False),
        sa.Column("paused_days", sa.Integer(), nullable=False),
        sa.Column("suspended_days", sa.Integer(), nullable=False),
        sa.Column("extended_days", sa.Integer(), nullable=False),
        sa.Column("warning", sa.String(length=8), nullable=False),
        sa.Column("decision", sa.String(length=10), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("received_at", hall.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("accepted_at", hall.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("refused_at", hall.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("decided_at", hall.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("ready_at", hall.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("handed_over_at", hall.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("handed_over_by", sa.Integer(), nullable=True),
        sa.Column("handed_to_masked", sa.String(length=120), nullable=False),
        sa.Column("closed_at", hall.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("pickup_ticket_id", sa.Integer(), nullable=True),
        sa.Column("visits_count", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["guide_id"],
            ["matter_guides.id"],
        ),
        sa.ForeignKeyConstraint(
            ["hall_id"],
            ["halls.id"],
        ),
        sa.ForeignKeyConstraint(
            ["handed_over_by"],
            ["staff.id"],
        ),
        sa.ForeignKeyConstraint(
            ["matter_id"],
            ["matters.id"],
        ),
        sa.ForeignKeyConstraint(
            ["pickup_ticket_id"],
            ["tickets.id"],
        ),
        sa.ForeignKeyConstraint(
            ["staff_id"],
            ["staff.id"],
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["tickets.id"],
        ),
        sa.ForeignKeyConstraint(
            ["window_id"],
            ["windows.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("number"),
        sa.UniqueConstraint("token"),
    )
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.create_index("ix_cases_hall_status", ["hall_id", "status"], unique=False)

    op.create_table(
        "case_tasks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.Column("lead", sa.Boolean(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "pending",
                "claimed",
                "suspended",
                "returned",
                "approved",
                "rejected",
                "cancelled",
                name="taskstatus",
                native_enum=False,
                length=12,
            ),
            nullable=False,
        ),
        sa.Column("created_at", hall.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("claimed_at", hall.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("claimed_by", sa.Integer(), nullable=True),
        sa.Column("decided_at", hall.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.Integer(), nullable=True),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["cases.id"],
        ),
        sa.ForeignKeyConstraint(
            ["claimed_by"],
            ["staff.id"],
        ),
        sa.ForeignKeyConstraint(
            ["decided_by"],
            ["staff.id"],
        ),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["departments.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("case_tasks", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_tasks_case_id"), ["case_id"], unique=False)
        batch_op.create_index("ix_case_tasks_inbox", ["department_id", "status"], unique=False)

    op.create_table(
        "case_visits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("hall_id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=True),
        sa.Column("window_id", sa.Integer(), nullable=True),
        sa.Column("staff_id", sa.Integer(), nullable=True),
        sa.Column("purpose", sa.String(length=12), nullable=False),
        sa.Column("at", hall.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["cases.id"],
        ),
        sa.ForeignKeyConstraint(
            ["hall_id"],
            ["halls.id"],
        ),
        sa.ForeignKeyConstraint(
            ["staff_id"],
            ["staff.id"],
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["tickets.id"],
        ),
        sa.ForeignKeyConstraint(
            ["window_id"],
            ["windows.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("case_visits", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_visits_case_id"), ["case_id"], unique=False)

    op.create_table(
        "case_steps",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("at", hall.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=True),
        sa.Column("hall_id", sa.Integer(), nullable=True),
        sa.Column("window_id", sa.Integer(), nullable=True),
        sa.Column("department_id", sa.Integer(), nullable=True),
        sa.Column("task_id", sa.Integer(), nullable=True),
        sa.Column("detail", sa.String(length=500), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["cases.id"],
        ),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["departments.id"],
        ),
        sa.ForeignKeyConstraint(
            ["hall_id"],
            ["halls.id"],
        ),
        sa.ForeignKeyConstraint(
            ["staff_id"],
            ["staff.id"],
        ),
        sa.ForeignKeyConstraint(
            ["task_id"],
            ["case_tasks.id"],
        ),
        sa.ForeignKeyConstraint(
            ["window_id"],
            ["windows.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("case_steps", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_steps_case_id"), ["case_id"], unique=False)

    with op.batch_alter_table("halls", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("case_warning_days", sa.Integer(), nullable=False, server_default="1")
        )

    with op.batch_alter_table("matters", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("basic_code", sa.String(length=40), nullable=False, server_default="")
        )
        batch_op.add_column(
            sa.Column(
                "implementation_code", sa.String(length=60), nullable=False, server_default=""
            )
        )
        batch_op.add_column(
            sa.Column("statutory_limit_days", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(
            sa.Column("partial_allowed", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(
            sa.Column("result_pickup", sa.Boolean(), nullable=False, server_default=sa.true())
        )


def downgrade() -> None:
    with op.batch_alter_table("matters", schema=None) as batch_op:
        batch_op.drop_column("result_pickup")
        batch_op.drop_column("partial_allowed")
        batch_op.drop_column("statutory_limit_days")
        batch_op.drop_column("implementation_code")
        batch_op.drop_column("basic_code")

    with op.batch_alter_table("halls", schema=None) as batch_op:
        batch_op.drop_column("case_warning_days")

    with op.batch_alter_table("case_steps", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_steps_case_id"))

    op.drop_table("case_steps")
    with op.batch_alter_table("case_visits", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_visits_case_id"))

    op.drop_table("case_visits")
    with op.batch_alter_table("case_tasks", schema=None) as batch_op:
        batch_op.drop_index("ix_case_tasks_inbox")
        batch_op.drop_index(batch_op.f("ix_case_tasks_case_id"))

    op.drop_table("case_tasks")
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_index("ix_cases_hall_status")

    op.drop_table("cases")
    with op.batch_alter_table("matter_guides", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_matter_guides_matter_id"))

    op.drop_table("matter_guides")
    op.drop_table("matter_departments")
