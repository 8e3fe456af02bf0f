"""Statements of the upload's hot path, compiled once to psycopg's SQL and run on the pooled
connection's driver connection, inside the SQLAlchemy transaction that holds it.

They are still written with SQLAlchemy Core (one definition, names from the schema, parameters
bound, never text pasted in); only the per-execution work is skipped: cache keys, parameter
processing, result objects. On a routine sync (two rows, six statements) that work was more
than half of the hub's CPU on its worker thread (``bench/hub_bench.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, cast

from psycopg.rows import namedtuple_row
from sqlalchemy import Connection, Dialect
from sqlalchemy.dialects.postgresql.psycopg import PGDialect_psycopg
from sqlalchemy.sql import ClauseElement

DIALECT = cast(Callable[[], Dialect], PGDialect_psycopg)()


class Compiled:
    """One statement's SQL with ``%(name)s`` placeholders, compiled at import."""

    def __init__(self, statement: ClauseElement) -> None:
        self.sql = str(statement.compile(dialect=DIALECT))

    def rows(self, conn: Connection, params: Mapping[str, Any]) -> list[Any]:
        """Run it with ``params``; its result rows (by column name), if it returns any."""
        raw = conn.connection.driver_connection
        assert raw is not None
        with raw.cursor(row_factory=namedtuple_row) as cur:
            cur.execute(self.sql.encode(), params)
            return cur.fetchall() if cur.description is not None else []

    def many(self, conn: Connection, params: Sequence[Mapping[str, Any]]) -> None:
        """Run it once per item of ``params`` (psycopg sends them in one pipeline)."""
        raw = conn.connection.driver_connection
        assert raw is not None
        with raw.cursor() as cur:
            cur.executemany(self.sql.encode(), params)
