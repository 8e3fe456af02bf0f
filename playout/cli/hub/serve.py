"""``playout hub serve``: the hub's HTTP server."""

from __future__ import annotations

import logging

import click

from playout.cli.context import AppContext, pass_app
from playout.cli.hub import db_option, hub_engine


@click.command("serve")
@db_option
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8750, show_default=True, type=click.IntRange(1, 65535))
@click.option(
    "--pool", default=10, show_default=True, type=click.IntRange(1, 200), help="Database pool."
)
@pass_app
def command(app: AppContext, db_url: str, host: str, port: int, pool: int) -> None:
    """Serve the upload API (put TLS in front of it with a reverse proxy)."""
    import uvicorn

    from playout.hub.app import Limits, create_app

    engine = hub_engine(db_url, pool_size=pool)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    click.echo(f"playout hub on http://{host}:{port} (database pool {pool})")
    try:
        uvicorn.run(
            create_app(engine, app.clock, Limits(writers=max(1, pool - 2))),
            host=host,
            port=port,
            log_level="info",
            access_log=False,
            timeout_graceful_shutdown=10,
        )
    finally:
        engine.dispose()
