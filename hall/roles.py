"""A least-privilege PostgreSQL role for the hub (``hall db grant-app-role ROLE``).

The owner of the tables runs the migrations (``hall init``); the hub runs as another role
that may read and write the ordinary tables but only read and append to ``audit_log``. The
triggers of migration 0011 already refuse UPDATE, DELETE and TRUNCATE on ``audit_log``, but
the table's owner may drop or disable them; a role that owns nothing and holds only SELECT and
INSERT there cannot, so even a hub taken over cannot rewrite the trail (留痕不可改动).

Run by the owner (or a superuser) on the hub's database, after every upgrade (a migration's
new tables get the ordinary grants through default privileges, and this puts ``audit_log``'s
rule back if anything widened it). Idempotent.
"""

import re
from dataclasses import dataclass, field

from sqlalchemy import Connection, Engine, text

from hall.errors import BadRequest

ROLE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
APPEND_ONLY = ("audit_log",)  # SELECT and INSERT only
READ_ONLY = ("alembic_version",)  # the migrations' bookkeeping: the owner's alone to change
TABLE_RIGHTS = "SELECT, INSERT, UPDATE, DELETE"
SEQUENCE_RIGHTS = "USAGE, SELECT"


@dataclass
class Granted:
    """What ``grant_app_role`` did, for the command to report."""

    role: str
    created: bool
    schema: str
    tables: list[str] = field(default_factory=list)
    append_only: list[str] = field(default_factory=list)
    sequences: int = 0


def _ddl(conn: Connection, statement: str, **names: str) -> None:
    """Run a DDL statement with its names quoted as identifiers by psycopg (``{name}``); a
    ``password`` goes in as a literal (CREATE/ALTER ROLE take no bind parameters)."""
    from psycopg import sql

    parts = {
        key: sql.Literal(value) if key == "password" else sql.Identifier(value)
        for key, value in names.items()
    }
    conn.connection.driver_connection.execute(sql.SQL(statement).format(**parts))


def grant_app_role(engine: Engine, role: str, password: str | None = None) -> Granted:
    """Create (or update) ``role`` with LOGIN and give it the hub's least privileges.

    Refuses SQLite (no roles), a name that is not a plain lower-case identifier, a superuser,
    and the tables' owner or any role that is a member of it: such a role could drop the
    append-only triggers, which is what this role exists to prevent.
    """
    if engine.dialect.name != "postgresql":
        raise BadRequest(
            "只有 PostgreSQL 有数据库角色 / only PostgreSQL has database roles",
            code="not_postgresql",
        )
    if not ROLE_NAME.match(role or ""):
        raise BadRequest(
            "角色名须为小写字母、数字和下划线 / a role name is lower-case letters, digits and _",
            code="bad_role",
        )
    with engine.begin() as conn:
        schema = conn.scalar(text("SELECT current_schema()"))
        owner = conn.scalar(
            text(
                "SELECT tableowner FROM pg_tables WHERE schemaname = :schema "
                "AND tablename = 'audit_log'"
            ),
            {"schema": schema},
        )
        if owner is None:
            raise BadRequest(
                "请先运行 hall init / run `hall init` first: no audit_log table", code="no_schema"
            )
        existing = conn.execute(
            text("SELECT rolsuper FROM pg_roles WHERE rolname = :role"), {"role": role}
        ).first()
        if existing is not None:
            member_of_owner = conn.scalar(
                text("SELECT pg_has_role(:role, :owner, 'MEMBER')"),
                {"role": role, "owner": owner},
            )
            if existing.rolsuper or member_of_owner:
                raise BadRequest(
                    f"角色 {role} 是超级用户或表的所有者,能删除触发器 / role {role} is a "
                    "superuser or owns the tables, so it could drop the audit triggers; "
                    "choose another role",
                    code="role_too_powerful",
                )
        names = {"role": role, "schema": schema, "owner": owner}
        options = "LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE"
        verb = "CREATE" if existing is None else "ALTER"
        if password:
            _ddl(
                conn,
                f"{verb} ROLE {{role}} {options} PASSWORD {{password}}",
                role=role,
                password=password,
            )
        else:
            _ddl(conn, f"{verb} ROLE {{role}} {options}", role=role)
        database = conn.scalar(text("SELECT current_database()"))
        _ddl(conn, "GRANT CONNECT ON DATABASE {db} TO {role}", db=database, role=role)
        _ddl(conn, "GRANT USAGE ON SCHEMA {schema} TO {role}", schema=schema, role=role)
        tables = conn.scalars(
            text("SELECT tablename FROM pg_tables WHERE schemaname = :schema ORDER BY tablename"),
            {"schema": schema},
        ).all()
        done = Granted(role=role, created=existing is None, schema=schema)
        for table in tables:
            on = {"schema": schema, "table": table, "role": role}
            # Start from nothing each time: a run after an upgrade narrows what was widened.
            _ddl(conn, "REVOKE ALL ON TABLE {schema}.{table} FROM {role}", **on)
            if table in APPEND_ONLY:
                rights = "SELECT, INSERT"
                done.append_only.append(table)
            elif table in READ_ONLY:
                rights = "SELECT"
            else:
                rights = TABLE_RIGHTS
                done.tables.append(table)
            _ddl(conn, f"GRANT {rights} ON TABLE {{schema}}.{{table}} TO {{role}}", **on)
        _ddl(
            conn,
            f"GRANT {SEQUENCE_RIGHTS} ON ALL SEQUENCES IN SCHEMA {{schema}} TO {{role}}",
            schema=schema,
            role=role,
        )
        done.sequences = conn.scalar(
            text("SELECT count(*) FROM pg_sequences WHERE schemaname = :schema"),
            {"schema": schema},
        )
        # Tables and sequences the owner's later migrations make: the ordinary grants at once.
        for what, rights in (("TABLES", TABLE_RIGHTS), ("SEQUENCES", SEQUENCE_RIGHTS)):
            _ddl(
                conn,
                f"ALTER DEFAULT PRIVILEGES FOR ROLE {{owner}} IN SCHEMA {{schema}} "
                f"GRANT {rights} ON {what} TO {{role}}",
                **names,
            )
    return done
