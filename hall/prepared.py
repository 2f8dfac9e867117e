"""The hot path's statements, compiled once per dialect and run on the DBAPI cursor.

SQLAlchemy's execute path (compiled-cache lookup, execution context, parameter and result
set-up, events) costs ~0.09 ms a statement on top of SQLite's own ~0.03 ms: about a third of
an issue or a call-next (cProfile, in-process, docs/performance.md). A :class:`Prepared`
statement keeps what that path computes for every execution — the SQL text with expanded
``IN`` lists, the order of the parameters, the values the statement carries itself, the bind
and result processors of its types — and reuses it. It runs on the connection of the
session's transaction (so BEGIN IMMEDIATE, the commit hooks and the rollback are
SQLAlchemy's), sends ``before_cursor_execute`` and ``after_cursor_execute`` to the engine's
listeners, and turns DBAPI errors into SQLAlchemy's (a lost PostgreSQL connection is
invalidated as usual, and an ``OperationalError`` still becomes the 503 it was).

A column the caller leaves out takes its scalar default (``default=""``), fixed when the
statement is compiled; a default computed per row (a function) would need SQLAlchemy's
execution context, and is refused then.
"""

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.engine import Dialect
from sqlalchemy.sql import ClauseElement


@dataclass(frozen=True, slots=True)
class _Form:
    sql: str
    names: tuple[str, ...]  # every parameter, in the order of a positional paramstyle
    positional: bool
    fixed: dict[str, Any]  # values the statement carries itself, processed (literals, IN lists)
    escaped: dict[str, str]  # a caller's name -> its name in the SQL
    bind: dict[str, Callable[[Any], Any]]  # bind processors of the caller's parameters
    result: tuple[Callable[[Any], Any] | None, ...]


class Rows:
    """What a prepared statement answers: its rows (processed) and the rows it changed."""

    __slots__ = ("_rows", "rowcount")

    def __init__(self, rows: list[tuple], rowcount: int) -> None:
        self._rows = rows
        self.rowcount = rowcount

    def first(self) -> tuple | None:
        return self._rows[0] if self._rows else None

    def all(self) -> list[tuple]:
        return self._rows

    def scalar_one(self) -> Any:
        if len(self._rows) != 1:
            raise LookupError(f"expected one row, got {len(self._rows)}")
        return self._rows[0][0]


