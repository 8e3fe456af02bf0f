"""Numbered schema migrations, applied in order when a database is opened.

The version is kept in the ``schema_version`` table. Each migration is a function of a
connection inside one transaction, written with frozen SQLAlchemy Core table definitions (never
the current ORM classes, which change). To change the schema: append a function to
``MIGRATIONS`` and the matching change to ``models.py``; never edit a released migration.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import (
    Column,
    Connection,
    Date,
    DateTime,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    insert,
    select,
    text,
    update,
)


def _v1_clips(conn: Connection) -> None:
    md = MetaData()
    clips = Table(
        "clips",
        md,
        Column("sha256", String(64), primary_key=True),
        Column("file", String(500), nullable=False),
        Column("title", String(500), nullable=False),
        Column("duration_ms", Integer, nullable=False),
        Column("sample_rate", Integer, nullable=False),
        Column("channels", Integer, nullable=False),
        Column("loudness_before", Float, nullable=False),
        Column("peak_before", Float, nullable=False),
        Column("loudness_after", Float, nullable=False),
        Column("peak_after", Float, nullable=False),
        Column("trimmed_ms", Integer, nullable=False),
        Column("source_name", String(500), nullable=False),
        Column("source_sha256", String(64), nullable=False),
        Column("imported_at", DateTime(timezone=True), nullable=False),
    )
    Index("ix_clips_file", clips.c.file)
    Index("ix_clips_source_sha256", clips.c.source_sha256)
    md.create_all(conn)


def _v2_as_run(conn: Connection) -> None:
    md = MetaData()
    airings = Table(
        "airings",
        md,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("station_id", String(80), nullable=False),
        Column("airing_id", String(120), nullable=False),
        Column("day", Date, nullable=False),
        Column("campaign", String(60), nullable=False),
        Column("session", String(60), nullable=False),
        Column("clip", String(500), nullable=False),
        Column("clip_sha256", String(64), nullable=True),
        Column("planned_start", DateTime(timezone=True), nullable=False),
        Column("planned_ms", Integer, nullable=False),
        Column("actual_start", DateTime(timezone=True), nullable=True),
        Column("actual_end", DateTime(timezone=True), nullable=True),
        Column("played_ms", Integer, nullable=False),
        Column("status", String(20), nullable=False),
        Column("reason", String(500), nullable=False),
        Column("trigger", String(20), nullable=False),
        Column("operator", String(80), nullable=False),
        Column("run_id", Integer, nullable=True),
        UniqueConstraint("station_id", "airing_id", name="uq_airings_station_airing"),
    )
    Index("ix_airings_day", airings.c.station_id, airings.c.day)
    Index("ix_airings_status", airings.c.status)
    plans = Table(
        "day_plans",
        md,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("station_id", String(80), nullable=False),
        Column("day", Date, nullable=False),
        Column("version", Integer, nullable=False),
        Column("effective_from", DateTime(timezone=True), nullable=False),
        Column("reason", String(200), nullable=False),
        Column("level", Integer, nullable=False),
        Column("digest", String(64), nullable=False),
        Column("plan_json", Text, nullable=False),
        UniqueConstraint("station_id", "day", "version", name="uq_day_plans_version"),
    )
    Index("ix_day_plans_day", plans.c.station_id, plans.c.day)
    Table(
        "daemon_runs",
        md,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("station_id", String(80), nullable=False),
        Column("pid", Integer, nullable=False),
        Column("host", String(200), nullable=False),
        Column("started_at", DateTime(timezone=True), nullable=False),
        Column("last_seen", DateTime(timezone=True), nullable=False),
        Column("stopped_at", DateTime(timezone=True), nullable=True),
        Column("audio_output", String(200), nullable=False),
    )
    md.create_all(conn)


def _v3_alert_levels(conn: Connection) -> None:
    md = MetaData()
    levels = Table(
        "alert_levels",
        md,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("station_id", String(80), nullable=False),
        Column("level", Integer, nullable=False),
        Column("since", DateTime(timezone=True), nullable=False),
        Column("until", DateTime(timezone=True), nullable=True),
        Column("reason", String(500), nullable=False),
        Column("operator", String(80), nullable=False),
    )
    Index("ix_alert_levels_station", levels.c.station_id, levels.c.id)
    md.create_all(conn)


SYNCED_TABLES = ("clips", "airings", "day_plans", "daemon_runs", "alert_levels")


def _v4_sync_seq(conn: Connection) -> None:
    """Every insert or change of a synced row takes the next number of one station-wide counter,
    in the same transaction, by triggers: the hub upload sends the rows above the cursor the hub
    acknowledged. SQLite has one writer at a time, so numbers become visible in order and a
    reader never sees a later number before an earlier one commits."""
    conn.execute(text("CREATE TABLE sync_counter (id INTEGER PRIMARY KEY, value INTEGER NOT NULL)"))
    conn.execute(
        text(
            "CREATE TABLE sync_state (id INTEGER PRIMARY KEY, acked_seq INTEGER NOT NULL, "
            "hub_url VARCHAR(500) NOT NULL, last_attempt DATETIME, last_success DATETIME, "
            "last_error VARCHAR(1000) NOT NULL, last_error_at DATETIME, "
            "rows_sent INTEGER NOT NULL)"
        )
    )
    conn.execute(
        text(
            "INSERT INTO sync_state (id, acked_seq, hub_url, last_error, rows_sent) "
            "VALUES (1, 0, '', '', 0)"
        )
    )
    total = 0
    for table in SYNCED_TABLES:
        conn.execute(text(f"ALTER TABLE {table} ADD COLUMN sync_seq INTEGER"))
        conn.execute(text(f"UPDATE {table} SET sync_seq = rowid + :base"), {"base": total})
        top = conn.execute(text(f"SELECT max(sync_seq) FROM {table}")).scalar()
        total = max(total, int(top or 0))
        conn.execute(text(f"CREATE INDEX ix_{table}_sync_seq ON {table} (sync_seq)"))
        for event, when in (("INSERT", ""), ("UPDATE", "WHEN NEW.sync_seq IS OLD.sync_seq")):
            conn.execute(
                text(
                    f"CREATE TRIGGER {table}_sync_{event.lower()} AFTER {event} ON {table} "
                    f"{when} BEGIN "
                    "UPDATE sync_counter SET value = value + 1 WHERE id = 1; "
                    f"UPDATE {table} SET sync_seq = (SELECT value FROM sync_counter WHERE id = 1) "
                    "WHERE rowid = NEW.rowid; END"
                )
            )
    conn.execute(text("INSERT INTO sync_counter (id, value) VALUES (1, :v)"), {"v": total})


def _v5_clip_copies(conn: Connection) -> None:
    """Another path in audio/ that holds a catalogued clip's exact audio: a province bundle's
    copy of a clip the station already had (a clip's row keeps the path it was imported at)."""
    md = MetaData()
    Table(
        "clip_copies",
        md,
        Column("file", String(500), primary_key=True),
        Column("sha256", String(64), nullable=False, index=True),
        Column("added_at", DateTime(timezone=True), nullable=False),
        Column("source", String(500), nullable=False),
    )
    md.create_all(conn)


MIGRATIONS: list[Callable[[Connection], None]] = [
    _v1_clips,
    _v2_as_run,
    _v3_alert_levels,
    _v4_sync_seq,
    _v5_clip_copies,
]

_md = MetaData()
schema_version = Table("schema_version", _md, Column("version", Integer, nullable=False))


def current_version(conn: Connection) -> int:
    _md.create_all(conn)
    value = conn.execute(select(schema_version.c.version)).scalar()
    if value is None:
        conn.execute(insert(schema_version).values(version=0))
        return 0
    return int(value)


def upgrade(conn: Connection) -> tuple[int, int]:
    """Apply every migration the database lacks. Returns (version before, version after)."""
    before = current_version(conn)
    if before > len(MIGRATIONS):
        raise RuntimeError(
            f"the database has schema version {before}, newer than this playout "
            f"({len(MIGRATIONS)}); upgrade playout"
        )
    for number, migration in enumerate(MIGRATIONS[before:], start=before + 1):
        migration(conn)
        conn.execute(update(schema_version).values(version=number))
    return before, len(MIGRATIONS)
