"""PostgreSQL: hall_refuse(code), which a hot statement calls to void itself

A hot write (issue, call-next) runs as one statement in autocommit on PostgreSQL, so its row
locks end with it (``hall.db.alone``). A refusal found inside the statement (a matter's daily
cap passed, a window that cannot take the ticket it claimed) must then undo the statement's
other writes: raising an error voids the whole statement. SQLite has nothing to add.

Revision ID: 0018
Revises: 0017_booking
"""

from alembic import op

revision = "0018"
down_revision = "0017_booking"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        """CREATE OR REPLACE FUNCTION hall_refuse(code text) RETURNS boolean
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    RAISE EXCEPTION 'hall_refuse:%', code USING ERRCODE = 'P0001';
END
$$"""
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP FUNCTION IF EXISTS hall_refuse(text)")
