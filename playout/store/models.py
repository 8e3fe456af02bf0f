"""ORM classes for the tables. The tables themselves are created by migrations."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Date, Float, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from playout.store.types import UTCDateTime


class Base(DeclarativeBase):
    pass


class ClipRow(Base):
    """One version of a clip in the audio library, named by the sha256 of its playout copy.

    The sha256 is the clip's id everywhere (also across stations); a file that is re-imported
    with other audio is a new row, so old airings keep naming the exact audio they played.
    """

    __tablename__ = "clips"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    file: Mapped[str] = mapped_column(String(500), index=True)  # relative to audio/
    title: Mapped[str] = mapped_column(String(500), default="")
    duration_ms: Mapped[int] = mapped_column(Integer)
    sample_rate: Mapped[int] = mapped_column(Integer)
    channels: Mapped[int] = mapped_column(Integer)
    loudness_before: Mapped[float] = mapped_column(Float)  # LUFS integrated
    peak_before: Mapped[float] = mapped_column(Float)  # dBTP
    loudness_after: Mapped[float] = mapped_column(Float)
    peak_after: Mapped[float] = mapped_column(Float)
    trimmed_ms: Mapped[int] = mapped_column(Integer, default=0)
    source_name: Mapped[str] = mapped_column(String(500))
    source_sha256: Mapped[str] = mapped_column(String(64), index=True)
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime())
    sync_seq: Mapped[int | None] = mapped_column(Integer, nullable=True)  # by triggers


class ClipCopyRow(Base):
    """Another path in audio/ holding a catalogued clip's exact audio (a province bundle's copy
    of a clip the station imported itself): checked against the clip's sha256 like its own
    path, so the library keeps one row per audio."""

    __tablename__ = "clip_copies"

    file: Mapped[str] = mapped_column(String(500), primary_key=True)  # relative to audio/
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime())
    source: Mapped[str] = mapped_column(String(500))  # e.g. "quoc-gia v2"


class Status(StrEnum):
    """What became of a planned airing (LibreTime-style typed states)."""

    PLAYING = "playing"  # on air now, or the station stopped while it was
    COMPLETED = "completed"
    INTERRUPTED = "interrupted"
    FAILED = "failed"
    MISSED = "missed"
    SKIPPED = "skipped"


class Trigger(StrEnum):
    SCHEDULE = "schedule"
    MAKE_GOOD = "make-good"
    FALLBACK = "fallback"
    MANUAL = "manual"
    PRIORITY = "priority"
    EMERGENCY = "emergency"


class AiringRow(Base):
    """The as-run log: one row per planned airing, unique per (station, airing id)."""

    __tablename__ = "airings"
    __table_args__ = (
        UniqueConstraint("station_id", "airing_id", name="uq_airings_station_airing"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    station_id: Mapped[str] = mapped_column(String(80))
    airing_id: Mapped[str] = mapped_column(String(120))
    day: Mapped[date] = mapped_column(Date)
    campaign: Mapped[str] = mapped_column(String(60))
    session: Mapped[str] = mapped_column(String(60))
    clip: Mapped[str] = mapped_column(String(500))
    clip_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    planned_start: Mapped[datetime] = mapped_column(UTCDateTime())
    planned_ms: Mapped[int] = mapped_column(Integer)
    actual_start: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    actual_end: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    played_ms: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(String(500), default="")
    trigger: Mapped[str] = mapped_column(String(20), default=Trigger.SCHEDULE.value)
    operator: Mapped[str] = mapped_column(String(80), default="")
    run_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    sync_seq: Mapped[int | None] = mapped_column(Integer, nullable=True)  # by triggers


class DayPlanRow(Base):
    """The plan in force for a day; a new version each time it changes."""

    __tablename__ = "day_plans"
    __table_args__ = (
        UniqueConstraint("station_id", "day", "version", name="uq_day_plans_version"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    station_id: Mapped[str] = mapped_column(String(80))
    day: Mapped[date] = mapped_column(Date)
    version: Mapped[int] = mapped_column(Integer)
    effective_from: Mapped[datetime] = mapped_column(UTCDateTime())
    reason: Mapped[str] = mapped_column(String(200))
    level: Mapped[int] = mapped_column(Integer)
    digest: Mapped[str] = mapped_column(String(64))
    plan_json: Mapped[str] = mapped_column(Text)
    sync_seq: Mapped[int | None] = mapped_column(Integer, nullable=True)  # by triggers


class DaemonRunRow(Base):
    __tablename__ = "daemon_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    station_id: Mapped[str] = mapped_column(String(80))
    pid: Mapped[int] = mapped_column(Integer)
    host: Mapped[str] = mapped_column(String(200))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_seen: Mapped[datetime] = mapped_column(UTCDateTime())
    stopped_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    audio_output: Mapped[str] = mapped_column(String(200))
    sync_seq: Mapped[int | None] = mapped_column(Integer, nullable=True)  # by triggers


class AlertLevelRow(Base):
    """Every change of the station's alert level; the latest one in force applies."""

    __tablename__ = "alert_levels"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    station_id: Mapped[str] = mapped_column(String(80))
    level: Mapped[int] = mapped_column(Integer)
    since: Mapped[datetime] = mapped_column(UTCDateTime())
    until: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    reason: Mapped[str] = mapped_column(String(500))
    operator: Mapped[str] = mapped_column(String(80))
    sync_seq: Mapped[int | None] = mapped_column(Integer, nullable=True)  # by triggers


class SyncStateRow(Base):
    """The station side of the hub upload: the highest sync_seq the hub acknowledged."""

    __tablename__ = "sync_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    acked_seq: Mapped[int] = mapped_column(Integer)
    hub_url: Mapped[str] = mapped_column(String(500))
    last_attempt: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    last_success: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    last_error: Mapped[str] = mapped_column(String(1000))
    last_error_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    rows_sent: Mapped[int] = mapped_column(Integer)
