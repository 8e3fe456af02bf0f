"""``playout sync``: send the as-run log to the province hub now, and say what was sent."""

from __future__ import annotations

import json

import click

from playout.cli.context import AppContext, pass_app
from playout.problems import PlayoutError
from playout.schedule.loader import read_station
from playout.sync import Uploader, load_token


@click.command("sync")
@click.option("--once", is_flag=True, help="One try; no waiting and retrying when it fails.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_app
def command(app: AppContext, once: bool, as_json: bool) -> None:
    """Upload the rows the hub has not acknowledged (exit 1 when some could not be sent)."""
    station = read_station(app.root)
    if station is None:
        raise PlayoutError("no station is defined here", "run playout validate in the station")
    if station.hub is None:
        raise PlayoutError(
            "this station has no hub configured",
            "add to the station: hub: {url: https://hub.example.vn, token_file: hub.token}",
        )
    token = load_token(app.root, station.hub)
    uploader = Uploader(station.hub.url, token, station)
    with app.database() as db:
        assert db is not None
        result = uploader.run(db, app.clock, retries=0 if once else 4, backoff=(2.0, 30.0))
    if as_json:
        click.echo(json.dumps(result.as_dict(), ensure_ascii=False, indent=2))
    else:
        click.echo(
            f"sent {result.rows_sent} row(s) in {result.batches} batch(es) to {station.hub.url}; "
            f"{result.rows_waiting} waiting"
        )
        for refused in result.refused[:20]:
            click.secho(
                f"  refused by the hub: {refused.get('table')} row {refused.get('seq')}: "
                f"{refused.get('reason')}",
                fg="yellow",
            )
    if not result.ok:
        raise PlayoutError(
            f"the upload stopped: {result.error}",
            "the rows stay in the station database and go with the next sync",
        )
