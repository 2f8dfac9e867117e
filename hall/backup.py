"""Backups of a running hub and their restore (`hall backup`, `hall restore`).

Three formats, each a consistent copy taken while the hub serves:

- ``sqlite``: SQLite's online backup API (``sqlite3.Connection.backup``) copies the database
  page by page under one read snapshot, writers carrying on (WAL);
- ``pg_dump``: PostgreSQL's own ``pg_dump --format=custom`` (one repeatable-read snapshot),
  restored with ``pg_restore --clean --if-exists``;
- ``portable``: JSON lines written through SQLAlchemy from one repeatable-read transaction
  (PostgreSQL) or one read transaction (SQLite): a header naming the schema revision, then one
  line per row, tables in dependency order. It restores into either database, so it is also
  the way from SQLite to PostgreSQL, and the fallback where ``pg_dump`` is not installed.

A restore refuses a database that holds any row unless forced; the hub should be stopped
while it runs (its processes keep their own copies of reference data).
"""

import base64
import json
import os
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from sqlalchemy import Date, DateTime, Engine, Enum, LargeBinary, Time, func, inspect, select, text
from sqlalchemy.engine import make_url

from hall.errors import HallError

PORTABLE = "onewindow-dump"
PORTABLE_VERSION = 1
SQLITE_MAGIC = b"SQLite format 3\x00"
PG_MAGIC = b"PGDMP"
SUFFIX = {"sqlite": ".sqlite3", "pg_dump": ".pgdump", "portable": ".jsonl"}


class BackupError(HallError):
    """A backup or restore that cannot go ahead (wrong format, non-empty target, tool failed)."""

    status = 409
    code = "backup_failed"


def choose_format(engine: Engine, wanted: str = "auto") -> str:
    """The format a backup takes: native for the database unless asked for ``portable``."""
    if wanted != "auto":
        if wanted == "sqlite" and engine.dialect.name != "sqlite":
            raise BackupError("sqlite 格式只适用于 SQLite / the sqlite format is for SQLite only")
        if wanted == "pg_dump" and engine.dialect.name != "postgresql":
            raise BackupError("pg_dump 只适用于 PostgreSQL / pg_dump is for PostgreSQL only")
        return wanted
    if engine.dialect.name == "sqlite":
        return "sqlite"
    if engine.dialect.name == "postgresql" and shutil.which("pg_dump"):
        return "pg_dump"
    return "portable"


def backup(engine: Engine, output: Path, fmt: str = "auto") -> str:
    """Write a consistent backup of the database to ``output``; the format used."""
    fmt = choose_format(engine, fmt)
    output.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "sqlite":
        _sqlite_copy(_sqlite_path(engine), output)
    elif fmt == "pg_dump":
        _run(["pg_dump", "--format=custom", "--no-owner", f"--file={output}"], engine)
    else:
        with output.open("w", encoding="utf-8") as out:
            for line in dump_lines(engine):
                out.write(line + "\n")
    return fmt


def detect(path: Path) -> str:
    """The format of a backup file, from its first bytes."""
    with path.open("rb") as handle:
        head = handle.read(64)
    if head.startswith(SQLITE_MAGIC):
        return "sqlite"
    if head.startswith(PG_MAGIC):
        return "pg_dump"
    if head.startswith(b"{") and PORTABLE.encode() in head:
        return "portable"
    raise BackupError(f"不是一窗通备份 / not a OneWindow backup: {path.name}")


def rows_held(engine: Engine) -> int:
    """How many rows the hub's tables hold (0: safe to restore into)."""
    from hall.db import load_models

    names = set(inspect(engine).get_table_names())
    total = 0
    with engine.connect().execution_options(readonly=True) as conn:
        for table in load_models().metadata.sorted_tables:
            if table.name in names:
                total += conn.scalar(select(func.count()).select_from(table)) or 0
    return total


