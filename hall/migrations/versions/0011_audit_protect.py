"""the audit trail refuses UPDATE and DELETE at the database itself (留痕不可改动)

PostgreSQL: row triggers raise on UPDATE and DELETE, a statement trigger on TRUNCATE. SQLite:
triggers that RAISE(ABORT). No entry is rewritten, so the hash chain stays as it was. Only
someone who may alter the table (drop or disable the triggers) gets past them, and `hall audit
verify` still catches what they change.

Revision ID: 0011
Revises: 0010
"""

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

MESSAGE = "audit_log is append-only (留痕不可改动)"

PG_FUNCTION = f"""
CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '{MESSAGE}: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END
$$
"""
PG_TRIGGERS = {
    "audit_log_no_update": "BEFORE UPDATE ON audit_log FOR EACH ROW",
    "audit_log_no_delete": "BEFORE DELETE ON audit_log FOR EACH ROW",
    "audit_log_no_truncate": "BEFORE TRUNCATE ON audit_log FOR EACH STATEMENT",
}
SQLITE_TRIGGERS = {
    "audit_log_no_update": "BEFORE UPDATE ON audit_log",
    "audit_log_no_delete": "BEFORE DELETE ON audit_log",
}


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(PG_FUNCTION)
        for name, when in PG_TRIGGERS.items():
            op.execute(f"CREATE TRIGGER {name} {when} EXECUTE FUNCTION audit_log_append_only()")
        return
    for name, when in SQLITE_TRIGGERS.items():
        verb = name.rsplit("_", 1)[1].upper()
        op.execute(
            f"CREATE TRIGGER {name} {when} "
            f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}: {verb} refused'); END"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for name in PG_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name} ON audit_log")
        op.execute("DROP FUNCTION IF EXISTS audit_log_append_only()")
        return
    for name in SQLITE_TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
