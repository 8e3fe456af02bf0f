"""Dashboard sessions kept by the hub: the cookie holds only a random session id, the row says
whose it is and until when; logout, a new password and removing the user end it (a copied
cookie is then worth nothing).

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

from alembic import op

revision = "0007"
down_revision = "0006"


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE web_sessions (
            id text PRIMARY KEY,  -- the sha256 of the id in the cookie
            user_name text NOT NULL REFERENCES users (name) ON DELETE CASCADE ON UPDATE CASCADE,
            created_at timestamptz NOT NULL,
            expires_at timestamptz NOT NULL
        )
        """
    )
    op.execute("CREATE INDEX ix_web_sessions_user ON web_sessions (user_name)")
