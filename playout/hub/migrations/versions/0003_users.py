"""The dashboard's users (argon2 password hashes, province or district role, failed-login
throttle) and the hub's own settings (the key that signs session cookies, made here so every
server process of the hub shares it).

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import secrets

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"


def upgrade() -> None:
    op.execute(
        """CREATE TABLE users (
            name text PRIMARY KEY,
            password_hash text NOT NULL,
            role text NOT NULL CHECK (role IN ('province', 'district')),
            district text NOT NULL DEFAULT '',
            created_at timestamptz NOT NULL,
            failed_logins integer NOT NULL DEFAULT 0,
            locked_until timestamptz,
            last_login timestamptz,
            CHECK ((role = 'district') = (district <> ''))
        )"""
    )
    op.execute("CREATE TABLE hub_settings (name text PRIMARY KEY, value text NOT NULL)")
    op.execute(
        sa.text("INSERT INTO hub_settings (name, value) VALUES ('session_key', :key)").bindparams(
            key=secrets.token_hex(32)
        )
    )
