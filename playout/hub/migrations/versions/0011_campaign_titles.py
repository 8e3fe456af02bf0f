"""The titles of a station's own campaigns: a station's day plan names them (plans stored by
older stations do not), and the hub keeps each day's beside its targets, so the reports and the
dashboard show officials titles, not ids.

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

from alembic import op

revision = "0011"
down_revision = "0010"


def upgrade() -> None:
    op.execute("ALTER TABLE day_targets ADD COLUMN title text NOT NULL DEFAULT ''")
    # the plans already stored that name titles (a hub upgraded after its stations holds some)
    op.execute(
        """
        UPDATE day_targets t SET title = p.plan -> 'titles' ->> t.campaign
        FROM day_plans p
        WHERE p.station_id = t.station_id AND p.day = t.day AND p.version = t.version
          AND jsonb_typeof(p.plan -> 'titles') = 'object'
          AND p.plan -> 'titles' ->> t.campaign IS NOT NULL
        """
    )