def restore(engine: Engine, source: Path, *, force: bool = False) -> str:
    """Replace the database's contents with the backup in ``source``; the format read."""
    fmt = detect(source)
    held = rows_held(engine)
    if held and not force:
        raise BackupError(
            f"目标数据库不为空({held} 行),加 --force 覆盖 / the database holds {held} rows;"
            " add --force to overwrite it"
        )
    if fmt == "sqlite":
        if engine.dialect.name != "sqlite":
            raise BackupError(
                "SQLite 备份不能恢复到 PostgreSQL,请用 portable 格式 / a SQLite backup cannot "
                "restore into PostgreSQL: take a portable one"
            )
        engine.dispose()
        _sqlite_copy(source, _sqlite_path(engine))
    elif fmt == "pg_dump":
        if engine.dialect.name != "postgresql":
            raise BackupError(
                "pg_dump 备份只能恢复到 PostgreSQL / a pg_dump backup needs PostgreSQL"
            )
        engine.dispose()
        _run(["pg_restore", "--clean", "--if-exists", "--no-owner", str(source)], engine)
    else:
        with source.open(encoding="utf-8") as lines:
            load_lines(engine, lines)
    return fmt


# -- SQLite ------------------------------------------------------------------------------------


def _sqlite_path(engine: Engine) -> Path:
    database = engine.url.database
    if not database or database == ":memory:":
        raise BackupError("内存数据库无法备份 / an in-memory database has no backup")
    return Path(database)


def _sqlite_copy(source: Path, target: Path) -> None:
    src = sqlite3.connect(source, timeout=30)
    dst = sqlite3.connect(target, timeout=30)
    try:
        # One step (pages=-1): the copy is one read snapshot, never restarted by a writer.
        src.backup(dst)
    finally:
        dst.close()
        src.close()


# -- pg_dump / pg_restore ----------------------------------------------------------------------


