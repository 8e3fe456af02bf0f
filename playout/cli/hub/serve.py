"""``playout hub serve``: the hub's HTTP server."""

from __future__ import annotations

import importlib.util
import logging
import os
from datetime import timedelta

import click

from playout.cli.hub import db_option, hub_engine
from playout.cli.params import DURATION


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
@click.option(
    "--silent-after",
    type=DURATION,
    default="20m",
    show_default=True,
    help="The dashboard shows a station red when it has not been in contact for this long "
    "during one of its broadcast sessions.",
)
@click.option(
    "--refresh",
    type=DURATION,
    default="60s",
    show_default=True,
    help="How often the dashboard's overview refreshes its figures.",
)
@click.option(
    "--secure-cookies",
    is_flag=True,
    help="Send the dashboard's login cookie only over HTTPS (set it behind a TLS proxy).",
)
@click.option(
    "--forwarded-allow-ips",
    default="",
    metavar="ADDRESSES",
    help="The reverse proxy's address(es), comma-separated: only requests from them may say "
    "who the client is (X-Forwarded-For); none by default (the peer's address counts).",
)
@click.option(
    "--max-connections",
    default=1000,
    show_default=True,
    type=click.IntRange(10, 100_000),
    help="Connections served at once per worker; more are answered 503 at once.",
)
def command(
    db_url: str,
    host: str,
    port: int,
    pool: int,
    workers: int,
    silent_after: timedelta,
    refresh: timedelta,
    secure_cookies: bool,
    forwarded_allow_ips: str,
    max_connections: int,
) -> None:
    """Serve the upload API and the dashboard (put TLS in front with a reverse proxy)."""
    hub_engine(db_url).dispose()  # refuse a missing extra, or a missing or newer schema
    import uvicorn

    from playout.hub.http_protocol import BoundedHttpTools

    os.environ["PLAYOUT_HUB_DB"] = db_url
    os.environ["PLAYOUT_HUB_POOL"] = str(pool)
    os.environ["PLAYOUT_HUB_SILENT_AFTER"] = str(silent_after.total_seconds())
    os.environ["PLAYOUT_HUB_REFRESH"] = str(refresh.total_seconds())
    os.environ["PLAYOUT_HUB_SECURE_COOKIES"] = "1" if secure_cookies else "0"
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
        loop="uvloop" if importlib.util.find_spec("uvloop") else "asyncio",
        timeout_graceful_shutdown=10,
        # the client's address: the peer's, unless the peer is the named proxy
        proxy_headers=bool(forwarded_allow_ips),
        forwarded_allow_ips=forwarded_allow_ips or None,
        # slow clients: an idle connection is closed after 5 s, a connection cap per worker
        timeout_keep_alive=5,
        limit_concurrency=max_connections,
        # httptools parses in C; this protocol bounds the request line and headers to 16 KiB
        http=BoundedHttpTools,
    )
