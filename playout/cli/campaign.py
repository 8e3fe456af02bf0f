"""``playout campaign``: the province's campaign bundles at this station (list, accept, decline)."""

from __future__ import annotations

from datetime import datetime, tzinfo

import click

from playout.cli.context import AppContext, pass_app
from playout.cli.output import BUNDLE_STATES as STATES
from playout.cli.output import bundle_line, print_problems, print_table
from playout.i18n import msg
from playout.problems import PlayoutError
from playout.schedule.loader import read_station
from playout.schedule.values import format_date, format_duration


@click.group("campaign")
def command() -> None:
    """Campaign bundles from the province hub (fetched by playout sync and the daemon)."""


@command.command("list")
@pass_app
def list_(app: AppContext) -> None:
    """Every bundle this station has received, with its state."""
    from playout.sync.bundle_state import waiting_bundles

    say = app.words
    found = waiting_bundles(app.root)
    if not found:
        click.echo(say(msg("no campaign bundles from the province yet")))
        return
    station = read_station(app.root)
    tz = station.tz if station is not None else None
    headers = [msg("bundle"), msg("version"), msg("state"), msg("since"), msg("reason")]
    print_table(
        say(msg("{n} bundle(s) from the province", n=len(found))),
        [say(h) for h in headers],
        [
            [
                name,
                str(e["version"]),
                say(STATES.get(e["state"], e["state"])),
                _local(e["since"], tz),
                e["reason"],
            ]
            for name, e in sorted(found.items())
        ],
    )
    if any(e["state"] == "waiting" for e in found.values()):
        click.echo(
            say(msg("decide with: playout campaign accept NAME, or decline NAME --reason TEXT"))
        )


def _local(iso: str, tz: tzinfo | None) -> str:
    """A stored time (ISO, UTC) in the station's time: dd/mm/yyyy HH:MM."""
    try:
        when = datetime.fromisoformat(iso)
    except (TypeError, ValueError):
        return str(iso)
    if tz is not None and when.tzinfo is not None:
        when = when.astimezone(tz)
    return f"{when:%d/%m/%Y %H:%M}"


def _decide(app: AppContext, name: str, accept: bool, reason: str) -> None:
    from playout.sync import load_token
    from playout.sync.bundles import puller_for

    station = read_station(app.root)
    if station is None or station.hub is None:
        raise PlayoutError(
            msg("this station has no hub configured"),
            msg("campaign bundles come from the province hub"),
        )
    with app.database() as db:
        assert db is not None
        outcome = puller_for(app.root, station, load_token(app.root, station.hub), db).decide(
            name, accept, reason, app.clock.now()
        )
    click.echo(bundle_line(app.words, outcome.name, outcome.version, outcome.state))
    if outcome.state == "refused":
        if outcome.problems:
            print_problems(outcome.problems)
        else:
            click.echo("  " + outcome.reason.replace("\n", "\n  "))
        raise PlayoutError(
            msg("the bundle does not fit this station; the current plan stays"),
            msg("correct the station's files (see above) and accept again at the next sync"),
        )


@command.command("show")
@click.argument("name")
@pass_app
def show(app: AppContext, name: str) -> None:
    """What bundle NAME (waiting for your decision) would air here: its campaigns, days,
    sessions, how often, the airings your sessions hold on the next days, its clips."""
    from playout.sync.bundle_preview import preview

    say = app.words
    station = read_station(app.root)
    if station is None:
        raise PlayoutError(msg("no station is defined here"))
    today = app.clock.now().astimezone(station.tz).date()
    with app.database() as db:
        assert db is not None
        campaigns = preview(app.root, name, db, today)
    for c in campaigns:
        until = format_date(c.last) if c.last else say(msg("no end"))
        click.echo(say(msg("campaign {id}: {title}", id=c.id, title=c.title or c.id)))
        click.echo(
            "  " + say(msg("from {first} to {until}", first=format_date(c.first), until=until))
        )
        sessions = ", ".join(c.sessions) if c.sessions else say(msg("any of the station's"))
        click.echo("  " + say(msg("sessions: {sessions}", sessions=sessions)))
        click.echo("  " + say(msg("how often: {how}", how=c.how)))
        days = ", ".join(f"{d:%d/%m} {placed}/{asked}" for d, placed, asked in c.days) or "-"
        click.echo("  " + say(msg("airings that fit / asked, day by day: {days}", days=days)))
        for file, title, ms in c.clips:
            click.echo(f"  - {file} ({format_duration(ms / 1000)}){': ' + title if title else ''}")
    click.echo(say(msg("decide with: playout campaign accept NAME, or decline NAME --reason TEXT")))


@command.command("accept")
@click.argument("name")
@pass_app
def accept(app: AppContext, name: str) -> None:
    """Check bundle NAME with this station's files again and apply it (the daemon reloads)."""
    _decide(app, name, True, "")


@command.command("decline")
@click.argument("name")
@click.option("--reason", required=True, help="Why (sent to the province).")
@pass_app
def decline(app: AppContext, name: str, reason: str) -> None:
    """Decline bundle NAME; the reason goes to the province."""
    _decide(app, name, False, reason)
