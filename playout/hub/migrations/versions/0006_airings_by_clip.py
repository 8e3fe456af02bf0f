"""Airings found by clip sha256: the province report counts the airings of each clip the province
published (exactly that audio) without reading the month's other airings.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

from alembic import op

revision = "0006"
down_revision = "0005"


def upgrade() -> None:
    op.execute("CREATE INDEX ix_airings_clip_sha256 ON airings (clip_sha256)")
