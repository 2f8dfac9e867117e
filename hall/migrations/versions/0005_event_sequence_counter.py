"""the hall's event sequence moves to the counters table

Issuing a ticket bumps its number and the hall's event sequence in one statement, so the
sequence lives beside the ticket numbers: scope "events:<hall id>", period 1970-01-01.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        "INSERT INTO daily_counters (scope, day, value) "
        "SELECT 'events:' || CAST(id AS VARCHAR), DATE '1970-01-01', event_seq FROM halls"
        if op.get_bind().dialect.name == "postgresql"
        else "INSERT INTO daily_counters (scope, day, value) "
        "SELECT 'events:' || id, '1970-01-01', event_seq FROM halls"
    )
    with op.batch_alter_table("halls") as batch:
        batch.drop_column("event_seq")


def downgrade() -> None:
    with op.batch_alter_table("halls") as batch:
        batch.add_column(sa.Column("event_seq", sa.Integer(), nullable=False, server_default="0"))
    op.execute(
        "UPDATE halls SET event_seq = (SELECT value FROM daily_counters "
        "WHERE scope = 'events:' || CAST(halls.id AS VARCHAR) AND day = DATE '1970-01-01')"
        if op.get_bind().dialect.name == "postgresql"
        else "UPDATE halls SET event_seq = (SELECT value FROM daily_counters "
        "WHERE scope = 'events:' || halls.id AND day = '1970-01-01')"
    )
    op.execute("DELETE FROM daily_counters WHERE scope LIKE 'events:%'")
