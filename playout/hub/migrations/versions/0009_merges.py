"""Stations merged into one (a new commune's station formed from the old communes' stations, as
in 2025) and the province's name over time (Long An into Tây Ninh).

A merge keeps the old stations and their rows: their rows of days from the merge on count for
the new station, their earlier days stay theirs (a report of a month before the merge shows the
old stations as they were).

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

from alembic import op

revision = "0009"
down_revision = "0008"


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE station_merges (
            old_id text PRIMARY KEY REFERENCES stations (id) ON DELETE CASCADE,
            new_id text NOT NULL REFERENCES stations (id),
            merged_on date NOT NULL,  -- the first day the old station's rows count for the new
            merged_at timestamptz NOT NULL,
            CHECK (old_id <> new_id)
        )
        """
    )
    op.execute(
        """
        CREATE TABLE province_names (
            since date PRIMARY KEY,  -- reports of periods ending on or after it use the name
            name text NOT NULL CHECK (name <> '')
        )
        """
    )
