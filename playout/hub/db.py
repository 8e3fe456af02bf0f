"""The hub's database: engine (one pool for the whole hub) and Alembic migrations."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError

from playout.problems import PlayoutError

MIGRATIONS = Path(__file__).parent / "migrations"


def engine_for(url: str, *, pool_size: int = 10, max_overflow: int = 10) -> Engine:
    """A SQLAlchemy engine on psycopg 3; ``postgresql://`` URLs are taken as they are."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise PlayoutError(
            f"{url!r} is not a database URL",
            "write it as postgresql://USER:PASSWORD@HOST:5432/DBNAME",
        ) from exc
    if parsed.get_backend_name() != "postgresql":
        raise PlayoutError(
            f"the hub needs PostgreSQL, not {parsed.get_backend_name()}",
            "write the URL as postgresql://USER:PASSWORD@HOST:5432/DBNAME",
        )
    parsed = parsed.set(drivername="postgresql+psycopg")
    return create_engine(
        parsed,
        pool_size=pool_size,
        max_overflow=max_overflow,
        # no ping per checkout (a round trip per request): after a database restart the first
        # request fails (503, the station retries) and the pool drops every old connection
        pool_pre_ping=False,
        pool_timeout=10,
    )


def _config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def _heads_and_current(engine: Engine) -> tuple[ScriptDirectory, str | None]:
    script = ScriptDirectory.from_config(_config())
    try:
        with engine.connect() as conn:
            current = MigrationContext.configure(conn).get_current_revision()
    except OperationalError as exc:
        raise PlayoutError(
            f"cannot reach the hub database: {exc.orig}",
            "is PostgreSQL running, and are the URL, user and password right?",
        ) from exc
    return script, current


def _known(script: ScriptDirectory, revision: str) -> bool:
    return any(r.revision == revision for r in script.walk_revisions())


def migrate(engine: Engine, target: str = "head") -> tuple[str | None, str]:
    """Create or upgrade the schema (to ``target``, by default the newest). Returns (revision
    before, revision after)."""
    script, current = _heads_and_current(engine)
    if current is not None and not _known(script, current):
        raise _newer(current)
    config = _config()
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, target)
    return current, str(script.get_current_head() if target == "head" else target)


def check_schema(engine: Engine) -> None:
    """Refuse a database that is not exactly at this code's revision."""
    script, current = _heads_and_current(engine)
    head = script.get_current_head()
    if current == head:
        return
    if current is not None and not _known(script, current):
        raise _newer(current)
    raise PlayoutError(
        f"the hub database is at schema {current or 'none'}, this playout needs {head}",
        "run: playout hub init --db URL",
    )


def _newer(current: str) -> PlayoutError:
    return PlayoutError(
        f"the hub database has schema {current}, newer than this playout knows",
        "upgrade playout on this machine (pip install -U 'playout[hub]'); never run an older "
        "hub against a newer database",
    )