class Prepared:
    """A Core statement run on the DBAPI cursor with what SQLAlchemy computes kept aside."""

    __slots__ = ("statement", "_forms")

    def __init__(self, statement: ClauseElement) -> None:
        self.statement = statement
        self._forms: dict[tuple[str, tuple[str, ...]], _Form] = {}

    def run(self, connection: Connection, params: dict[str, Any]) -> Rows:
        """Execute with ``params`` in the connection's transaction."""
        dialect = connection.dialect
        keys = tuple(params)
        form = self._forms.get((dialect.name, keys))
        if form is None:
            form = self._forms[(dialect.name, keys)] = self._compile(dialect, keys)
        values = dict(form.fixed)
        escaped = form.escaped
        bind = form.bind
        for key, value in params.items():
            name = escaped.get(key, key)
            process = bind.get(name)
            values[name] = value if value is None or process is None else process(value)
        parameters: Sequence[Any] | dict[str, Any] = (
            tuple(values.get(name) for name in form.names) if form.positional else values
        )
        dispatch = connection.dispatch
        fairy = connection.connection
        cursor = fairy.cursor()
        try:
            if dispatch.before_cursor_execute:
                dispatch.before_cursor_execute(
                    connection, cursor, form.sql, parameters, None, False
                )
            cursor.execute(form.sql, parameters)
            rows = cursor.fetchall() if _has_rows(cursor) else []
            rowcount = cursor.rowcount
            if dispatch.after_cursor_execute:
                dispatch.after_cursor_execute(connection, cursor, form.sql, parameters, None, False)
        except Exception as err:  # noqa: BLE001 - re-raised as SQLAlchemy's error just below
            if isinstance(err, dialect.loaded_dbapi.Error):
                connection._handle_dbapi_exception(err, form.sql, parameters, cursor, None)
            raise
        finally:
            cursor.close()
        if rows and any(form.result):
            processors = form.result
            rows = [
                tuple(p(v) if p is not None else v for p, v in zip(processors, row, strict=True))
                for row in rows
            ]
        return Rows(rows, rowcount)

    def _compile(self, dialect: Dialect, keys: tuple[str, ...]) -> _Form:
        compiled = self.statement.compile(dialect=dialect, column_keys=list(keys))
        defaults = {}
        for column, default in [(c, c.default) for c in compiled.insert_prefetch] + [
            (c, c.onupdate) for c in compiled.update_prefetch
        ]:
            if default is None or not default.is_scalar:
                raise ValueError(
                    f"a prepared statement cannot compute the default of {column.key}; pass it"
                )
            defaults[column.key] = default.arg
        expanded = compiled.construct_expanded_state({**dict.fromkeys(keys), **defaults})
        escaped = dict(compiled.escaped_bind_names or {})
        users = {escaped.get(key, key) for key in keys}
        processors = {**compiled._bind_processors, **expanded.processors}
        fixed = {
            name: processors[name](value) if value is not None and name in processors else value
            for name, value in expanded.parameters.items()
            if name not in users
        }
        sql = expanded.statement
        if dialect.paramstyle == "qmark" and expanded.positiontup:
            sql, fixed = _inline_positional(sql, expanded.positiontup, fixed)
        names = tuple(
            name
            for name in expanded.positiontup or expanded.parameters
            if name in users or name in fixed
        )
        result = tuple(
            column[3]._cached_result_processor(dialect, None) for column in compiled._result_columns
        )
        return _Form(
            sql=sql,
            names=names,
            positional=bool(dialect.positional),
            fixed=fixed,
            escaped=escaped,
            bind={name: processors[name] for name in users if name in processors},
            result=result,
        )


def _has_rows(cursor: Any) -> bool:
    """Whether the statement answered rows. psycopg builds ``description`` anew on every
    access, a Column per column (7% of a PostgreSQL window action, py-spy); its result's
    status says the same at once."""
    result = getattr(cursor, "pgresult", None)
    if result is not None:
        return result.status == _TUPLES_OK
    return cursor.description is not None


_TUPLES_OK = 2  # libpq's PGRES_TUPLES_OK (psycopg.pq.ExecStatus.TUPLES_OK)
_PLAIN = re.compile(r"[\w .:,/-]*")


def _literal(value: Any) -> str | None:
    """A constant as SQL text, for plain integers and words only (None: keep it bound)."""
    if type(value) is int:
        return str(value)
    if isinstance(value, str) and _PLAIN.fullmatch(value):
        return f"'{value}'"
    return None


def _inline_positional(
    sql: str, order: Sequence[str], fixed: dict[str, Any]
) -> tuple[str, dict[str, Any]]:
    """SQLite: the statement with the values it carries itself (statuses, the window's queues
    and their order) written into it where they are plain integers and words; the ``?``
    placeholders stand in ``order``. Building the parameter tuple of call-next's 44 took a
    tenth of a window action's Python. What is left stays bound.

    Not on PostgreSQL: there the constants would make each window's call-next a statement
    of its own, planned with them, where one generic plan now serves; under load the gain
    (~5 % of the hub's CPU in-process) did not show through the runs' spread, and two of
    five runs were a third slower (docs/performance.md)."""
    parts = sql.split("?")
    if len(parts) != len(order) + 1:  # a "?" that is no placeholder: leave it all bound
        return sql, fixed
    kept = {name: value for name, value in fixed.items() if _literal(value) is None}
    out = [parts[0]]
    for name, part in zip(order, parts[1:], strict=True):
        literal = _literal(fixed[name]) if name in fixed else None
        out.append("?" if literal is None else literal)
        out.append(part)
    return "".join(out), kept
