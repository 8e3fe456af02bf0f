"""``playout hub serve``: the hub's HTTP server."""

from __future__ import annotations

import logging
import os

import click

from playout.cli.hub import db_option, hub_engine


@click.command("serve")
@db_option
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8750, show_default=True, type=click.IntRange(1, 65535))
@click.option(
    "--pool",
    default=10,
    show_default=True,
    type=click.IntRange(3, 200),
    help="Database connections per worker.",
)
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Server processes (about one per CPU core left to the hub).",
)
def command(db_url: str, host: str, port: int, pool: int, workers: int) -> None:
    """Serve the upload API (put TLS in front of it with a reverse proxy)."""
    hub_engine(db_url).dispose()  # refuse a missing extra, or a missing or newer schema
    import uvicorn

    os.environ["PLAYOUT_HUB_DB"] = db_url
    os.environ["PLAYOUT_HUB_POOL"] = str(pool)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    click.echo(
        f"playout hub on http://{host}:{port} ({workers} worker(s), database pool {pool} each)"
    )
    uvicorn.run(
        "playout.hub.app:app_from_environment",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="info",
        access_log=False,
        timeout_graceful_shutdown=10,
    )