def _run(command: list[str], engine: Engine) -> None:
    url = engine.url
    if shutil.which(command[0]) is None:
        raise BackupError(
            f"未找到 {command[0]},请用 --format portable / {command[0]} is not installed;"
            " use --format portable"
        )
    # The password goes through the environment, never the command line (ps shows that).
    env = {**os.environ}
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    target = make_url(str(url.set(drivername="postgresql", password=None)))
    dsn = target.render_as_string(hide_password=False)
    done = subprocess.run(
        [*command, f"--dbname={dsn}"], env=env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise BackupError(f"{command[0]} 失败 / {command[0]} failed: {done.stderr.strip()[-500:]}")


# -- portable JSON lines -----------------------------------------------------------------------


def _revision(conn) -> str | None:
    if "alembic_version" not in inspect(conn).get_table_names():
        return None
    return conn.scalar(text("SELECT version_num FROM alembic_version"))


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    return value


def dump_lines(engine: Engine) -> Iterator[str]:
    """The portable dump, line by line, from one consistent snapshot."""
    from hall.db import load_models

    tables = load_models().metadata.sorted_tables
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            conn = conn.execution_options(isolation_level="REPEATABLE READ")
        else:
            # A plain (deferred) BEGIN: a reader, never the hub's writer lock (BEGIN IMMEDIATE).
            conn = conn.execution_options(readonly=True)
        with conn.begin():
            if engine.dialect.name == "sqlite":
                # BEGIN is deferred: the first read fixes the snapshot for every table.
                conn.exec_driver_sql("SELECT 1 FROM sqlite_master LIMIT 1").all()
            header = {
                "format": PORTABLE,
                "version": PORTABLE_VERSION,
                "revision": _revision(conn),
                "tables": [t.name for t in tables],
            }
            yield json.dumps(header, ensure_ascii=False)
            for table in tables:
                order = list(table.primary_key.columns) or list(table.columns)
                for row in conn.execute(select(table).order_by(*order)).mappings():
                    plain = {key: _plain(value) for key, value in row.items()}
                    yield json.dumps({"t": table.name, "r": plain}, ensure_ascii=False)


def _typed(column, value: Any) -> Any:
    if value is None:
        return None
    kind = column.type
    kind = getattr(kind, "impl", kind)
    if isinstance(kind, DateTime):
        return datetime.fromisoformat(value)
    if isinstance(kind, Date):
        return date.fromisoformat(value)
    if isinstance(kind, Time):
        return time.fromisoformat(value)
    if isinstance(kind, LargeBinary):
        return base64.b64decode(value)
    if isinstance(column.type, Enum) and column.type.enum_class is not None:
        return column.type.enum_class(value)
    return value


def _later_columns(table) -> list[str]:
    """Columns whose foreign key closes a cycle (``use_alter``): set after every row is in."""
    return [
        column.name
        for column in table.columns
        if any(key.use_alter or key.constraint.use_alter for key in column.foreign_keys)
    ]


def load_lines(engine: Engine, lines: Any) -> int:
    """Restore a portable dump: the schema made afresh at the dump's revision, then its rows
    in dependency order, then PostgreSQL's sequences moved past them; rows restored."""
    from hall import migrate
    from hall.db import load_models

    lines = iter(lines)
    header = json.loads(next(lines, "{}") or "{}")
    if header.get("format") != PORTABLE or header.get("version") != PORTABLE_VERSION:
        raise BackupError("不是一窗通备份 / not a OneWindow backup")
    metadata = load_models().metadata
    head = migrate.head()
    if header.get("revision") != head:
        raise BackupError(
            f"备份的数据库版本 {header.get('revision')} 与本程序 {head} 不同 / the backup's"
            f" schema revision {header.get('revision')} is not this hub's {head}"
        )
    _drop_everything(engine)
    migrate.upgrade(engine)
    tables = metadata.tables
    later = {name: _later_columns(table) for name, table in tables.items()}
    pending: list[tuple[Any, dict[str, Any]]] = []
    count = 0
    with engine.begin() as conn:
        batch: list[dict[str, Any]] = []
        current = None
        for line in lines:
            if not line.strip():
                continue
            item = json.loads(line)
            table = tables[item["t"]]
            if table is not current and batch:
                conn.execute(current.insert(), batch)
                batch = []
            current = table
            row = {name: _typed(table.c[name], v) for name, v in item["r"].items()}
            deferred = {name: row[name] for name in later[table.name] if row.get(name) is not None}
            if deferred:
                keys = {c.name: row[c.name] for c in table.primary_key.columns}
                pending.append((table, {**keys, **deferred}))
                row.update(dict.fromkeys(deferred))
            batch.append(row)
            count += 1
            if len(batch) >= 500:
                conn.execute(current.insert(), batch)
                batch = []
        if batch:
            conn.execute(current.insert(), batch)
        for table, values in pending:
            keys = [c for c in table.primary_key.columns]
            conn.execute(
                table.update()
                .where(*(c == values[c.name] for c in keys))
                .values({k: v for k, v in values.items() if k not in table.primary_key.columns})
            )
        if engine.dialect.name == "postgresql":
            _move_sequences(conn, metadata)
    return count


def _drop_everything(engine: Engine) -> None:
    """Drop every table of the database (the restore makes the schema afresh)."""
    names = inspect(engine).get_table_names()
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            for name in names:
                conn.execute(text(f'DROP TABLE IF EXISTS "{name}" CASCADE'))
        return
    # SQLite: foreign keys off (only outside a transaction) so cycles drop in any order.
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        cursor.execute("PRAGMA foreign_keys=OFF")
        for name in names:
            cursor.execute(f'DROP TABLE IF EXISTS "{name}"')
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()
    finally:
        raw.close()


def _move_sequences(conn, metadata) -> None:
    """Serial ids continue after the restored rows."""
    for table in metadata.sorted_tables:
        keys = list(table.primary_key.columns)
        if len(keys) != 1:
            continue
        sequence = conn.scalar(
            text("SELECT pg_get_serial_sequence(:table, :column)"),
            {"table": table.name, "column": keys[0].name},
        )
        if sequence:
            conn.execute(
                text(
                    f"SELECT setval('{sequence}', COALESCE((SELECT MAX({keys[0].name})"
                    f" FROM {table.name}), 0) + 1, false)"
                )
            )
