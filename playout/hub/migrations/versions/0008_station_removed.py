"""A station removed from the hub with its rows kept (``playout hub station remove --keep-rows``):
it is gone from the lists and the dashboard, its token stops, its airings stay in the reports of
the months it sent them.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

from alembic import op

revision = "0008"
down_revision = "0007"


def upgrade() -> None:
    op.execute("ALTER TABLE stations ADD COLUMN removed_at timestamptz")
