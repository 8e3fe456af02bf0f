"""The central schema: stations, their as-run logs (airings partitioned by month), plans, runs,
alert levels, clip catalogs, and rows refused at upload.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

from alembic import op

revision = "0001"
down_revision = None

STATEMENTS = [
    """CREATE TABLE stations (
        id text PRIMARY KEY,
        name text NOT NULL,
        district text NOT NULL DEFAULT '',
        province text NOT NULL DEFAULT '',
        timezone text NOT NULL DEFAULT 'Asia/Ho_Chi_Minh',
        token_hash text NOT NULL UNIQUE,
        token_set_at timestamptz NOT NULL,
        revoked_at timestamptz,
        created_at timestamptz NOT NULL,
        last_contact timestamptz,
        acked_seq bigint NOT NULL DEFAULT 0,
        software text NOT NULL DEFAULT ''
    )""",
    """CREATE TABLE airings (
        station_id text NOT NULL,
        airing_id text NOT NULL,
        day date NOT NULL,
        revision bigint NOT NULL,
        campaign text NOT NULL,
        session text NOT NULL,
        clip text NOT NULL,
        clip_sha256 text,
        planned_start timestamptz NOT NULL,
        planned_ms integer NOT NULL,
        actual_start timestamptz,
        actual_end timestamptz,
        played_ms integer NOT NULL,
        status text NOT NULL,
        reason text NOT NULL,
        trigger text NOT NULL,
        operator text NOT NULL,
        run_id bigint,
        received_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (station_id, airing_id, day)
    ) PARTITION BY RANGE (day)""",
    "CREATE INDEX ix_airings_day_station ON airings (day, station_id)",
    """CREATE TABLE day_plans (
        station_id text NOT NULL REFERENCES stations (id),
        day date NOT NULL,
        version integer NOT NULL,
        revision bigint NOT NULL,
        effective_from timestamptz NOT NULL,
        reason text NOT NULL,
        level integer NOT NULL,
        digest text NOT NULL,
        plan jsonb NOT NULL,
        PRIMARY KEY (station_id, day, version)
    )""",
    """CREATE TABLE day_targets (
        station_id text NOT NULL REFERENCES stations (id),
        day date NOT NULL,
        campaign text NOT NULL,
        version integer NOT NULL,
        planned integer NOT NULL,
        requested integer NOT NULL,
        PRIMARY KEY (station_id, day, campaign)
    )""",
    "CREATE INDEX ix_day_targets_day ON day_targets (day, station_id)",
    """CREATE TABLE daemon_runs (
        station_id text NOT NULL REFERENCES stations (id),
        run_id bigint NOT NULL,
        revision bigint NOT NULL,
        pid integer NOT NULL,
        host text NOT NULL,
        started_at timestamptz NOT NULL,
        last_seen timestamptz NOT NULL,
        stopped_at timestamptz,
        audio_output text NOT NULL,
        PRIMARY KEY (station_id, run_id)
    )""",
    """CREATE TABLE alert_levels (
        station_id text NOT NULL REFERENCES stations (id),
        level_id bigint NOT NULL,
        revision bigint NOT NULL,
        level integer NOT NULL,
        since timestamptz NOT NULL,
        until timestamptz,
        reason text NOT NULL,
        operator text NOT NULL,
        PRIMARY KEY (station_id, level_id)
    )""",
    """CREATE TABLE station_clips (
        station_id text NOT NULL REFERENCES stations (id),
        sha256 text NOT NULL,
        revision bigint NOT NULL,
        title text NOT NULL,
        duration_ms integer NOT NULL,
        loudness_after double precision NOT NULL,
        peak_after double precision NOT NULL,
        imported_at timestamptz NOT NULL,
        PRIMARY KEY (station_id, sha256)
    )""",
    """CREATE TABLE refused_rows (
        id bigserial PRIMARY KEY,
        station_id text NOT NULL REFERENCES stations (id),
        received_at timestamptz NOT NULL DEFAULT now(),
        seq bigint NOT NULL,
        table_name text NOT NULL,
        reason text NOT NULL,
        row_data jsonb NOT NULL
    )""",
]


def upgrade() -> None:
    for statement in STATEMENTS:
        op.execute(statement)
