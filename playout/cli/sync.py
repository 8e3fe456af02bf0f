"""``playout sync``: send the as-run log to the province hub now, and say what was sent."""

from __future__ import annotations

import json

import click

from playout.cli.context import AppContext, pass_app
from playout.cli.output import bundle_line, print_problems
from playout.i18n import msg
from playout.problems import PlayoutError
from playout.schedule.loader import read_station
from playout.sync import Uploader, load_token
from playout.sync.bundles import Outcome, puller_for
from playout.sync.runner import HubError


@click.command("sync")
@click.option("--once", is_flag=True, help="One try; no waiting and retrying when it fails.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_app
def command(app: AppContext, once: bool, as_json: bool) -> None:
    """Upload the rows the hub has not acknowledged, then fetch the province's campaign bundles
    (exit 1 when something could not be sent or fetched)."""
    station = read_station(app.root)
    if station is None:
        raise PlayoutError(
            msg("no station is defined here"), msg("run playout validate in the station")
        )
    if station.hub is None:
        raise PlayoutError(
            msg("this station has no hub configured"),
            msg("add to the station: hub: {{url: https://hub.example.vn, token_file: hub.token}}"),
        )
    say = app.words
    token = load_token(app.root, station.hub)
    uploader = Uploader(station.hub.url, token, station)
    outcomes: list[Outcome] = []
    pull_error = ""
    with app.database() as db:
        assert db is not None
        result = uploader.run(db, app.clock, retries=0 if once else 4, backoff=(2.0, 30.0))
        if result.ok:  # the hub answers: fetch the province's campaigns too
            try:
                outcomes = puller_for(app.root, station, token, db).run(app.clock.now())
            except HubError as exc:
                pull_error = str(exc)
    if as_json:
        click.echo(
            json.dumps(
                {
                    **result.as_dict(),
                    "bundles": [o.as_dict() for o in outcomes],
                    "bundles_error": pull_error,
                },
                ensure_ascii=False,
                indent=2,
            )
        )
    else:
        click.echo(
            say(
                msg(
                    "sent {rows} row(s) in {batches} batch(es) to {url}; {waiting} waiting",
                    rows=result.rows_sent,
                    batches=result.batches,
                    url=station.hub.url,
                    waiting=result.rows_waiting,
                )
            )
        )
        for refused in result.refused[:20]:
            said = msg(
                "refused by the hub: {table} row {seq}: {reason}",
                table=str(refused.get("table")),
                seq=str(refused.get("seq")),
                reason=str(refused.get("reason")),
            )
            click.secho("  " + say(said), fg="yellow")
    if not as_json:
        for o in outcomes:
            if o.state == "unchanged":
                continue
            colour = {"refused": "red", "failed": "red", "waiting": "yellow"}.get(o.state)
            click.secho(bundle_line(say, o.name, o.version, o.state), fg=colour)
            if o.problems:
                print_problems(o.problems)
            elif o.reason and o.state != "applied":
                click.echo("  " + o.reason.replace("\n", "\n  "))
        if any(o.state == "waiting" for o in outcomes):
            click.echo(
                "  "
                + say(
                    msg("decide with: playout campaign accept NAME  (or decline NAME --reason ...)")
                )
            )
    if pull_error:
        raise PlayoutError(
            msg("the province's campaigns could not be fetched: {error}", error=pull_error),
            msg("nothing half-fetched is used; the next sync tries again"),
        )
    failed = [o for o in outcomes if o.state in ("failed", "refused")]
    if failed and result.ok:
        raise PlayoutError(
            msg("{n} campaign bundle(s) from the province could not be applied", n=len(failed)),
            msg(
                "a refused bundle does not fit this station's files (the reason is above; the "
                "hub has it too); a failed one is fetched again at the next sync"
            ),
        )
    if not result.ok:
        stay = msg(
            "the rows stay in the station database and go with the next sync that gets through"
        )
        raise PlayoutError(
            msg("the upload stopped: {error}", error=result.error),
            msg("{hint}; {then}", hint=result.hint, then=stay) if result.hint else stay,
        )
