"""The sessions of each day's newest plan, kept by the upload beside the day's targets: per
(station, day, session) the first planned start, the last planned end and every airing's end.
The dashboard reads these few rows instead of expanding every station's plan JSON.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

from alembic import op

revision = "0004"
down_revision = "0003"


def upgrade() -> None:
    op.execute(
        """CREATE TABLE day_sessions (
            station_id text NOT NULL REFERENCES stations (id),
            day date NOT NULL,
            session text NOT NULL,
            version integer NOT NULL,
            first_start timestamptz NOT NULL,
            last_end timestamptz NOT NULL,
            ends timestamptz[] NOT NULL,
            PRIMARY KEY (station_id, day, session)
        )"""
    )
    op.execute(
        """INSERT INTO day_sessions
           SELECT p.station_id, p.day, a->>'session', p.version,
                  min((a->>'start')::timestamptz), max((a->>'end')::timestamptz),
                  array_agg((a->>'end')::timestamptz ORDER BY (a->>'end')::timestamptz)
           FROM (SELECT DISTINCT ON (station_id, day) station_id, day, version, plan
                 FROM day_plans ORDER BY station_id, day, version DESC) p
           CROSS JOIN LATERAL jsonb_array_elements(p.plan->'airings') a
           GROUP BY p.station_id, p.day, a->>'session', p.version"""
    )
