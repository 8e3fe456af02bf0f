"""Areas, not districts: since July 2025 a station belongs to a commune or ward (two tiers of
local government); 2020 data names districts. The column, the role and the bundle audience
that said "district" say "area" for both; the names in them are kept as they were.

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

from alembic import op

revision = "0010"
down_revision = "0009"


def upgrade() -> None:
    op.execute("ALTER TABLE stations RENAME COLUMN district TO area")
    op.execute("ALTER TABLE users RENAME COLUMN district TO area")
    # the role's checks were made without names: drop them by what the catalogue calls them
    op.execute(
        """
        DO $$
        DECLARE c text;
        BEGIN
            FOR c IN SELECT conname FROM pg_constraint
                     WHERE conrelid = 'users'::regclass AND contype = 'c'
            LOOP
                EXECUTE format('ALTER TABLE users DROP CONSTRAINT %I', c);
            END LOOP;
        END $$
        """
    )
    op.execute("UPDATE users SET role = 'area' WHERE role = 'district'")
    op.execute(
        "ALTER TABLE users ADD CONSTRAINT users_role CHECK (role IN ('province', 'area')),"
        " ADD CONSTRAINT users_role_area CHECK ((role = 'area') = (area <> ''))"
    )
    op.execute(
        "UPDATE bundles SET audience = 'area:' || substr(audience, 10)"
        " WHERE audience LIKE 'district:%'"
    )
