"""``playout hub init``: create or upgrade the hub's schema."""

from __future__ import annotations

import click

from playout.cli.hub import db_option, hub_engine


@click.command("init")
@db_option
def command(db_url: str) -> None:
    """Create the hub's tables, or upgrade them to this playout's schema."""
    engine = hub_engine(db_url, checked=False)  # first: it says when the extra is missing
    from playout.hub.db import migrate

    try:
        before, after = migrate(engine)
    finally:
        engine.dispose()
    if before == after:
        click.echo(f"hub database: schema {after}, up to date")
    else:
        click.echo(f"hub database: schema {before or 'none'} -> {after}")
