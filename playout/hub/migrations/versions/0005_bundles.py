"""Campaign bundles published by the province: files stored once by sha256 (``blobs``), each
published version with its audience and manifest (``bundles``), and what each station did with
it (``rollout``).

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

from alembic import op

revision = "0005"
down_revision = "0004"


def upgrade() -> None:
    op.execute(
        """CREATE TABLE blobs (
            sha256 text PRIMARY KEY,
            size bigint NOT NULL,
            content bytea NOT NULL,
            created_at timestamptz NOT NULL
        )"""
    )
    # audio does not compress: stored as it is, so a range is read without decompressing it all
    op.execute("ALTER TABLE blobs ALTER COLUMN content SET STORAGE EXTERNAL")
    op.execute(
        """CREATE TABLE bundles (
            id bigserial PRIMARY KEY,
            name text NOT NULL,
            version integer NOT NULL,
            audience text NOT NULL,
            published_at timestamptz NOT NULL,
            published_by text NOT NULL,
            withdrawn_at timestamptz,
            manifest jsonb NOT NULL,
            UNIQUE (name, version)
        )"""
    )
    op.execute(
        """CREATE TABLE rollout (
            station_id text NOT NULL REFERENCES stations (id),
            name text NOT NULL,
            version integer NOT NULL,
            state text NOT NULL,
            reason text NOT NULL DEFAULT '',
            since timestamptz NOT NULL,
            updated_at timestamptz NOT NULL,
            PRIMARY KEY (station_id, name)
        )"""
    )
