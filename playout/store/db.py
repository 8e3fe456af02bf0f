"""Opening the database: engine, SQLite pragmas, migrations."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from playout.problems import PlayoutError
from playout.store.migrations import upgrade


@dataclass
class Database:
    path: Path
    engine: Engine
    sessions: sessionmaker[Session]

    def session(self) -> Session:
        return self.sessions()

    def close(self) -> None:
        self.engine.dispose()


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    if isinstance(dbapi_conn, sqlite3.Connection):
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=FULL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=10000")
        cur.close()


def open_database(path: Path) -> Database:
    """Open (creating and upgrading as needed) the station database at ``path``."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise PlayoutError(
            f"cannot create the folder for the database {path.parent}: {exc.strerror}",
            "check the 'database' path in the station settings and its permissions",
        ) from exc
    engine = create_engine(f"sqlite:///{path}")
    event.listen(engine, "connect", _sqlite_pragmas)
    try:
        with engine.begin() as conn:
            upgrade(conn)
    except (SQLAlchemyError, RuntimeError) as exc:
        engine.dispose()
        raise PlayoutError(
            f"cannot open the database {path}: {exc}",
            "is it a playout database? is the disk full or read-only?",
        ) from exc
    return Database(path, engine, sessionmaker(engine, expire_on_commit=False))
