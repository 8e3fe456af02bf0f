"""Daily counts per (station, day, campaign), kept by the upload in the same transaction as the
airings, so the province report reads a few rows per station and day instead of every airing.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"


def upgrade() -> None:
    op.execute(
        """CREATE TABLE daily_counts (
            station_id text NOT NULL REFERENCES stations (id),
            day date NOT NULL,
            campaign text NOT NULL,
            completed integer NOT NULL DEFAULT 0,
            interrupted integer NOT NULL DEFAULT 0,
            failed integer NOT NULL DEFAULT 0,
            missed integer NOT NULL DEFAULT 0,
            skipped integer NOT NULL DEFAULT 0,
            playing integer NOT NULL DEFAULT 0,
            played_ms bigint NOT NULL DEFAULT 0,
            PRIMARY KEY (station_id, day, campaign)
        )"""
    )
    op.execute("CREATE INDEX ix_daily_counts_day ON daily_counts (day)")
    op.execute(
        """INSERT INTO daily_counts
           SELECT station_id, day, campaign,
                  count(*) FILTER (WHERE status = 'completed'),
                  count(*) FILTER (WHERE status = 'interrupted'),
                  count(*) FILTER (WHERE status = 'failed'),
                  count(*) FILTER (WHERE status = 'missed'),
                  count(*) FILTER (WHERE status = 'skipped'),
                  count(*) FILTER (WHERE status = 'playing'),
                  coalesce(sum(played_ms), 0)
           FROM airings WHERE trigger <> 'fallback'
           GROUP BY station_id, day, campaign"""
    )
