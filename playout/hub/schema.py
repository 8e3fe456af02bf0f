"""The hub's tables as SQLAlchemy Core objects, for queries and upserts.

The tables themselves are created by the Alembic migrations in ``migrations/versions``; these
definitions must match them (a test compares them with the migrated database).
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    MetaData,
    Table,
    Text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB

metadata = MetaData()


def _ts(name: str, nullable: bool = False) -> Column[object]:
    return Column(name, DateTime(timezone=True), nullable=nullable)


stations = Table(
    "stations",
    metadata,
    Column("id", Text, primary_key=True),
    Column("name", Text, nullable=False),
    Column("area", Text, nullable=False),
    Column("province", Text, nullable=False),
    Column("timezone", Text, nullable=False),
    Column("token_hash", Text, nullable=False),
    _ts("token_set_at"),
    _ts("revoked_at", True),
    _ts("created_at"),
    _ts("last_contact", True),
    Column("acked_seq", BigInteger, nullable=False),
    Column("software", Text, nullable=False),
    _ts("removed_at", True),  # removed with its rows kept
)

station_merges = Table(
    "station_merges",
    metadata,
    Column("old_id", Text, ForeignKey("stations.id", ondelete="CASCADE"), primary_key=True),
    Column("new_id", Text, ForeignKey("stations.id"), nullable=False),
    Column("merged_on", Date, nullable=False),
    _ts("merged_at"),
    CheckConstraint("old_id <> new_id"),
)

province_names = Table(
    "province_names",
    metadata,
    Column("since", Date, primary_key=True),
    Column("name", Text, CheckConstraint("name <> ''"), nullable=False),
)

airings = Table(
    "airings",
    metadata,
    Column("station_id", Text, primary_key=True),
    Column("airing_id", Text, primary_key=True),
    Column("day", Date, primary_key=True),
    Column("revision", BigInteger, nullable=False),
    Column("campaign", Text, nullable=False),
    Column("session", Text, nullable=False),
    Column("clip", Text, nullable=False),
    Column("clip_sha256", Text),
    _ts("planned_start"),
    Column("planned_ms", Integer, nullable=False),
    _ts("actual_start", True),
    _ts("actual_end", True),
    Column("played_ms", Integer, nullable=False),
    Column("status", Text, nullable=False),
    Column("reason", Text, nullable=False),
    Column("trigger", Text, nullable=False),
    Column("operator", Text, nullable=False),
    Column("run_id", BigInteger),
    _ts("received_at"),
)

day_plans = Table(
    "day_plans",
    metadata,
    Column("station_id", Text, primary_key=True),
    Column("day", Date, primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("revision", BigInteger, nullable=False),
    _ts("effective_from"),
    Column("reason", Text, nullable=False),
    Column("level", Integer, nullable=False),
    Column("digest", Text, nullable=False),
    Column("plan", JSONB, nullable=False),
)

day_sessions = Table(
    "day_sessions",
    metadata,
    Column("station_id", Text, primary_key=True),
    Column("day", Date, primary_key=True),
    Column("session", Text, primary_key=True),
    Column("version", Integer, nullable=False),
    _ts("first_start"),
    _ts("last_end"),
    Column("ends", ARRAY(DateTime(timezone=True)), nullable=False),
)

day_targets = Table(
    "day_targets",
    metadata,
    Column("station_id", Text, primary_key=True),
    Column("day", Date, primary_key=True),
    Column("campaign", Text, primary_key=True),
    Column("version", Integer, nullable=False),
    Column("planned", Integer, nullable=False),
    Column("requested", Integer, nullable=False),
    Column("title", Text, nullable=False, server_default=""),  # the station's own title, or ''
)

daemon_runs = Table(
    "daemon_runs",
    metadata,
    Column("station_id", Text, primary_key=True),
    Column("run_id", BigInteger, primary_key=True),
    Column("revision", BigInteger, nullable=False),
    Column("pid", Integer, nullable=False),
    Column("host", Text, nullable=False),
    _ts("started_at"),
    _ts("last_seen"),
    _ts("stopped_at", True),
    Column("audio_output", Text, nullable=False),
)

alert_levels = Table(
    "alert_levels",
    metadata,
    Column("station_id", Text, primary_key=True),
    Column("level_id", BigInteger, primary_key=True),
    Column("revision", BigInteger, nullable=False),
    Column("level", Integer, nullable=False),
    _ts("since"),
    _ts("until", True),
    Column("reason", Text, nullable=False),
    Column("operator", Text, nullable=False),
)

station_clips = Table(
    "station_clips",
    metadata,
    Column("station_id", Text, primary_key=True),
    Column("sha256", Text, primary_key=True),
    Column("revision", BigInteger, nullable=False),
    Column("title", Text, nullable=False),
    Column("duration_ms", Integer, nullable=False),
    Column("loudness_after", Float, nullable=False),
    Column("peak_after", Float, nullable=False),
    _ts("imported_at"),
)

refused_rows = Table(
    "refused_rows",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("station_id", Text, nullable=False),
    _ts("received_at"),
    Column("seq", BigInteger, nullable=False),
    Column("table_name", Text, nullable=False),
    Column("reason", Text, nullable=False),
    Column("row_data", JSONB, nullable=False),
)

COUNTED = ("completed", "interrupted", "failed", "missed", "skipped", "playing")

daily_counts = Table(
    "daily_counts",
    metadata,
    Column("station_id", Text, primary_key=True),
    Column("day", Date, primary_key=True),
    Column("campaign", Text, primary_key=True),
    *(Column(name, Integer, nullable=False) for name in COUNTED),
    Column("played_ms", BigInteger, nullable=False),
)

users = Table(
    "users",
    metadata,
    Column("name", Text, primary_key=True),
    Column("password_hash", Text, nullable=False),
    Column("role", Text, nullable=False),
    Column("area", Text, nullable=False),
    _ts("created_at"),
    Column("failed_logins", Integer, nullable=False),
    _ts("locked_until", True),
    _ts("last_login", True),
)

web_sessions = Table(
    "web_sessions",
    metadata,
    Column("id", Text, primary_key=True),  # sha256 of the session id the cookie holds
    Column("user_name", Text, nullable=False),
    _ts("created_at"),
    _ts("expires_at"),
)

hub_settings = Table(
    "hub_settings",
    metadata,
    Column("name", Text, primary_key=True),
    Column("value", Text, nullable=False),
)

blobs = Table(
    "blobs",
    metadata,
    Column("sha256", Text, primary_key=True),
    Column("size", BigInteger, nullable=False),
    Column("content", LargeBinary, nullable=False),
    _ts("created_at"),
)

bundles = Table(
    "bundles",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("name", Text, nullable=False),
    Column("version", Integer, nullable=False),
    Column("audience", Text, nullable=False),
    _ts("published_at"),
    Column("published_by", Text, nullable=False),
    _ts("withdrawn_at", True),
    Column("manifest", JSONB, nullable=False),
)

rollout = Table(
    "rollout",
    metadata,
    Column("station_id", Text, primary_key=True),
    Column("name", Text, primary_key=True),
    Column("version", Integer, nullable=False),
    Column("state", Text, nullable=False),
    Column("reason", Text, nullable=False),
    _ts("since"),
    _ts("updated_at"),
)
